package amdgpuunplug_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/properties"
	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuunplug"
	"hotplugsim/workloads/internal/scenariotest"
)

// Every policy over the bug zoo's seeds with the scenario's default strategy and Spec passes
// the zoo's rule (properties.ZooRow.Err); and a buggy policy's expected kind is what most
// seeds find, but for v6-kill-unflushed's rare window (a dependency signalled after the last
// put).
func TestPolicySweeps(t *testing.T) {
	sc := scenariotest.Lookup(t, amdgpuunplug.Name)
	for _, pol := range sc.Policies {
		t.Run(pol.Name, func(t *testing.T) {
			t.Parallel()
			row, err := properties.ZooWith(sc, pol, properties.ZooSeeds, properties.ZooOptions{AllSeeds: true})
			require.NoError(t, err)
			require.NoError(t, row.Err())
			t.Logf("%s: first seed %d, kinds %v in %d seeds", pol.Name, row.FirstSeed, row.Kinds, row.Seeds)
			if pol.Buggy && pol.Name != amdgpu.V6KillUnflushed {
				assert.Greater(t, row.Kinds[string(pol.Expect)], properties.ZooSeeds/2, "the expected kind is the usual outcome")
			}
		})
	}
}

func TestScenarioIsTheDefault(t *testing.T) {
	sc := workloads.Default()
	require.NotNil(t, sc)
	assert.Equal(t, amdgpuunplug.Name, sc.Name)
	assert.Equal(t, amdgpu.V6CompleteFirst, sc.DefaultPolicy)
	require.NoError(t, sc.CheckSpec(sc.Spec))
	assert.Len(t, sc.Spec.Events, 1)
}

// Same seed, same run: the fingerprint of the whole trace is reproducible.
func TestDeterministic(t *testing.T) {
	sc := scenariotest.Lookup(t, amdgpuunplug.Name)
	for _, pol := range []string{"v6", "sigbus"} {
		a, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 42})
		require.NoError(t, err)
		b, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 42, Tape: a.Tape()})
		require.NoError(t, err)
		assert.Equal(t, a.Fingerprint, b.Fingerprint, pol)
		assert.Equal(t, a.Kind(), b.Kind())
	}
}
