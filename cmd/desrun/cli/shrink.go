package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"hotplugsim/des"
	"hotplugsim/reports/causal"
	"hotplugsim/workloads"
)

const shrinkSynopsis = `Minimise a failing run while the same violation kind reproduces: first its Spec, with
the gopter shrinkers of 'go test' property runs (fewer apps, events and BOs, fewer ops and
instances, earlier events, smaller sizes) under the same seed and strategy; then its choice
tape, delta-debugging style (delete chunks of each stream, then zero them, halving the chunk
size). The run to shrink is given by flags (--scenario, --policy, --spec, --seed,
--strategy), by a results line (results.jsonl#LINE) or by a tape file. Prints the sizes
before and after and the minimal reproduction with its causal trace, and saves the minimal
tape (with its Spec in the tape's meta) for 'desrun replay'.`

type shrinkStats struct {
	SpecBefore workloads.Size `json:"spec_before"`
	SpecAfter  workloads.Size `json:"spec_after"`
	TapeBefore int            `json:"tape_before"`
	TapeAfter  int            `json:"tape_after"`
	Runs       int            `json:"runs"`
	Kind       string         `json:"kind"`
	Tape       string         `json:"tape"`
}

type shrinker struct {
	src     source
	kind    string
	runs    int
	maxRuns int
}

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
	sh.kind = base.Violation.Kind
	st := shrinkStats{SpecBefore: base.Spec.Size(), TapeBefore: tapeLen(src.tape, base), Kind: sh.kind, Tape: *out}

	spec, tape, err := sh.shrinkSpec(base)
	if err != nil {
		return ExitUsage, err
	}
	tape = sh.shrinkTape(spec, tape)
	cfg := sh.config(spec)
	cfg.Tape, cfg.TraceRing = tape, traceRing
	min, err := workloads.Run(cfg)
	if err != nil {
		return ExitUsage, err
	}
	if min.Kind() != sh.kind { // cannot happen: every accepted step reproduced it
		return ExitUsage, fmt.Errorf("internal error: the minimal tape gives %q, not %q", min.Kind(), sh.kind)
	}
	tape.Meta = min.Meta()
	if err := saveTape(*out, tape); err != nil {
		return ExitUsage, err
	}
	st.SpecAfter, st.TapeAfter, st.Runs = spec.Size(), tape.Len(), sh.runs
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
	fmt.Fprintf(tw, "spec\t%v  ->  %v\n", st.SpecBefore, st.SpecAfter)
	fmt.Fprintf(tw, "tape\t%d decisions  ->  %d decisions\n", st.TapeBefore, st.TapeAfter)
	tw.Flush()
	if !min.DefaultSpec {
		fmt.Fprintf(stdout, "minimal spec (also in the tape's meta):\n%s\n", spec.JSON())
	}
	fmt.Fprintln(stdout, "minimal reproduction:")
	printOutcome(stdout, min, repro, causal.Options{})
	return ExitViolation, nil
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

// fails runs cfg (within the run budget) and reports whether it gives the kind being shrunk.
func (sh *shrinker) fails(cfg workloads.RunConfig) bool {
	if sh.runs >= sh.maxRuns {
		return false
	}
	sh.runs++
	o, err := workloads.Run(cfg)
	return err == nil && o.Kind() == sh.kind
}

// failsWith runs spec, replaying tape (or from the seed if tape is nil), and returns the
// run's tape if it gives the kind being shrunk.
func (sh *shrinker) failsWith(spec workloads.Spec, tape *des.Tape) *des.Tape {
	if sh.runs >= sh.maxRuns {
		return nil
	}
	sh.runs++
	cfg := sh.config(spec)
	cfg.Tape, cfg.NoTape = tape, false
	o, err := workloads.Run(cfg)
	if err != nil || o.Kind() != sh.kind {
		return nil
	}
	return o.Tape()
}

// shrinkSpec greedily takes the first ShrinkSpec candidate that still fails, either replaying
// the current tape (the same interleaving, as far as it fits the smaller Spec) or run afresh
// from the seed, until none does. It returns the Spec and the tape that makes it fail.
func (sh *shrinker) shrinkSpec(base *workloads.Outcome) (workloads.Spec, *des.Tape, error) {
	spec, tape := base.Spec, base.Tape()
	for improved := true; improved; {
		improved = false
		next := workloads.ShrinkSpec(spec)
		for v, ok := next(); ok && sh.runs < sh.maxRuns; v, ok = next() {
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
	return spec, tape, nil
}

// shrinkTape deletes, then zeroes, chunks of each stream of the tape, halving the chunk size
// down to one decision, and repeats while anything changes.
func (sh *shrinker) shrinkTape(spec workloads.Spec, tape *des.Tape) *des.Tape {
	try := func(t *des.Tape) bool {
		cfg := sh.config(spec)
		cfg.Tape = t
		return sh.fails(cfg)
	}
	for changed := true; changed && sh.runs < sh.maxRuns; {
		changed = false
		for _, name := range tape.StreamNames() {
			for chunk := max(1, len(tape.Streams[name])/2); chunk >= 1 && sh.runs < sh.maxRuns; chunk /= 2 {
				for i := 0; i < len(tape.Streams[name]) && sh.runs < sh.maxRuns; {
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
