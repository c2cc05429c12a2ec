package amdgpuunplug_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuunplug"
)

// sweepSeeds is how many seeds every policy is swept over (the bug-zoo bound).
const sweepSeeds = 2000

// Every buggy policy finds its expected kind with the scenario's default strategy and
// default Spec; the fixed policy finds nothing in sweepSeeds seeds.
func TestPolicySweeps(t *testing.T) {
	sc, err := workloads.Lookup(amdgpuunplug.Name)
	require.NoError(t, err)
	for _, pol := range sc.Policies {
		t.Run(pol.Name, func(t *testing.T) {
			t.Parallel()
			first, found, other := uint64(0), 0, map[string]int{}
			for seed := uint64(1); seed <= sweepSeeds; seed++ {
				o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: seed, NoTape: true, TraceRing: -1})
				require.NoError(t, err)
				switch k := o.Kind(); {
				case k == "":
				case pol.Buggy && k == string(pol.Expect):
					found++
					if first == 0 {
						first = seed
					}
				default:
					other[k]++
					if !pol.Buggy {
						t.Fatalf("seed %d: %s: %s", seed, k, o.Result.First())
					}
				}
			}
			if pol.Buggy {
				t.Logf("%s: expect %s: first seed %d, %d of %d seeds (other kinds: %v)",
					pol.Name, pol.Expect, first, found, sweepSeeds, other)
				assert.Positive(t, first, "no seed found %s", pol.Expect)
				if pol.Name != amdgpu.V6KillUnflushed { // a rare window: a dependency signalled after the last put
					assert.Greater(t, found, sweepSeeds/2, "the expected kind is the usual outcome")
				}
			} else {
				t.Logf("%s: 0 of %d seeds", pol.Name, sweepSeeds)
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
	sc, err := workloads.Lookup(amdgpuunplug.Name)
	require.NoError(t, err)
	for _, pol := range []string{"v6", "sigbus"} {
		a, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 42})
		require.NoError(t, err)
		b, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 42, Tape: a.Tape()})
		require.NoError(t, err)
		assert.Equal(t, a.Fingerprint, b.Fingerprint, pol)
		assert.Equal(t, a.Kind(), b.Kind())
	}
}
