package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// newdriver-close: a GPU job's length is the hardware's, so whether the close can free the
// buffer under a running job depends on the seed; over seeds 1-6 the search finds the buggy
// policy and proves the fixed one clean within bound 2 on every seed.
func TestExploreNewDriverClose(t *testing.T) {
	sc, err := workloads.Lookup(newdriver.Name)
	require.NoError(t, err)
	spec := sc.Spec.Clone()
	spec.Apps[0].Count = 1
	explore := func(policy string) (failed *workloads.Outcome, schedules int) {
		for seed := uint64(1); seed <= 6; seed++ {
			res, err := workloads.Explore(workloads.ExploreConfig{RunConfig: workloads.RunConfig{Scenario: sc,
				Policy: policy, Spec: &spec, Seed: seed}, Bound: 2})
			require.NoError(t, err)
			schedules += res.Schedules
			if res.Failure != nil {
				return res.Failure, schedules
			}
			require.True(t, res.Exhausted)
		}
		return nil, schedules
	}
	bad, _ := explore(newdriver.FreeNow)
	require.NotNil(t, bad)
	assert.Equal(t, "gpu-use-after-free", bad.Kind())
	good, n := explore(newdriver.WaitIdle)
	assert.Nil(t, good)
	t.Logf("wait-idle: %d schedules over seeds 1-6, none failed", n)
}
