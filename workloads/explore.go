package workloads

import (
	"hotplugsim/des"
)

// ExploreConfig is a bounded systematic search of one scenario (des.Search): every schedule of
// the run identity in RunConfig (its seed fixes the model's own random durations) within Bound
// delays (deviations with Cost des.CostDeviations) of the non-preemptive base schedule.
type ExploreConfig struct {
	RunConfig
	Bound        int
	Cost         des.SearchCost
	MaxSchedules int
	// Shard and Shards split the search (see des.SearchConfig); Resume continues one.
	Shard, Shards int
	Resume        des.SearchPoint
	Progress      func(des.SearchPoint)
	// NoPOR turns off the pruning of equivalent schedules (des.SearchConfig.NoPOR).
	NoPOR bool
}

// ExploreResult is a search's result; Failure is the first failing schedule replayed from its
// tape as an ordinary run (nil when none failed).
type ExploreResult struct {
	des.SearchResult
	Failure *Outcome
}

// Explore runs the search. A failing schedule is replayed from its tape, so its Outcome
// carries the trace, the violation and a tape that desrun replay and shrink take.
func Explore(cfg ExploreConfig) (*ExploreResult, error) {
	sc, pol, spec, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	dcfg := sc.baseConfig(spec, cfg.Seed, cfg.Pool)
	dcfg.TraceRing, dcfg.Faults = -1, cfg.Faults
	sres, err := des.Search(des.SearchConfig{Config: dcfg, Bound: cfg.Bound, Cost: cfg.Cost, MaxSchedules: cfg.MaxSchedules,
		Shard: cfg.Shard, Shards: cfg.Shards, Resume: cfg.Resume, Progress: cfg.Progress, NoPOR: cfg.NoPOR},
		func(sim *des.Sim) error { return build(sc, sim, spec.Clone(), pol.Name) })
	if err != nil {
		return nil, err
	}
	res := &ExploreResult{SearchResult: sres}
	if f := sres.Failure; f != nil {
		rc := cfg.RunConfig
		rc.Policy, rc.Spec, rc.Tape, rc.Strategy = pol.Name, &spec, f.Tape(), "search"
		if res.Failure, err = Run(rc); err != nil {
			return nil, err
		}
	}
	return res, nil
}
