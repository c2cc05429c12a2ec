package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"hotplugsim/des"
	"hotplugsim/properties"
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
	sh, err := properties.Shrink(src.config(), *maxRuns)
	if err != nil {
		return ExitUsage, err
	}
	base, spec, tape := sh.Base, sh.Spec, sh.Tape
	st := shrinkStats{SpecBefore: base.Spec.Size(), TapeBefore: tapeLen(src.tape, base), EventsBefore: base.Events,
		ProcsBefore: base.Procs, MaxRuns: *maxRuns, Kind: sh.Kind, Title: sh.Title, Tape: *out}
	cfg := src.config()
	cfg.Spec, cfg.Tape, cfg.TraceRing = &spec, tape, traceRing
	min, err := workloads.Run(cfg)
	if err != nil {
		return ExitUsage, err
	}
	if !sh.Same(min) || min.Events != sh.Events { // cannot happen: every accepted step reproduced it
		return ExitUsage, fmt.Errorf("internal error: the minimal tape gives %q (%s, %d events), not %q", min.Kind(), min.Verdict, min.Events, sh.Kind)
	}
	tape.Meta = min.Meta()
	replayed, err := verifyTape(tape, min)
	if err != nil {
		return ExitUsage, err
	}
	if err := saveTape(*out, tape); err != nil {
		return ExitUsage, err
	}
	st.SpecAfter, st.TapeAfter, st.Runs = spec.Size(), tape.Len(), sh.Runs
	st.EventsAfter, st.ProcsAfter, st.Verified = min.Events, min.Procs, replayed.Fingerprint
	if sh.Limited {
		st.RunLimit = true
		st.Note = fmt.Sprintf("stopped at the run limit (%d): the result may not be minimal; raise --max-runs", sh.MaxRuns)
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
	fmt.Fprintf(tw, "shrunk\t%s/%s seed %d: %s, in %d runs\n", src.id.sc.Name, src.id.policy, src.seed, sh.Kind, sh.Runs)
	fmt.Fprintf(tw, "title\t%s\n", sh.Title)
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
