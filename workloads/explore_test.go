package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
	"hotplugsim/workloads/enginedemo"
	"hotplugsim/workloads/newdriver"
)

// The search finds the buggy engine-demo policy with its failing schedule replayed as a run,
// and proves the fixed one clean within bound 2 on a small Spec.
func TestExploreFindsTheBugAndProvesTheFix(t *testing.T) {
	sc, err := workloads.Lookup(enginedemo.Name)
	require.NoError(t, err)
	spec := enginedemo.SmallSpec()
	bad, err := workloads.Explore(workloads.ExploreConfig{RunConfig: workloads.RunConfig{Scenario: sc,
		Policy: enginedemo.Unsync, Spec: &spec, Seed: 1}, Bound: 2})
	require.NoError(t, err)
	require.NotNil(t, bad.Failure)
	assert.Equal(t, "use-after-unmap", bad.Failure.Kind())
	assert.Equal(t, bad.SearchResult.Failure.Fingerprint, bad.Failure.Result.Fingerprint, "the schedule replays exactly")

	good, err := workloads.Explore(workloads.ExploreConfig{RunConfig: workloads.RunConfig{Scenario: sc,
		Policy: enginedemo.Sync, Spec: &spec, Seed: 1}, Bound: 2})
	require.NoError(t, err)
	assert.Nil(t, good.Failure)
	assert.True(t, good.Exhausted)
	t.Logf("unsync: found after %d schedules (%d delays); sync: exhausted %d schedules", bad.Schedules,
		bad.FailureDelays, good.Schedules)
}

// The reduced search reaches every verdict of the full one on both policies of engine-demo
// and newdriver-close, at the same first failing bound, and prunes engine-demo's fixed
// policy.
func TestExplorePORKeepsVerdicts(t *testing.T) {
	for _, name := range []string{enginedemo.Name, newdriver.Name} {
		sc, err := workloads.Lookup(name)
		require.NoError(t, err)
		for _, pol := range sc.Policies {
			for _, cost := range []des.SearchCost{des.CostDelays, des.CostDeviations} {
				var res [2]*workloads.ExploreResult
				for i, noPOR := range []bool{true, false} {
					res[i], err = workloads.Explore(workloads.ExploreConfig{RunConfig: workloads.RunConfig{Scenario: sc,
						Policy: pol.Name, Seed: 1}, Bound: 2, Cost: cost, NoPOR: noPOR})
					require.NoError(t, err)
				}
				off, on := res[0], res[1]
				what := name + "/" + pol.Name + "/" + cost.String()
				assert.Equal(t, off.Exhausted, on.Exhausted, what)
				assert.Equal(t, off.Failure != nil, on.Failure != nil, what)
				assert.Equal(t, off.FailureDelays, on.FailureDelays, what)
				if on.Failure != nil {
					assert.Equal(t, off.Failure.Kind(), on.Failure.Kind(), what)
				}
				assert.LessOrEqual(t, on.Schedules, off.Schedules, what)
				if name == enginedemo.Name && pol.Name == enginedemo.Sync {
					assert.Less(t, on.Schedules, off.Schedules, what)
				}
				t.Logf("%s: %d schedules without reduction, %d with (%d pruned)", what, off.Schedules, on.Schedules, on.Pruned)
			}
		}
	}
}

// newdriver-close on its SmallSpec (each app closes its buffer right after the submit): the
// search finds the buggy policy on every seed, and proves the fixed one clean within bound 2
// under both costs. Under the scenario's Spec, the think times of seeds 1-3 put every close after
// its job ended, and no schedule makes a think time shorter: the buggy policy has no failing
// schedule there (seed 4 has one), which is why the search wants the small Spec or a seed range.
func TestExploreNewDriverSmallSpec(t *testing.T) {
	sc, err := workloads.Lookup(newdriver.Name)
	require.NoError(t, err)
	explore := func(policy string, spec *workloads.Spec, seed uint64, cost des.SearchCost) *workloads.ExploreResult {
		res, err := workloads.Explore(workloads.ExploreConfig{RunConfig: workloads.RunConfig{Scenario: sc,
			Policy: policy, Spec: spec, Seed: seed}, Bound: 2, Cost: cost})
		require.NoError(t, err)
		return res
	}
	small := newdriver.SmallSpec()
	for seed := uint64(1); seed <= 4; seed++ {
		for _, cost := range []des.SearchCost{des.CostDelays, des.CostDeviations} {
			bad := explore(newdriver.FreeNow, &small, seed, cost)
			require.NotNil(t, bad.Failure, "seed %d, %s", seed, cost)
			assert.Equal(t, "gpu-use-after-free", bad.Failure.Kind())
			good := explore(newdriver.WaitIdle, &small, seed, cost)
			assert.Nil(t, good.Failure, "seed %d, %s", seed, cost)
			assert.True(t, good.Exhausted, "seed %d, %s", seed, cost)
			if seed == 1 {
				t.Logf("%s: free-now found after %d schedules (%d %s); wait-idle exhausted %d schedules",
					cost, bad.Schedules, bad.FailureDelays, cost, good.Schedules)
			}
		}
	}
	for seed := uint64(1); seed <= 3; seed++ {
		def := explore(newdriver.FreeNow, nil, seed, des.CostDelays)
		assert.Nil(t, def.Failure, "seed %d of the scenario's Spec closes after the jobs", seed)
		assert.True(t, def.Exhausted, "seed %d", seed)
	}
	def := explore(newdriver.FreeNow, nil, 4, des.CostDelays)
	require.NotNil(t, def.Failure, "seed 4 of the scenario's Spec has a close a delay puts inside a job")
	assert.Equal(t, 1, def.FailureDelays)
}
