package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/reports/causal"
	"hotplugsim/workloads"
)

const runSynopsis = `Run one seed of a scenario and print the verdict. On a violation: its kind and message,
the causal slice of the trace (only the processes and objects involved, in order) and the
line that reproduces the run. --trace writes the whole trace as Chrome trace JSON (open it in
Perfetto); --tape saves the choice tape for 'desrun replay' and 'desrun shrink'.
--check-determinism runs the seed again and replays the tape, and fails (exit 2) unless all
three fingerprints agree. --metrics records the model's latency metrics (virtual time) and
prints p50 ... max per metric (with --json: the metrics file under "metrics"). --out saves the
result (with its metrics and Spec) as a run file that 'desrun plot' and 'desrun report' read.`

// sliceFlags are --slice and --slice-all, on run and replay.
type sliceFlags struct {
	max *int
	all *bool
}

func addSliceFlags(f flags) sliceFlags {
	return sliceFlags{
		max: f.Int("slice", causal.DefaultMax, "events the causal slice shows (the ones the violation references always are; -1: all)"),
		all: f.Bool("slice-all", false, "show the engine's bookkeeping (sleep, busy, preempt, spawn) and empty lock/unlock pairs in the causal slice"),
	}
}

func (s sliceFlags) options() (causal.Options, error) {
	if *s.max == 0 || *s.max < -1 {
		return causal.Options{}, fmt.Errorf("--slice %d: want a number of events >= 1, or -1 for all", *s.max)
	}
	return causal.Options{Max: *s.max, All: *s.all}, nil
}

// traceRing is how many events run, replay and shrink keep for the causal slice.
const traceRing = 1 << 16

func runRun(args []string, stdout, stderr io.Writer) (int, error) {
	f := newFlags("run", "", runSynopsis)
	idf := addIdentFlags(f)
	seed := f.Uint64("seed", 1, "seed")
	tracePath := f.String("trace", "", "write the full trace as Chrome trace JSON to this file")
	tapePath := f.String("tape", "", "save the choice tape to this file")
	check := f.Bool("check-determinism", false, "rerun and replay; fail unless the fingerprints agree")
	asJSON := f.Bool("json", false, "print the result as one JSON object")
	withMetrics := f.Bool("metrics", false, "record latency metrics and print them")
	outPath := f.String("out", "", "save the result as a run file (JSON, for 'desrun plot' and 'desrun report')")
	slf := addSliceFlags(f)
	if _, err := f.parse(args, stdout, 0, 0); err != nil {
		return ExitUsage, err
	}
	sliceOpt, err := slf.options()
	if err != nil {
		return ExitUsage, err
	}
	id, err := idf.resolve()
	if err != nil {
		return ExitUsage, err
	}
	if err := checkOutputs([]string{*tracePath, *tapePath, *outPath}, []string{id.specPath}); err != nil {
		return ExitUsage, err
	}
	cfg := id.config(*seed)
	cfg.TraceRing = traceRing
	if *withMetrics {
		cfg.Metrics = metrics.NewRecorder()
	}
	var tr *traceRec
	if *tracePath != "" {
		tr = &traceRec{}
		cfg.Sink = tr.add
	}
	o, err := workloads.Run(cfg)
	if err != nil {
		return ExitUsage, err
	}
	if *check {
		if err := checkDeterminism(id, o); err != nil {
			return ExitUsage, err
		}
	}
	if tr != nil {
		if err := tr.write(*tracePath, o); err != nil {
			return ExitUsage, err
		}
	}
	if *tapePath != "" {
		if err := saveTape(*tapePath, o.Tape()); err != nil {
			return ExitUsage, err
		}
	}
	if *outPath != "" {
		if err := saveRunFile(*outPath, o, o.Command(id.specPath)); err != nil {
			return ExitUsage, err
		}
	}
	if *asJSON {
		printJSON(stdout, o, o.Command(id.specPath))
	} else {
		printOutcome(stdout, o, o.Command(id.specPath), sliceOpt)
		if *check {
			fmt.Fprintf(stdout, "determinism  ok: rerun and tape replay give fingerprint %s\n", o.Fingerprint)
		}
		if o.Metrics != nil {
			printMetrics(stdout, o.Metrics)
		}
	}
	return exitFor(o), nil
}

func exitFor(o *workloads.Outcome) int {
	if o.Violation != nil {
		return ExitViolation
	}
	return ExitPass
}

// checkDeterminism reruns the seed and replays the tape of o; all must agree.
func checkDeterminism(id ident, o *workloads.Outcome) error {
	again, err := workloads.Run(id.config(o.Seed))
	if err != nil {
		return err
	}
	cfg := id.config(o.Seed)
	cfg.Tape = o.Tape()
	replayed, err := workloads.Run(cfg)
	if err != nil {
		return err
	}
	if again.Fingerprint != o.Fingerprint || replayed.Fingerprint != o.Fingerprint {
		return fmt.Errorf("determinism check failed: fingerprint %s, rerun %s, tape replay %s",
			o.Fingerprint, again.Fingerprint, replayed.Fingerprint)
	}
	return nil
}

// runJSON is a run result with the line that reproduces it.
type runJSON struct {
	*workloads.Outcome
	Reproduce   string `json:"reproduce"`
	ToolVersion string `json:"tool_version"`
}

func printJSON(w io.Writer, o *workloads.Outcome, repro string) {
	b, _ := json.Marshal(runJSON{o, repro, toolVersion()})
	fmt.Fprintf(w, "%s\n", b)
}

func printOutcome(w io.Writer, o *workloads.Outcome, repro string, sliceOpt causal.Options) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scenario\t%s\n", o.Scenario)
	fmt.Fprintf(tw, "policy\t%s\n", o.Policy)
	fmt.Fprintf(tw, "seed\t%d\n", o.Seed)
	fmt.Fprintf(tw, "strategy\t%s\n", o.Strategy)
	fmt.Fprintf(tw, "verdict\t%s\n", o.Verdict)
	if v := o.Violation; v != nil {
		title, _, _ := strings.Cut(v.Message, "\n")
		fmt.Fprintf(tw, "violation\t%s at %v in %s: %s\n", v.Kind, des.Duration(v.TimeNs), v.Process, title)
	}
	budget := ""
	if o.Budget != "" {
		budget = ", budget " + o.Budget + " ran out"
	}
	fmt.Fprintf(tw, "run\t%d processes, %d steps, %d events, %v virtual%s\n", o.Procs, o.Steps, o.Events, des.Duration(o.VirtualNs), budget)
	if line := exploreLine(o); line != "" {
		fmt.Fprintf(tw, "schedule\t%s\n", line)
	}
	fmt.Fprintf(tw, "fingerprint\t%s\n", o.Fingerprint)
	tw.Flush()
	if v := o.Violation; v != nil {
		printReport(w, v)
		printSlice(w, o, sliceOpt)
		if s := o.Result.First().Stack; s != "" {
			fmt.Fprintf(w, "stack:\n%s\n", s)
		}
	}
	fmt.Fprintf(w, "reproduce    %s\n", repro)
	if r := reduceLine(repro); o.Violation != nil && r != "" {
		fmt.Fprintf(w, "to reduce    %s\n", r)
	}
}

// printReport prints the violation's whole report as dmesg shows it: each line after the
// virtual time in seconds, between blank lines.
func printReport(w io.Writer, v *workloads.ViolationInfo) {
	stamp := fmt.Sprintf("[%12.6f] ", float64(v.TimeNs)/1e9)
	fmt.Fprintln(w)
	for line := range strings.Lines(v.Message) {
		fmt.Fprintln(w, strings.TrimRight(stamp+line, " \n"))
	}
	fmt.Fprintln(w)
}

// reduceLine is the desrun shrink command for the run a reproduce line runs ("" if none).
func reduceLine(repro string) string {
	for _, cmd := range []string{"desrun run ", "desrun replay "} {
		if rest, ok := strings.CutPrefix(repro, cmd); ok {
			return "desrun shrink " + rest
		}
	}
	return ""
}

// exploreLine says what the strategy did: PCT's d and k and the change points inside the run
// (its guarantee holds for a depth-d bug with probability 1/(n·k^(d-1))), the times time moved
// on while processes waited, the fault sites that failed.
func exploreLine(o *workloads.Outcome) string {
	var parts []string
	if o.MixChoice != "" {
		parts = append(parts, "mix chose "+o.MixChoice)
	}
	if o.Depth > 0 {
		parts = append(parts, fmt.Sprintf("pct d=%d k=%d, %d of %d change points inside the run", o.Depth, o.PCTK,
			o.ChangePoints, o.Depth-1))
	}
	if o.Deferrals > 0 {
		parts = append(parts, fmt.Sprintf("time moved on %d times while processes waited", o.Deferrals))
	}
	if o.Faults {
		parts = append(parts, fmt.Sprintf("%d fault sites failed", o.FaultsFired))
	}
	return strings.Join(parts, "; ")
}

// printSlice prints the causal slice of o's first violation: one line per event with its
// trace seq (the "(trace #N)" messages cite), the events the violation references marked
// "*", and how many events were left out where they were.
func printSlice(w io.Writer, o *workloads.Outcome, opt causal.Options) {
	sl := o.Slice(opt)
	fmt.Fprintf(w, "causal slice (%d events of the processes and objects involved, in order; * referenced by the violation", len(sl.Events))
	if sl.Omitted > 0 {
		fmt.Fprintf(w, "; %d more left out, --slice sizes it", sl.Omitted)
	}
	if sl.Hidden > 0 {
		fmt.Fprintf(w, "; %d engine events hidden, --slice-all shows them", sl.Hidden)
	}
	fmt.Fprintln(w, "):")
	_ = sl.Write(w, o.ProcName)
}
