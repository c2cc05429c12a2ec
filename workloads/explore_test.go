package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
	"hotplugsim/workloads/enginedemo"
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
