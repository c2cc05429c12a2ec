package des

import (
	"fmt"
	"slices"
)

// Bounded systematic search.
//
// Search runs every schedule of a program that is within a bound of delays from the
// non-preemptive base schedule, in order of delays (iterative deepening: all schedules with 0
// delays, then 1, then 2 ...), and stops at the first that fails. The base schedule lets the
// process that ran last go on while it can and otherwise picks the longest-runnable process,
// and it never lets time move on while a process is runnable. At each decision the candidates
// are ranked: the base's choice first, then the other runnable processes in the order they
// became runnable, then (with a delay bound, Config.DelayBound) the processes waking within
// it, soonest first; taking the candidate of rank r costs r delays, as in Emmi, Qadeer and
// Rakamarić's delay bounding (POPL 2011). With CostDeviations every candidate other than the
// base's costs 1 instead, whatever its rank: the bound is then on the number of decisions that
// differ from the base, as preemption bounding bounds context switches (Musuvathi and Qadeer,
// PLDI 2007), and a process that became runnable last is as cheap to pick as the next in line
// (a bug that needs the newest of a hundred threads to run in one window is one deviation
// away, where delay bounding needs a hundred delays); the price is more schedules per level,
// about (decisions x candidates)^bound. A search that ends without a failure is a claim: no
// schedule within the bound fails.
//
// Each schedule is a fresh run of build; the runs are deterministic, so a schedule is a
// prefix of ranks, and its failing run's tape replays and shrinks like any other.
// Equivalent schedules are pruned (see por.go) unless SearchConfig.NoPOR is set: a schedule
// that reaches a state an earlier prefix of no more cost reached is cut there, and the
// schedules extending it past that point are not generated. Schedules counts the schedules
// run to their end, Pruned those cut (a cut prefix counts once for every schedule under it).

// SearchConfig configures Search. Config sets the seed (the model's own random durations),
// the delay bound, budgets and fault sites; its Strategy, Scheduler and Tape are ignored.
type SearchConfig struct {
	Config
	Bound        int // delays (deviations with CostDeviations) allowed, 0 to MaxSearchBound
	Cost         SearchCost
	MaxSchedules int // stop after this many schedules, pruned ones included (0: DefaultMaxSchedules)
	// Shard and Shards split the search: shard k of n (1-based) runs the schedules under every
	// n-th first deviation from the base schedule (the base schedule belongs to shard 1).
	Shard, Shards int
	// Resume skips what an interrupted search already did: every level below Resume.Delays,
	// and the first Resume.Done schedules of that level.
	Resume SearchPoint
	// Progress, if set, is called after every schedule (pruned ones included) with the point
	// reached.
	Progress func(SearchPoint)
	// NoPOR turns off the pruning of equivalent schedules (see por.go).
	NoPOR bool
}

// SearchCost is what taking a candidate other than the base's costs.
type SearchCost int

const (
	// CostDelays: the candidate of rank r costs r delays (delay bounding).
	CostDelays SearchCost = iota
	// CostDeviations: every candidate other than the base's costs 1.
	CostDeviations
)

// String is the cost's name in ParseSearchCost.
func (c SearchCost) String() string {
	if c == CostDeviations {
		return "deviations"
	}
	return "delays"
}

// ParseSearchCost parses "delays" or "deviations".
func ParseSearchCost(name string) (SearchCost, error) {
	switch name {
	case "delays", "":
		return CostDelays, nil
	case "deviations":
		return CostDeviations, nil
	}
	return 0, fmt.Errorf("search cost %q: want delays or deviations", name)
}

// price is what the candidate of rank r (r >= 1) costs.
func (c SearchCost) price(rank int) int {
	if c == CostDeviations {
		return 1
	}
	return rank
}

// SearchPoint is how far a search got: Done schedules with exactly Delays delays (deviations
// with CostDeviations).
type SearchPoint struct {
	Delays int `json:"delays"`
	Done   int `json:"done"`
}

// MaxSearchBound and DefaultMaxSchedules bound a search.
const (
	MaxSearchBound      = 8
	DefaultMaxSchedules = 1_000_000
)

// SearchResult is what a search found.
type SearchResult struct {
	// Schedules counts the distinct schedules run, ByDelays those with 0, 1, ... delays (or
	// deviations: the unit of SearchConfig.Cost).
	Schedules int
	ByDelays  []int
	// Exhausted reports that every schedule within the bound (of this shard) was run.
	Exhausted bool
	// Failure is the first failing run (nil if none), FailureDelays its cost.
	Failure       *Result
	FailureDelays int
	// Runs counts every run, including the re-runs of shallower schedules that deepening makes.
	Runs int
	// Pruned counts the schedules cut as equivalent to one the search runs within the bound,
	// and the prefixes whose extensions were cut so (each once); see por.go.
	Pruned int
}

// Search explores the schedules of the program build spawns (see the section above).
func Search(cfg SearchConfig, build func(*Sim) error) (SearchResult, error) {
	if cfg.Bound < 0 || cfg.Bound > MaxSearchBound {
		return SearchResult{}, fmt.Errorf("search bound %d: want 0 to %d", cfg.Bound, MaxSearchBound)
	}
	if cfg.Cost != CostDelays && cfg.Cost != CostDeviations {
		return SearchResult{}, fmt.Errorf("search cost %d: want CostDelays or CostDeviations", cfg.Cost)
	}
	if cfg.Shards == 0 {
		cfg.Shard, cfg.Shards = 1, 1
	}
	if cfg.Shards < 1 || cfg.Shard < 1 || cfg.Shard > cfg.Shards {
		return SearchResult{}, fmt.Errorf("search shard %d/%d: want 1 <= k <= n", cfg.Shard, cfg.Shards)
	}
	if cfg.MaxSchedules <= 0 {
		cfg.MaxSchedules = DefaultMaxSchedules
	}
	sr := &searcher{cfg: cfg, build: build}
	sr.res.ByDelays = make([]int, cfg.Bound+1)
	for level := cfg.Resume.Delays; level <= cfg.Bound; level++ {
		sr.level, sr.done, sr.skip = level, 0, 0
		if !cfg.NoPOR {
			sr.table = &porTable{seen: map[digest]int32{}}
		}
		if level == cfg.Resume.Delays {
			sr.skip = cfg.Resume.Done
		}
		stop, err := sr.visit(nil, 0, -1)
		if err != nil || stop {
			return sr.res, err
		}
	}
	sr.res.Exhausted = true
	return sr.res, nil
}

type searcher struct {
	cfg   SearchConfig
	build func(*Sim) error
	res   SearchResult
	level int       // the number of delays of the schedules this pass runs
	done  int       // schedules of this level done, skipped ones included
	skip  int       // schedules of this level done by an earlier search
	table *porTable // this level's states (nil: no reduction)
}

// visit handles the schedule prefix (cost delays, under top-level deviation top, -1 for
// the base schedule) and its descendants. It reports whether the search stops.
func (sr *searcher) visit(prefix []uint16, cost, top int) (bool, error) {
	leaf := cost == sr.level
	if leaf && sr.done < sr.skip {
		sr.done++
		return false, nil
	}
	if leaf && !sr.inShard(top) {
		return false, nil
	}
	if sr.res.Schedules+sr.res.Pruned >= sr.cfg.MaxSchedules {
		return true, nil
	}
	r, sizes, cut, err := sr.run(prefix, cost, leaf)
	if err != nil {
		return true, err
	}
	if leaf {
		return sr.leaf(r, cost, cut >= 0), nil
	}
	if cut >= 0 {
		// The extensions deviating at or after cut reach an equivalent state at no more cost.
		sizes = sizes[:cut]
		if sr.done >= sr.skip && sr.inShard(top) {
			sr.res.Pruned++
		}
	}
	return sr.children(prefix, sizes, cost, top)
}

// leaf counts a schedule of this level, run to its end or cut as equivalent, and reports
// whether the search stops (it failed).
func (sr *searcher) leaf(r Result, cost int, cut bool) bool {
	sr.done++
	if cut {
		sr.res.Pruned++
	} else {
		sr.res.Schedules++
		sr.res.ByDelays[cost]++
	}
	if sr.cfg.Progress != nil {
		sr.cfg.Progress(SearchPoint{Delays: sr.level, Done: sr.done})
	}
	if !cut && !r.OK() {
		sr.res.Failure, sr.res.FailureDelays = &r, cost
		return true
	}
	return false
}

// children visits every extension of prefix that deviates once more, later than its last
// deviation, within the level's bound.
func (sr *searcher) children(prefix, sizes []uint16, cost, top int) (bool, error) {
	child := 0
	for j := len(prefix); j < len(sizes); j++ {
		for rank := 1; rank < int(sizes[j]) && cost+sr.cfg.Cost.price(rank) <= sr.level; rank++ {
			next := make([]uint16, j+1)
			copy(next, prefix)
			next[j] = uint16(rank)
			t := top
			if top < 0 {
				t = child
			}
			child++
			if stop, err := sr.visit(next, cost+sr.cfg.Cost.price(rank), t); stop || err != nil {
				return stop, err
			}
		}
	}
	return false, nil
}

func (sr *searcher) inShard(top int) bool {
	if top < 0 {
		return sr.cfg.Shard == 1
	}
	return top%sr.cfg.Shards == sr.cfg.Shard-1
}

// run runs the schedule prefix and returns its result, the candidate count at each of its
// decisions, and the decision at which the reduction cut it (-1: none).
func (sr *searcher) run(prefix []uint16, cost int, leaf bool) (Result, []uint16, int, error) {
	cfg := sr.cfg.Config
	cfg.Strategy, cfg.Scheduler, cfg.Tape = "search", nil, nil
	var pr *porRun
	if sr.table != nil {
		pr = newPORRun(sr.table, cost, len(prefix), !leaf)
		if user := cfg.Sink; user != nil {
			cfg.Sink = func(e Event) { pr.event(e); user(e) }
		} else {
			cfg.Sink = pr.event
		}
	}
	s, err := New(cfg)
	if err != nil {
		return Result{}, nil, -1, err
	}
	st := s.strat.(*searchStrategy)
	st.prefix, st.por = prefix, pr
	if err := sr.build(s); err != nil {
		return Result{}, nil, -1, err
	}
	sr.res.Runs++
	r := s.Run()
	if pr != nil && pr.cut >= 0 {
		return r, st.sizes, pr.cut, nil
	}
	return r, st.sizes, -1, nil
}

// searchStrategy takes its decisions from a prefix of ranks and the base schedule after it
// (see the section above). Named "search" with no prefix, it is the base schedule.
type searchStrategy struct {
	prefix []uint16
	sizes  []uint16
	por    *porRun // the reduction's view of the run (nil: none)
}

func (*searchStrategy) Name() string               { return "search" }
func (*searchStrategy) Start(*Sim)                 {}
func (*searchStrategy) Spawned(*Sim, *Proc)        {}
func (*searchStrategy) Delays() bool               { return false }
func (*searchStrategy) Delay(*Sim, *Proc) Duration { return 0 }

func (st *searchStrategy) Pick(s *Sim, ready, later []*Proc) int {
	if st.por != nil {
		st.por.endStep(s)
	}
	i := st.pick(s, ready, later)
	if st.por != nil {
		st.por.step.pid = -1
		if i < len(ready) {
			st.por.step.pid = ready[i].id
		}
	}
	return i
}

// pick is Pick's decision: the prefix's rank, then the base's choice.
func (st *searchStrategy) pick(s *Sim, ready, later []*Proc) int {
	m := len(ready) + len(later)
	if m == 1 {
		return 0
	}
	j := len(st.sizes)
	st.sizes = append(st.sizes, uint16(min(m, 1<<16-1)))
	if st.por != nil && st.por.decide(s, j, ready, later) {
		s.Stop() // an equivalent state was reached at no more cost: the rest is explored there
	}
	rank := 0
	if j < len(st.prefix) && int(st.prefix[j]) < m {
		rank = int(st.prefix[j])
	}
	return rankToIndex(rank, baseChoice(s, ready), len(ready))
}

// baseChoice is the base schedule's pick: the process that ran last if it can go on, else
// the longest-runnable one.
func baseChoice(s *Sim, ready []*Proc) int {
	if i := slices.IndexFunc(ready, func(p *Proc) bool { return p.id == s.lastID }); i >= 0 {
		return i
	}
	return 0
}

// rankToIndex maps a rank (0: the base's choice def, then the other runnable processes in
// order, then the later ones) to an index into ready followed by later.
func rankToIndex(rank, def, n int) int {
	switch {
	case rank == 0:
		return def
	case rank <= def:
		return rank - 1
	case rank < n:
		return rank
	}
	return rank
}
