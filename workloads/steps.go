package workloads

import (
	"fmt"
	"sync"

	"hotplugsim/des"
)

// stepsRefSeeds are the seeds of the base runs EstimateSteps measures.
var stepsRefSeeds = [...]uint64{1, 2, 3}

// stepsCache holds EstimateSteps' answers by run identity less the seed. The answer is a pure
// function of that identity, so a cached answer is the one a fresh process would compute: a
// seed's run does not depend on which runs came before it, on -j or on the shard.
var stepsCache sync.Map // stepsKey -> uint64

type stepsKey struct{ scenario, policy, spec string }

// EstimateSteps is PCT's k for a run of sc under policy with spec: the most steps any of a
// few base runs takes (fifo, seeds 1-3, no delays), plus a quarter for the steps a strategy's
// reordering adds. It is deterministic and the same for every seed, so a sweep's results do not
// depend on how it is split.
func EstimateSteps(sc *Scenario, policy string, spec Spec, pool *des.Pool) (uint64, error) {
	key := stepsKey{sc.Name, policy, spec.Hash()}
	if k, ok := stepsCache.Load(key); ok {
		return k.(uint64), nil
	}
	var most uint64
	for _, seed := range stepsRefSeeds {
		dcfg := sc.baseConfig(spec, seed, pool)
		dcfg.Strategy, dcfg.NoTape, dcfg.TraceRing = "fifo", true, -1
		sim, err := des.New(dcfg)
		if err != nil {
			return 0, err
		}
		if err := build(sc, sim, spec.Clone(), policy); err != nil {
			return 0, fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		most = max(most, sim.Run().K)
	}
	k := max(most+most/4, 1)
	stepsCache.Store(key, k)
	return k, nil
}

func (sc *Scenario) delayBound() des.Duration {
	if sc.DelayBound == 0 {
		return DefaultDelayBound
	}
	return sc.DelayBound
}
