package newdriver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/newdriver"
)

// newdriver-close: a GPU job's length is the hardware's, so whether the close can free the
// buffer under a running job depends on the seed; over seeds 1-6 the search finds the buggy
// policy and proves the fixed one clean within bound 2 on every seed.
func TestExploreNewDriverClose(t *testing.T) {
	sc := scenariotest.Lookup(t, newdriver.Name)
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
