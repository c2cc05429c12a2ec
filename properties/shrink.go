package properties

import (
	"fmt"
	"regexp"
	"strings"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

// DefaultMaxRuns bounds the runs Shrink takes when its maxRuns is 0.
const DefaultMaxRuns = 5000

// Shrunk is the minimal run Shrink found.
type Shrunk struct {
	Base *workloads.Outcome // the run shrunk
	Spec workloads.Spec     // the minimal run's Spec
	Tape *des.Tape          // replayed with Spec, it is the minimal run (its Meta names an earlier one)
	// TapeBefore is the base run's decisions.
	TapeBefore int
	Kind       string // the violation kind kept
	Title      string // ViolationTitle of the violation kept
	// Events is the minimal run's trace events; Runs the runs shrinking took, at most MaxRuns.
	Events        uint64
	Runs, MaxRuns int
	// Limited is true when shrinking stopped at MaxRuns with candidates left to try: the
	// result reproduces the violation but may not be minimal.
	Limited bool
}

// Shrink minimises the failing run cfg (replaying cfg.Tape if set) while the same violation
// reproduces: the same kind and ViolationTitle, in a run no longer (in trace events) than the
// smallest so far, so that it never trades decisions for a longer run. Each round shrinks
// the Spec first, greedily with workloads.ShrinkSpec (a candidate runs with the current tape,
// else afresh from the seed), then the tape, delta-debugging style (delete chunks of each
// stream, then zero them, halving the chunk size); rounds repeat while one shrinks anything.
// It takes at most maxRuns runs (0: DefaultMaxRuns). An error is about cfg, or says that the
// run does not fail.
func Shrink(cfg workloads.RunConfig, maxRuns int) (*Shrunk, error) {
	if maxRuns <= 0 {
		maxRuns = DefaultMaxRuns
	}
	base, err := workloads.Run(cfg)
	if err != nil {
		return nil, err
	}
	if base.Violation == nil {
		return nil, fmt.Errorf("the run does not fail (seed %d, %s/%s): nothing to shrink", base.Seed, base.Scenario, base.Policy)
	}
	sh := &shrinker{base: cfg, maxRuns: maxRuns, kind: base.Violation.Kind,
		title: ViolationTitle(base.Violation.Message), events: base.Events}
	spec, tape := base.Spec, base.Tape()
	if tape == nil { // cfg.NoTape: record the base run's decisions
		rec := sh.config(spec)
		rec.Tape, rec.NoTape = cfg.Tape, false
		o, err := workloads.Run(rec)
		if err != nil {
			return nil, err
		}
		tape = o.Tape()
	}
	before := tape.Len()
	for {
		events, size := sh.events, spec.Size()
		spec, tape = sh.shrinkSpec(spec, tape)
		tape = sh.shrinkTape(spec, tape)
		// A shorter run can make Spec candidates that failed before fit: go on until a round
		// changes neither.
		if sh.events == events && spec.Size() == size || !sh.budget() {
			break
		}
	}
	return &Shrunk{Base: base, Spec: spec, Tape: tape, TapeBefore: before, Kind: sh.kind, Title: sh.title, Events: sh.events,
		Runs: sh.runs, MaxRuns: maxRuns, Limited: sh.limited}, nil
}

// Same reports whether o is the violation s kept: the same kind and title.
func (s *Shrunk) Same(o *workloads.Outcome) bool {
	return o.Violation != nil && o.Violation.Kind == s.Kind && ViolationTitle(o.Violation.Message) == s.Title
}

type shrinker struct {
	base    workloads.RunConfig
	kind    string
	title   string
	events  uint64 // trace events of the smallest accepted run
	runs    int
	maxRuns int
	limited bool // a candidate was left untried for want of runs
}

// ViolationTitle is the first line of a violation message with every number (a duration with
// its unit, hex, decimal) replaced by N: what names the bug, not the addresses, times and
// instances of one run.
func ViolationTitle(msg string) string {
	line, _, _ := strings.Cut(msg, "\n")
	return strings.Join(strings.Fields(reNumber.ReplaceAllString(line, "N")), " ")
}

var reNumber = regexp.MustCompile(`[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s)\b|0[xX][0-9a-fA-F]+|[0-9]+`)

func (sh *shrinker) config(spec workloads.Spec) workloads.RunConfig {
	cfg := sh.base
	cfg.Spec, cfg.Tape, cfg.TraceRing, cfg.NoTape, cfg.Sink, cfg.Metrics, cfg.Coverage = &spec, nil, -1, true, nil, nil, nil
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
	return o.Violation != nil && o.Violation.Kind == sh.kind && ViolationTitle(o.Violation.Message) == sh.title
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
