package sbrpciehp_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/accel"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/oracle"
	"hotplugsim/properties"
	"hotplugsim/workloads"
	"hotplugsim/workloads/sbrpciehp"
)

func lookup(t *testing.T) *workloads.Scenario {
	sc, err := workloads.Lookup(sbrpciehp.Name)
	require.NoError(t, err)
	return sc
}

// The buggy designs are found on every seed of both Specs, and every hit is KASAN's report
// of the reset ioctl's re-init using the context .remove freed under pciehp_ist.
func TestBuggyPoliciesAreFound(t *testing.T) {
	sc := lookup(t)
	for _, name := range []string{accel.RawSBR, accel.MaskNoClear, accel.ResetSlotMasked} {
		pol, err := sc.Policy(name)
		require.NoError(t, err)
		for _, spec := range []*workloads.Spec{nil, sc.SparseSpec} {
			row, err := properties.ZooWith(sc, pol, 200, properties.ZooOptions{AllSeeds: true, Spec: spec,
				Each: func(seed uint64, o *workloads.Outcome) {
					require.Empty(t, o.Budget, "seed %d ran out of budget", seed)
					require.NotNil(t, o.Violation, "%s seed %d", name, seed)
					assert.Contains(t, o.Violation.Message, "BUG: KASAN: slab-use-after-free in accel_hw_", "seed %d", seed)
					assert.Contains(t, o.Violation.Message, " accel_ioctl_reset\n", "seed %d: used by", seed)
					assert.Contains(t, o.Violation.Message, " pciehp_ist\n", "seed %d: freed by", seed)
				}})
			require.NoError(t, err)
			require.NoError(t, row.Err())
			assert.Equal(t, []string{string(oracle.UseAfterFree)}, slices.Collect(maps.Keys(row.Kinds)))
			assert.Equal(t, 200, row.Kinds[string(oracle.UseAfterFree)], name)
		}
	}
}

// The fixed designs are clean on both Specs, and every run completed its reset in place.
func TestFixedPoliciesAreClean(t *testing.T) {
	sc := lookup(t)
	for _, name := range []string{accel.IgnoreHotplug, accel.IgnoreLinkChange, accel.ResetSlot} {
		pol, err := sc.Policy(name)
		require.NoError(t, err)
		for _, spec := range []*workloads.Spec{nil, sc.SparseSpec} {
			row, err := properties.ZooWith(sc, pol, 1000, properties.ZooOptions{Spec: spec})
			require.NoError(t, err)
			assert.NoError(t, row.Err(), name)
		}
	}
}

// The reset of a fixed run happens (the race is met, not avoided): the driver was probed once
// and reset once, pciehp never acted, and the apps submitted before, during (EBUSY) and after
// the reset, on both Specs.
func TestFixedResetCompletes(t *testing.T) {
	sc := lookup(t)
	for _, name := range []string{accel.IgnoreHotplug, accel.IgnoreLinkChange, accel.ResetSlot} {
		for _, spec := range []workloads.Spec{sc.Spec, *sc.SparseSpec} {
			for seed := uint64(1); seed <= 20; seed++ {
				sim, tg := build(t, spec, name, seed)
				res := sim.Run()
				require.True(t, res.OK(), "%s seed %d: %v", name, seed, res.Violations)
				drv := tg.Drivers[0]
				assert.Equal(t, 1, drv.Resets(), "%s seed %d", name, seed)
				assert.Equal(t, 1, drv.Probes(), "%s seed %d", name, seed)
				assert.Zero(t, tg.Slots[0].Handled(), "%s seed %d", name, seed)
				st := drv.Stats()
				assert.Positive(t, st.Busy, "%s seed %d: submissions during the reset", name, seed)
				assert.Positive(t, st.AfterReset, "%s seed %d: submissions after it", name, seed)
				assert.Greater(t, st.Submitted, st.AfterReset, "%s seed %d: and before it", name, seed)
			}
		}
	}
}

func TestRunsAreDeterministic(t *testing.T) {
	sc := lookup(t)
	for _, pol := range policy.Names(accel.Policies) {
		a, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 3})
		require.NoError(t, err)
		b, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Tape: a.Tape()})
		require.NoError(t, err)
		assert.Equal(t, a.Fingerprint, b.Fingerprint, pol)
	}
}

func TestSpecChecks(t *testing.T) {
	sc := lookup(t)
	spec := sc.Spec.Clone()
	spec.Events[0].Kind = workloads.EvRescan
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, "supports event kinds")

	spec = sc.Spec.Clone()
	spec.Topology.Devices[0].Policy = "no-such"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `no policy "no-such"`)
}

// Generated Specs (several devices, apps and resets) run clean under the fixed policy.
func TestGeneratedSpecsFixed(t *testing.T) {
	sc := lookup(t)
	gen := workloads.GenSpec(sc)
	for i := 0; i < 100; i++ {
		spec := gen(gopter.DefaultGenParameters().CloneWithSeed(int64(i))).Result.(workloads.Spec)
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: uint64(i + 1), NoTape: true})
		require.NoError(t, err)
		require.True(t, o.Result.OK(), "spec %s: %v", spec.JSON(), o.Result.Violations)
	}
}

// build makes spec on a Sim of its own (the engine's default strategy).
func build(t *testing.T, spec workloads.Spec, pol string, seed uint64) (*des.Sim, *sbrpciehp.Target) {
	t.Helper()
	sim := des.MustNew(des.Config{Seed: seed})
	tg, err := sbrpciehp.Build(sim, spec.Clone(), pol)
	require.NoError(t, err)
	return sim, tg
}
