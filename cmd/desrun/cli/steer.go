package cli

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

// maxGeneration bounds --generation: a generation's runs wait for the whole of the one before.
const maxGeneration = 1 << 20

// steerOpts checks --steer and --generation against the sweep's other options and returns the
// generation size (0: no steering).
func steerOpts(f flags, o sweepOpts, steer bool, generation int) (uint64, error) {
	if !steer {
		if flagSet(f, "generation") {
			return 0, fmt.Errorf("--generation needs --steer")
		}
		return 0, nil
	}
	if generation < 1 || generation > maxGeneration {
		return 0, fmt.Errorf("bad --generation %d: want 1 to %d seeds", generation, maxGeneration)
	}
	if !workloads.CanSteer(o.id.strategy) {
		return 0, fmt.Errorf("--steer steers PCT: want --strategy pct:D, pct:D:K or mix, not %s", o.id.strategy)
	}
	if o.n > 1 {
		return 0, fmt.Errorf("--steer cannot be sharded: a generation needs every run of the one before (use -j)")
	}
	return uint64(generation), nil
}

// visible is the corpus the generation starting at index start steers from.
func (st *sweepState) visible(start uint64) []workloads.CorpusEntry {
	index := func(seed uint64) uint64 { return seed - st.o.lo } // unsharded: --steer refuses --shard
	return workloads.Visible(st.corpus, index, start)
}

// steerCommit takes one run of a steered sweep, in seed order, before its coverage is merged:
// a PCT run that reached a new conflicting-operation order or protocol step joins the corpus.
func (st *sweepState) steerCommit(seed uint64, pct string, steered bool, cov *workloads.Coverage) {
	if steered {
		st.tot.Steered++
	}
	if pct == "" || !st.cov.AddsOrder(cov) {
		return
	}
	e := workloads.CorpusEntry{Seed: seed, Schedule: pct}
	st.corpus = append(st.corpus, e)
	st.corpusNew = append(st.corpusNew, e)
}

// ranStrategy reports whether a run line's strategy is one the sweep of h runs: its own, or
// with --steer a PCT schedule of its depth.
func (h header) ranStrategy(s string) bool {
	if s == h.Strategy {
		return true
	}
	ps, err := des.ParsePCTSchedule(s)
	if h.Steer == 0 || err != nil {
		return false
	}
	d := des.PCTDepth(h.Strategy)
	if h.Strategy == "mix" {
		d = 3 // mix's PCT
	}
	return ps.D == d
}
