package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"hotplugsim/des"
	"hotplugsim/reports/causal"
	"hotplugsim/workloads"
)

const exploreSynopsis = `Run every schedule of one seed of a scenario within --bound delays of the non-preemptive base
schedule (each process runs until it blocks), fewest delays first, and stop at the first that
fails. Taking the r-th candidate instead of the base's choice costs r delays; candidates are the
other runnable processes, then those waking within the scenario's delay bound (time moving on
while the runnable ones wait). A seed fixes the model's own random durations (a GPU job's
length, an event's time), which no schedule changes: --seeds lo:hi searches each seed in turn.
Use a small Spec: the number of schedules grows as (decisions)^bound.

It ends with "exhausted: N schedules within delay bound B, none failed", a claim about every
schedule of that configuration, or with the first failing schedule, printed like 'desrun run'
and saved with --tape for 'desrun replay' and 'desrun shrink'. --shard k/n runs the k-th of n
parts (split by the first deviation from the base); --state FILE saves progress and resumes
from it. --cost deviations counts every pick other than the base's as 1, whatever its rank
(preemption-bounding style): it reaches a process that became runnable last behind many others,
at the price of more schedules per level.

Schedules equivalent to one the search runs within the bound (they differ only in the order of
steps that touch different objects, and reach the same state at no more cost) are cut where
they reach that state and counted as pruned; --por=false runs them all.`

func runExplore(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("explore", "", exploreSynopsis)
	idf := addIdentFlags(f)
	seedRange := f.String("seeds", "1", "seed, or range lo:hi, of the model's own random durations")
	bound := f.Int("bound", 2, fmt.Sprintf("delays allowed (0 to %d)", des.MaxSearchBound))
	maxSched := f.Int("max-schedules", 100_000, "stop after this many schedules")
	costName := f.String("cost", "delays", "what a pick other than the base's costs: delays (its rank) or deviations (1)")
	shard := f.String("shard", "", "run shard k of n: k/n")
	statePath := f.String("state", "", "save progress to this file and resume from it")
	tapePath := f.String("tape", "", "save the failing schedule's tape to this file")
	asJSON := f.Bool("json", false, "print the result as one JSON object")
	por := f.Bool("por", true, "prune schedules equivalent to one run within the bound (partial-order reduction)")
	if _, err := f.parse(args, stdout, 0, 0); err != nil {
		return ExitUsage, err
	}
	id, err := idf.resolve()
	if err != nil {
		return ExitUsage, err
	}
	if *bound < 0 || *bound > des.MaxSearchBound {
		return ExitUsage, fmt.Errorf("bad --bound %d: want 0 to %d", *bound, des.MaxSearchBound)
	}
	cost, err := des.ParseSearchCost(*costName)
	if err != nil {
		return ExitUsage, err
	}
	if *maxSched < 1 {
		return ExitUsage, fmt.Errorf("bad --max-schedules %d: want at least 1", *maxSched)
	}
	k, n, err := parseShard(*shard)
	if err != nil {
		return ExitUsage, err
	}
	lo, hi, err := parseSeeds(*seedRange)
	if err != nil {
		return ExitUsage, err
	}
	if *statePath != "" && lo != hi {
		return ExitUsage, fmt.Errorf("--state resumes the search of one seed: give --seeds N")
	}
	if hi-lo >= 1_000_000 {
		return ExitUsage, fmt.Errorf("bad --seeds %q: at most 1000000 seeds", *seedRange)
	}
	if err := checkOutputs([]string{*tapePath, *statePath}, []string{id.specPath}); err != nil {
		return ExitUsage, err
	}
	var total *workloads.ExploreResult
	seed := lo
	for ; ; seed++ {
		res, err := exploreSeed(id, seed, searchOpts{*bound, cost, *maxSched, k, n, !*por}, *statePath, *shard)
		if err != nil {
			return ExitUsage, err
		}
		total = addExplore(total, res)
		if res.Failure != nil || !res.Exhausted || seed == hi {
			break
		}
	}
	res := total
	if res.Failure != nil && *tapePath != "" {
		if err := saveTape(*tapePath, res.Failure.Tape()); err != nil {
			return ExitUsage, err
		}
	}
	printExplore(stdout, id, seedSpan(lo, seed), *bound, cost, res, *asJSON, *tapePath)
	if res.Failure != nil {
		return ExitViolation, nil
	}
	return ExitPass, nil
}

// seedSpan is "lo", or "lo:hi" when the search went past lo.
func seedSpan(lo, hi uint64) string {
	if hi == lo {
		return fmt.Sprintf("%d", lo)
	}
	return fmt.Sprintf("%d:%d", lo, hi)
}

// searchOpts are the search's settings from the flags.
type searchOpts struct {
	bound    int
	cost     des.SearchCost
	maxSched int
	k, n     int // shard k of n
	noPOR    bool
}

// exploreSeed searches one seed, resuming from and saving to statePath if set.
func exploreSeed(id ident, seed uint64, o searchOpts, statePath, shard string) (*workloads.ExploreResult, error) {
	cfg := workloads.ExploreConfig{RunConfig: id.config(seed), Bound: o.bound, Cost: o.cost, MaxSchedules: o.maxSched,
		Shard: o.k, Shards: o.n, NoPOR: o.noPOR}
	cfg.TraceRing = traceRing
	st := exploreState{Scenario: id.sc.Name, Policy: id.policy, Spec: specHash(id), Seed: seed,
		Bound: o.bound, Shard: shard, Faults: id.faults, NoPOR: o.noPOR}
	if o.cost != des.CostDelays {
		st.Cost = o.cost.String()
	}
	if statePath != "" {
		var err error
		if cfg.Resume, err = st.load(statePath); err != nil {
			return nil, err
		}
		cfg.Progress = func(p des.SearchPoint) {
			st.Point = p
			if p.Done%256 == 0 {
				_ = st.save(statePath) // progress only; the final state is saved below
			}
		}
	}
	res, err := workloads.Explore(cfg)
	if err != nil {
		return nil, err
	}
	if statePath != "" {
		st.Finished = res.Exhausted || res.Failure != nil
		if err := st.save(statePath); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// addExplore adds the counts of res to total (nil: none yet) and keeps res's failure.
func addExplore(total, res *workloads.ExploreResult) *workloads.ExploreResult {
	if total == nil {
		return res
	}
	total.Schedules += res.Schedules
	total.Runs += res.Runs
	total.Pruned += res.Pruned
	for i, c := range res.ByDelays {
		total.ByDelays[i] += c
	}
	total.Exhausted = res.Exhausted
	total.Failure, total.FailureDelays = res.Failure, res.FailureDelays
	return total
}

// prunedNote is " (M pruned as equivalent)", or "" when the reduction pruned nothing.
func prunedNote(pruned int) string {
	if pruned == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d pruned as equivalent)", pruned)
}

func specHash(id ident) string {
	if id.spec != nil {
		return id.spec.Hash()
	}
	return id.sc.Spec.Hash()
}

// verdict is the search's one-line conclusion.
func exploreVerdict(bound int, cost des.SearchCost, seeds string, res *workloads.ExploreResult) string {
	switch {
	case res.Failure != nil:
		return fmt.Sprintf("failed: schedule %d, seed %d, with %d %s, %s", res.Schedules, res.Failure.Seed,
			res.FailureDelays, cost, res.Failure.Violation.Kind)
	case res.Exhausted:
		unit := "delay"
		if cost == des.CostDeviations {
			unit = "deviation"
		}
		return fmt.Sprintf("exhausted: %d schedules within %s bound %d (seeds %s)%s, none failed", res.Schedules, unit, bound,
			seeds, prunedNote(res.Pruned))
	}
	return fmt.Sprintf("not exhausted: stopped after %d schedules%s (--max-schedules), none failed", res.Schedules,
		prunedNote(res.Pruned))
}

type exploreJSON struct {
	Scenario  string             `json:"scenario"`
	Policy    string             `json:"policy"`
	Seeds     string             `json:"seeds"`
	Bound     int                `json:"bound"`
	Schedules int                `json:"schedules"`
	ByDelays  []int              `json:"by_delays"`
	Runs      int                `json:"runs"`
	Pruned    int                `json:"pruned"`
	Exhausted bool               `json:"exhausted"`
	Verdict   string             `json:"verdict"`
	Failure   *workloads.Outcome `json:"failure"`
}

func printExplore(w io.Writer, id ident, seeds string, bound int, cost des.SearchCost, res *workloads.ExploreResult, asJSON bool, tapePath string) {
	verdict := exploreVerdict(bound, cost, seeds, res)
	if asJSON {
		b, _ := json.Marshal(exploreJSON{Scenario: id.sc.Name, Policy: id.policy, Seeds: seeds,
			Bound: bound, Schedules: res.Schedules, ByDelays: res.ByDelays, Runs: res.Runs, Pruned: res.Pruned, Exhausted: res.Exhausted,
			Verdict: verdict, Failure: res.Failure})
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	if res.Failure != nil {
		repro := "desrun replay " + shellArg(tapePath)
		if tapePath == "" {
			repro = "save the schedule with --tape FILE, then: desrun replay FILE"
		}
		printOutcome(w, res.Failure, repro, causal.Options{})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "search\t%s/%s seeds %s: every schedule within %d %s of the base; time may move on by up to %v\n",
		id.sc.Name, id.policy, seeds, bound, cost, id.sc.DelayBound)
	by := make([]string, len(res.ByDelays))
	for i, c := range res.ByDelays {
		by[i] = fmt.Sprintf("%d: %d", i, c)
	}
	fmt.Fprintf(tw, "schedules\t%d (by %s %s; %d runs with deepening)\n", res.Schedules, cost, strings.Join(by, ", "), res.Runs)
	fmt.Fprintf(tw, "verdict\t%s\n", verdict)
	tw.Flush()
}

// exploreState is the --state file: the search's identity and how far it got.
type exploreState struct {
	Scenario string          `json:"scenario"`
	Policy   string          `json:"policy"`
	Spec     string          `json:"spec_hash"`
	Seed     uint64          `json:"seed"`
	Bound    int             `json:"bound"`
	Cost     string          `json:"cost,omitempty"` // empty: delays
	Shard    string          `json:"shard,omitempty"`
	Faults   bool            `json:"faults,omitempty"`
	NoPOR    bool            `json:"no_por,omitempty"`
	Point    des.SearchPoint `json:"point"`
	Finished bool            `json:"finished"`
}

// load returns where to resume: nothing when the file does not exist yet, an error when it
// belongs to another search or the search it records has finished.
func (st exploreState) load(path string) (des.SearchPoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return des.SearchPoint{}, nil
	}
	if err != nil {
		return des.SearchPoint{}, fmt.Errorf("cannot read %s: %w", path, unwrapPath(err))
	}
	var old exploreState
	if err := json.Unmarshal(b, &old); err != nil {
		return des.SearchPoint{}, fmt.Errorf("%s: not an explore state file: %v", path, err)
	}
	want, got := st, old
	want.Point, got.Point, got.Finished = des.SearchPoint{}, des.SearchPoint{}, false
	if want != got {
		return des.SearchPoint{}, fmt.Errorf("%s: state of another search (%s/%s seed %d bound %d); remove it or use another file",
			path, old.Scenario, old.Policy, old.Seed, old.Bound)
	}
	if old.Finished {
		return des.SearchPoint{}, fmt.Errorf("%s: that search has finished; remove the file to run it again", path)
	}
	if old.Point.Delays < 0 || old.Point.Delays > st.Bound || old.Point.Done < 0 {
		return des.SearchPoint{}, fmt.Errorf("%s: bad progress %+v", path, old.Point)
	}
	return old.Point, nil
}

func (st exploreState) save(path string) error {
	return writeFile(path, func(w io.Writer) error {
		return json.NewEncoder(w).Encode(st)
	})
}
