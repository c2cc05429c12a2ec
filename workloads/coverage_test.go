package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
	"hotplugsim/workloads/enginedemo"
)

// Coverage records the conflicting operations a run saw in order, and a sweep's coverage
// stops growing once its seeds add nothing new.
func TestCoverageSeesConflictingPairs(t *testing.T) {
	sc, err := workloads.Lookup(enginedemo.Name)
	require.NoError(t, err)
	cov := workloads.NewCoverage()
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Policy: enginedemo.Sync, Seed: 1, Coverage: cov})
	require.NoError(t, err)
	assert.True(t, cov.Pairs["gpu0:status: mmio-read -> unplugged"], "%v", workloads.Sorted(cov.Pairs))
	assert.True(t, cov.Steps["iounmap"])
	for k := range cov.Pairs {
		assert.NotContains(t, k, "check -> check", "two reads never conflict")
	}

	// Without an unplug nothing conflicts: the readers only read.
	spec := sc.Spec.Clone()
	spec.Events = nil
	quiet := workloads.NewCoverage()
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: 1, Coverage: quiet})
	require.NoError(t, err)
	assert.Empty(t, quiet.Pairs)

	// Over many seeds both orders of the check and the unplug are seen, and merging the same
	// runs again adds nothing.
	total := workloads.NewCoverage()
	for seed := uint64(1); seed <= 50; seed++ {
		c := workloads.NewCoverage()
		_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: enginedemo.Sync, Seed: seed, Coverage: c})
		require.NoError(t, err)
		total.Merge(c)
	}
	assert.Positive(t, total.BothOrders())
	again := workloads.NewCoverage()
	again.Merge(total)
	assert.Zero(t, again.Merge(total))
}

func TestMutatingKinds(t *testing.T) {
	for _, k := range []string{"iounmap", "kfree", "dma_fence_signal", "mmio-write", "unmap_mapping_range"} {
		assert.True(t, workloads.Mutating(k), k)
	}
	for _, k := range []string{"mmio-read", "check", "drm_dev_enter", "fault"} {
		assert.False(t, workloads.Mutating(k), k)
	}
}
