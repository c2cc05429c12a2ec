package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/tabwriter"

	"hotplugsim/des"
	"hotplugsim/reports/causal"
	"hotplugsim/workloads"
)

const shrinkSynopsis = `Minimise a failing run while the same violation reproduces: the same kind and the same
title (the first line of its message with the numbers taken out), and a run no longer (in
trace events) than the smallest so far, so that shrinking never trades decisions for a longer
run. First its Spec, with the gopter shrinkers of 'go test' property runs (fewer apps, events
and BOs, fewer ops and instances, earlier events, smaller sizes) under the same seed and
strategy; then its choice tape, delta-debugging style (delete chunks of each stream, then zero
them, halving the chunk size); both again while a round shrinks anything. The run to shrink
is given by flags (--scenario, --policy, --spec, --seed, --strategy), by a results line
(results.jsonl#LINE) or by a tape file.

The minimal run is saved as a tape (its seed and every decision, with its Spec in the tape's
meta), which is first replayed from its encoded bytes as 'desrun replay' reads them: the
command printed, 'desrun replay TAPE', reproduces it exactly (the same fingerprint). The Spec
with the seed alone does not: the tape's decisions are part of the run. Prints the sizes
before and after, the minimal run with its causal trace, and says so when --max-runs stopped
shrinking.`

// shrinkStats is the "shrink" object of --json and the numbers of the text output.
type shrinkStats struct {
	SpecBefore   workloads.Size `json:"spec_before"`
	SpecAfter    workloads.Size `json:"spec_after"`
	TapeBefore   int            `json:"tape_before"`
	TapeAfter    int            `json:"tape_after"`
	EventsBefore uint64         `json:"events_before"`
	EventsAfter  uint64         `json:"events_after"`
	ProcsBefore  int            `json:"procs_before"`
	ProcsAfter   int            `json:"procs_after"`
	Runs         int            `json:"runs"`
	MaxRuns      int            `json:"max_runs"`
	// RunLimit is true when shrinking stopped at MaxRuns with candidates left to try: the
	// result reproduces, but may not be minimal.
	RunLimit bool   `json:"run_limit"`
	Note     string `json:"note,omitempty"`
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Tape     string `json:"tape"`
	// Verified is the fingerprint of the replay of the saved tape, equal to the minimal run's.
	Verified string `json:"verified_fingerprint"`
}

type shrinker struct {
	src     source
	kind    string
	title   string
	events  uint64 // trace events of the smallest accepted run
	runs    int
	maxRuns int
	limited bool // a candidate was left untried for want of runs
}

// violationTitle is the first line of a violation message with every number (a duration with
// its unit, hex, decimal) replaced by N: what names the bug, not the addresses, times and
// instances of one run.
func violationTitle(msg string) string {
	line, _, _ := strings.Cut(msg, "\n")
	return strings.Join(strings.Fields(reNumber.ReplaceAllString(line, "N")), " ")
}

var reNumber = regexp.MustCompile(`[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s)\b|0[xX][0-9a-fA-F]+|[0-9]+`)

func runShrink(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("shrink", " [results.jsonl#LINE | file.tape]", shrinkSynopsis)
	idf := addIdentFlags(f)
	seed := f.Uint64("seed", 1, "seed of the failing run (with the flags above)")
	out := f.String("out", "", "save the minimal tape here (default shrunk-<scenario>-<seed>.tape)")
	maxRuns := f.Int("max-runs", 5000, "bound on the runs shrinking may take")
	asJSON := f.Bool("json", false, "print the minimal run and the sizes as one JSON object")
	pos, err := f.parse(args, stdout, 0, 1)
	if err != nil {
		return ExitUsage, err
	}
	var src source
	if len(pos) == 1 {
		for _, name := range []string{"scenario", "policy", "spec", "strategy", "seed"} {
			if flagSet(f, name) {
				return ExitUsage, fmt.Errorf("--%s applies to a run given by flags: %s already names the run to shrink", name, pos[0])
			}
		}
		src, err = loadSource(pos[0])
	} else {
		src.id, err = idf.resolve()
		src.seed = *seed
	}
	if err != nil {
		return ExitUsage, err
	}
	if *out == "" {
		*out = fmt.Sprintf("shrunk-%s-%d.tape", src.id.sc.Name, src.seed)
	}
	if err := checkOutputs([]string{*out}, []string{src.path, src.id.specPath}); err != nil {
		return ExitUsage, err
	}
	if *maxRuns < 1 {
		return ExitUsage, fmt.Errorf("bad --max-runs %d: want >= 1", *maxRuns)
	}
	sh := &shrinker{src: src, maxRuns: *maxRuns}
	base, err := workloads.Run(src.config())
	if err != nil {
		return ExitUsage, err
	}
	if base.Violation == nil {
		return ExitUsage, fmt.Errorf("the run does not fail (seed %d, %s/%s): nothing to shrink", src.seed, src.id.sc.Name, src.id.policy)
	}
	sh.kind, sh.title, sh.events = base.Violation.Kind, violationTitle(base.Violation.Message), base.Events
	st := shrinkStats{SpecBefore: base.Spec.Size(), TapeBefore: tapeLen(src.tape, base), EventsBefore: base.Events,
		ProcsBefore: base.Procs, MaxRuns: *maxRuns, Kind: sh.kind, Title: sh.title, Tape: *out}

	spec, tape := base.Spec, base.Tape()
	for {
		events := sh.events
		specSize := spec.Size()
		spec, tape = sh.shrinkSpec(spec, tape)
		tape = sh.shrinkTape(spec, tape)
		// A shorter run can make Spec candidates that failed before fit: go on until a round
		// changes neither.
		if sh.events == events && spec.Size() == specSize || !sh.budget() {
			break
		}
	}
	cfg := sh.config(spec)
	cfg.Tape, cfg.TraceRing = tape, traceRing
	min, err := workloads.Run(cfg)
	if err != nil {
		return ExitUsage, err
	}
	if !sh.same(min) { // cannot happen: every accepted step reproduced it
		return ExitUsage, fmt.Errorf("internal error: the minimal tape gives %q (%s), not %q", min.Kind(), min.Verdict, sh.kind)
	}
	tape.Meta = min.Meta()
	replayed, err := verifyTape(tape, min)
	if err != nil {
		return ExitUsage, err
	}
	if err := saveTape(*out, tape); err != nil {
		return ExitUsage, err
	}
	st.SpecAfter, st.TapeAfter, st.Runs = spec.Size(), tape.Len(), sh.runs
	st.EventsAfter, st.ProcsAfter, st.Verified = min.Events, min.Procs, replayed.Fingerprint
	if sh.limited {
		st.RunLimit = true
		st.Note = fmt.Sprintf("stopped at the run limit (%d): the result may not be minimal; raise --max-runs", sh.maxRuns)
	}
	repro := "desrun replay " + shellArg(*out)
	if *asJSON {
		b, _ := json.Marshal(struct {
			runJSON
			Shrink shrinkStats `json:"shrink"`
		}{runJSON{min, repro, toolVersion()}, st})
		fmt.Fprintf(stdout, "%s\n", b)
		return ExitViolation, nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "shrunk\t%s/%s seed %d: %s, in %d runs\n", src.id.sc.Name, src.id.policy, src.seed, sh.kind, sh.runs)
	fmt.Fprintf(tw, "title\t%s\n", sh.title)
	fmt.Fprintf(tw, "run\t%d events, %d processes  ->  %d events, %d processes\n", st.EventsBefore, st.ProcsBefore, st.EventsAfter, st.ProcsAfter)
	fmt.Fprintf(tw, "spec\t%v  ->  %v\n", st.SpecBefore, st.SpecAfter)
	fmt.Fprintf(tw, "tape\t%d decisions  ->  %d decisions\n", st.TapeBefore, st.TapeAfter)
	if st.RunLimit {
		fmt.Fprintf(tw, "note\t%s\n", st.Note)
	}
	tw.Flush()
	if !min.DefaultSpec {
		fmt.Fprintf(stdout, "minimal spec (in the tape's meta; with the seed alone it runs other decisions, replay the tape):\n%s\n", spec.JSON())
	}
	fmt.Fprintln(stdout, "minimal reproduction:")
	printOutcome(stdout, min, repro, causal.Options{})
	fmt.Fprintf(stdout, "verified     %s replays it exactly: fingerprint %s\n", repro, replayed.Fingerprint)
	if st.RunLimit {
		fmt.Fprintf(stdout, "note         %s\n", st.Note)
	}
	return ExitViolation, nil
}

// verifyTape replays tape as 'desrun replay' replays the file saveTape writes (encoded,
// decoded, its run identity read from its meta) and checks that it is the run min.
func verifyTape(tape *des.Tape, min *workloads.Outcome) (*workloads.Outcome, error) {
	var buf bytes.Buffer
	if err := tape.Encode(&buf); err != nil {
		return nil, err
	}
	t, err := decodeTape(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("internal error: the minimal tape does not decode: %w", err)
	}
	src, err := tapeSource("the minimal tape", t)
	if err != nil {
		return nil, fmt.Errorf("internal error: %w", err)
	}
	cfg := src.config()
	cfg.TraceRing = -1
	o, err := workloads.Run(cfg)
	if err != nil {
		return nil, fmt.Errorf("internal error: replaying the minimal tape: %w", err)
	}
	if o.Fingerprint != min.Fingerprint || tapeDefaults(t, o) != "" {
		return nil, fmt.Errorf("internal error: the minimal tape does not replay the minimal run: fingerprint %s, want %s", o.Fingerprint, min.Fingerprint)
	}
	return o, nil
}

func tapeLen(t *des.Tape, o *workloads.Outcome) int {
	if t != nil {
		return t.Len()
	}
	return o.Tape().Len()
}

func (sh *shrinker) config(spec workloads.Spec) workloads.RunConfig {
	cfg := sh.src.config()
	cfg.Spec, cfg.Tape, cfg.TraceRing, cfg.NoTape = &spec, nil, -1, true
	return cfg
}

// budget reports whether another run may be taken, noting when a candidate is left untried.
func (sh *shrinker) budget() bool {
	if sh.runs >= sh.maxRuns {
		sh.limited = true
		return false
	}
	return true
}

// same reports whether o is the violation being shrunk: the same kind and title.
func (sh *shrinker) same(o *workloads.Outcome) bool {
	return o.Violation != nil && o.Violation.Kind == sh.kind && violationTitle(o.Violation.Message) == sh.title
}

// accept reports whether o reproduces the violation in a run no longer than the smallest so
// far, and makes it the smallest.
func (sh *shrinker) accept(o *workloads.Outcome) bool {
	if !sh.same(o) || o.Events > sh.events {
		return false
	}
	sh.events = o.Events
	return true
}

// fails runs cfg (within the run budget) and reports whether the run is accepted.
func (sh *shrinker) fails(cfg workloads.RunConfig) bool {
	if !sh.budget() {
		return false
	}
	sh.runs++
	o, err := workloads.Run(cfg)
	return err == nil && sh.accept(o)
}

// failsWith runs spec, replaying tape (or from the seed if tape is nil), and returns the
// run's tape if the run is accepted.
func (sh *shrinker) failsWith(spec workloads.Spec, tape *des.Tape) *des.Tape {
	if !sh.budget() {
		return nil
	}
	sh.runs++
	cfg := sh.config(spec)
	cfg.Tape, cfg.NoTape = tape, false
	o, err := workloads.Run(cfg)
	if err != nil || !sh.accept(o) {
		return nil
	}
	return o.Tape()
}

// shrinkSpec greedily takes the first ShrinkSpec candidate of spec that is accepted, either
// replaying the current tape (the same interleaving, as far as it fits the smaller Spec) or run afresh
// from the seed, until none is. It returns the Spec and the tape that makes it fail.
func (sh *shrinker) shrinkSpec(spec workloads.Spec, tape *des.Tape) (workloads.Spec, *des.Tape) {
	for improved := true; improved; {
		improved = false
		next := workloads.ShrinkSpec(spec)
		for v, ok := next(); ok && sh.budget(); v, ok = next() {
			cand := v.(workloads.Spec)
			t := sh.failsWith(cand, tape)
			if t == nil {
				t = sh.failsWith(cand, nil)
			}
			if t != nil {
				spec, tape, improved = cand, t, true
				break
			}
		}
	}
	return spec, tape
}

// shrinkTape deletes, then zeroes, chunks of each stream of the tape, halving the chunk size
// down to one decision, and repeats while anything changes.
func (sh *shrinker) shrinkTape(spec workloads.Spec, tape *des.Tape) *des.Tape {
	try := func(t *des.Tape) bool {
		cfg := sh.config(spec)
		cfg.Tape = t
		return sh.fails(cfg)
	}
	for changed := true; changed && sh.budget(); {
		changed = false
		for _, name := range tape.StreamNames() {
			for chunk := max(1, len(tape.Streams[name])/2); chunk >= 1 && sh.budget(); chunk /= 2 {
				for i := 0; i < len(tape.Streams[name]) && sh.budget(); {
					vals := tape.Streams[name]
					end := min(i+chunk, len(vals))
					cand := tape.Clone()
					cand.Streams[name] = append(append([]uint64(nil), vals[:i]...), vals[end:]...)
					if len(cand.Streams[name]) == 0 {
						delete(cand.Streams, name)
					}
					if try(cand) {
						tape, changed = cand, true
						continue
					}
					if !allZero(vals[i:end]) {
						cand = tape.Clone()
						clear(cand.Streams[name][i:end])
						if try(cand) {
							tape, changed = cand, true
						}
					}
					i += chunk
				}
			}
		}
	}
	return tape
}

func allZero(vs []uint64) bool {
	for _, v := range vs {
		if v != 0 {
			return false
		}
	}
	return true
}
