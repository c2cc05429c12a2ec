package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"hotplugsim/des"
	"hotplugsim/internal/strictjson"
	"hotplugsim/workloads"
)

const replaySynopsis = `Rerun a recorded run exactly and check it: a line of a sweep's results file
(results.jsonl#LINE, LINE 1-based, a "run" line) is rerun from its seed; a tape file (from
'desrun run --tape' or 'desrun shrink') is replayed decision by decision. The fingerprint of
the rerun must equal the recorded one; if it does not, replay says so and exits 2.`

// source is a recorded run: its identity and seed, maybe its tape, and what it recorded.
type source struct {
	id          ident
	seed        uint64
	tape        *des.Tape
	fingerprint string // recorded fingerprint ("" if unknown)
	repro       string // the desrun line that replays it
	name        string // what the user gave
	path        string // the file it was read from ("" for flags)
}

// loadSource reads results.jsonl#LINE or a tape file. A file named arg is a tape even with a
// '#' in its name; else the last '#' separates the line number.
func loadSource(arg string) (source, error) {
	if _, err := os.Stat(arg); err != nil && strings.Contains(arg, "#") {
		i := strings.LastIndex(arg, "#")
		path, ln := arg[:i], arg[i+1:]
		n, err := strconv.Atoi(ln)
		if err != nil || n < 1 {
			return source{}, fmt.Errorf("bad line %q in %q: want results.jsonl#LINE with LINE >= 1", ln, arg)
		}
		return loadResultsLine(path, n)
	}
	return loadTapeSource(arg)
}

func loadResultsLine(path string, n int) (source, error) {
	rf, err := readResults(path)
	if err != nil {
		return source{}, err
	}
	i := slices.Index(rf.runAt, n)
	if i < 0 {
		return source{}, fmt.Errorf("%s#%d: not a run line of the file", path, n)
	}
	r := rf.runs[i]
	h := rf.header
	id, err := identOf(h.Scenario, r.Policy, r.Strategy, h.Spec)
	if err != nil {
		return source{}, fmt.Errorf("%s#%d: %w", path, n, err)
	}
	if got := id.specOf().Hash(); got != h.SpecHash {
		return source{}, fmt.Errorf("%s: spec hash %s, but the spec is %s here: the scenario's default Spec changed", path, h.SpecHash, got)
	}
	return source{id: id, seed: r.Seed, fingerprint: r.Fingerprint, name: fmt.Sprintf("%s#%d", path, n), path: path,
		repro: fmt.Sprintf("desrun replay %s#%d", shellArg(path), n)}, nil
}

func loadTapeSource(path string) (source, error) {
	b, err := readInput(path, maxTapeBytes)
	if err != nil {
		return source{}, fmt.Errorf("cannot read tape: %w", err)
	}
	t, err := decodeTape(b)
	if err != nil {
		return source{}, fmt.Errorf("%s: %w", path, err)
	}
	return tapeSource(path, t)
}

// decodeTape is des.DecodeTape with exact JSON names.
func decodeTape(b []byte) (*des.Tape, error) {
	t, err := des.DecodeTape(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if err := strictjson.Keys(b, &des.Tape{}); err != nil {
		return nil, fmt.Errorf("%w: %v", des.ErrBadTape, err)
	}
	return t, nil
}

// tapeSource is the run a tape read from path replays.
func tapeSource(path string, t *des.Tape) (source, error) {
	m := t.Meta
	var spec *workloads.Spec
	if js := m["spec"]; js != "" {
		s, err := workloads.DecodeSpec(bytes.NewReader([]byte(js)))
		if err != nil {
			return source{}, fmt.Errorf("%s: %w: meta %w", path, des.ErrBadTape, err)
		}
		spec = &s
	}
	if m["scenario"] == "" {
		return source{}, fmt.Errorf("%s: %w: no scenario in its meta (was it written by desrun?)", path, des.ErrBadTape)
	}
	strategy := m["strategy"]
	if strategy == "" {
		strategy = t.Strategy
	}
	id, err := identOf(m["scenario"], m["policy"], strategy, spec)
	if err != nil {
		return source{}, fmt.Errorf("%s: %w", path, err)
	}
	return source{id: id, seed: t.Seed, tape: t, fingerprint: m["fingerprint"], name: path, path: path,
		repro: "desrun replay " + shellArg(path)}, nil
}

// tapeDefaults says how a replay of tape fell back on defaults (the tape is cut or edited)
// more than the run that recorded it did (a shrunk tape records how often it did), or "".
func tapeDefaults(tape *des.Tape, o *workloads.Outcome) string {
	if tape == nil {
		return ""
	}
	short, misfit := o.Result.TapeShort, o.Result.TapeMisfit
	recShort, _ := strconv.Atoi(tape.Meta["tape_short"])
	recMisfit, _ := strconv.Atoi(tape.Meta["tape_misfit"])
	if short == recShort && misfit == recMisfit {
		return ""
	}
	return fmt.Sprintf("the tape ran out %d times and %d of its values did not fit (recorded: %d and %d): the default 0 was used for those decisions",
		short, misfit, recShort, recMisfit)
}

func identOf(scenario, policy, strategy string, spec *workloads.Spec) (ident, error) {
	sc, err := workloads.Lookup(scenario)
	if err != nil {
		return ident{}, err
	}
	pol, err := sc.Policy(policy)
	if err != nil {
		return ident{}, err
	}
	if _, err := des.ParseStrategy(strategy); err != nil {
		return ident{}, err
	}
	if spec != nil {
		if err := sc.CheckSpec(*spec); err != nil {
			return ident{}, fmt.Errorf("spec: %w", err)
		}
	}
	return ident{sc: sc, policy: pol.Name, spec: spec, strategy: strategy}, nil
}

func (s source) config() workloads.RunConfig {
	cfg := s.id.config(s.seed)
	cfg.Tape = s.tape
	return cfg
}

func shellArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;~#") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func runReplay(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("replay", " results.jsonl#LINE | file.tape", replaySynopsis)
	tracePath := f.String("trace", "", "write the full trace as Chrome trace JSON to this file")
	asJSON := f.Bool("json", false, "print the result as one JSON object")
	slf := addSliceFlags(f)
	pos, err := f.parse(args, stdout, 1, 1)
	if err != nil {
		return ExitUsage, err
	}
	sliceOpt, err := slf.options()
	if err != nil {
		return ExitUsage, err
	}
	src, err := loadSource(pos[0])
	if err != nil {
		return ExitUsage, err
	}
	if err := checkOutputs([]string{*tracePath}, []string{src.path}); err != nil {
		return ExitUsage, err
	}
	cfg := src.config()
	cfg.TraceRing = traceRing
	var tr *traceRec
	if *tracePath != "" {
		tr = &traceRec{}
		cfg.Sink = tr.add
	}
	o, err := workloads.Run(cfg)
	if err != nil {
		return ExitUsage, err
	}
	if tr != nil {
		if err := tr.write(*tracePath, o); err != nil {
			return ExitUsage, err
		}
	}
	defaults := tapeDefaults(src.tape, o)
	if src.fingerprint != "" && o.Fingerprint != src.fingerprint {
		if defaults != "" {
			defaults = "; " + defaults
		}
		return ExitUsage, fmt.Errorf("%s did not reproduce: fingerprint %s, recorded %s (verdict %s)%s", src.name, o.Fingerprint, src.fingerprint, o.Verdict, defaults)
	}
	if *asJSON {
		printJSON(stdout, o, src.repro)
	} else {
		printOutcome(stdout, o, src.repro, sliceOpt)
		switch {
		case defaults != "":
			fmt.Fprintf(stdout, "replayed     not exactly: %s\n", defaults)
		case src.fingerprint != "":
			fmt.Fprintf(stdout, "replayed     exactly: fingerprint %s as recorded\n", o.Fingerprint)
		}
	}
	return exitFor(o), nil
}
