package xeunplug_test

import (
	"testing"

	"github.com/leanovate/gopter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/properties"
	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/xeunplug"
)

// aerSpec is the default workload with an AER report on xe0 while its apps run, before the
// removal.
func aerSpec() workloads.Spec {
	s := xeunplug.DefaultSpec()
	s.Events = append([]workloads.Event{{Kind: xeunplug.EvAER, Device: "xe0", AtNs: 9_000}}, s.Events...)
	return s
}

func TestAERSpecValidatesAndGenSpecDrawsIt(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	s := aerSpec()
	require.NoError(t, s.Validate())
	require.NoError(t, sc.CheckSpec(s))
	bad := aerSpec()
	bad.Events[0].Kind = "aer-frozn"
	assert.Error(t, sc.CheckSpec(bad))

	gen := workloads.GenSpec(sc)
	seen := false
	for seed := int64(1); seed <= 50 && !seen; seed++ {
		g := gen(gopter.DefaultGenParameters().CloneWithSeed(seed)).Result.(workloads.Spec)
		require.NoError(t, sc.CheckSpec(g))
		for _, e := range g.Events {
			seen = seen || e.Kind == xeunplug.EvAER
		}
	}
	assert.True(t, seen, "GenSpec draws the aer event")

	next := workloads.ShrinkSpec(s)
	dropped := false
	for v, ok := next(); ok && !dropped; v, ok = next() {
		c := v.(workloads.Spec)
		dropped = len(c.Events) == 1 && c.Events[0].Kind == workloads.EvUnplug
	}
	assert.True(t, dropped, "shrink removes the aer event")
}

// The fixed policy recovers from the error (wedge, slot reset, re-probe) and then removes the
// device cleanly, over the zoo's seeds.
func TestAERIsCleanForTheFixedPolicy(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	s := aerSpec()
	pol, _ := sc.Policy(sc.DefaultPolicy)
	row, err := properties.ZooWith(sc, pol, properties.ZooSeeds, properties.ZooOptions{Spec: &s, AllSeeds: true})
	require.NoError(t, err)
	require.NoError(t, row.Err())
	assert.Empty(t, row.Kinds)
	seen := map[string]int{}
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &s, Seed: 1, Sink: func(e des.Event) {
		seen[e.Kind.String()]++
	}})
	require.NoError(t, err)
	assert.Nil(t, o.Violation)
	for _, k := range []string{"pcie_do_recovery", "xe_device_declare_wedged", "xe_pci_error_slot_reset", "xe_pci_error_resume"} {
		assert.Positive(t, seen[k], k)
	}
	assert.Equal(t, 2, seen["xe_pci_error_detected"]+seen["xe_pci_error_slot_reset"], "detected and slot_reset once each")
}
