package all_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/model/drivers/accel"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/drivers/p2p"
	"hotplugsim/model/drivers/pcibars"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/oracle"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/all"
	"hotplugsim/workloads/enginedemo"
	"hotplugsim/workloads/newdriver"
)

// A scenario of one driver lists exactly its driver's policy table, in its order, with the
// table's docs: the scenario adds only Buggy and Expect.
func TestScenarioPoliciesAreTheDriverTables(t *testing.T) {
	tables := map[string][]policy.Decl{
		"amdgpu-unplug":    policy.Decls(amdgpu.Policies),
		"xe-unplug":        policy.Decls(xe.Policies),
		"pci-bar-move":     policy.Decls(pcibars.Policies),
		"hda-bar-move":     policy.Decls(hda.Policies),
		"hda-patch-unbind": policy.Decls(hda.PatchPolicies),
		"p2p-evict":        policy.Decls(p2p.Policies),
		"engine-demo":      policy.Decls(enginedemo.Policies),
		"newdriver-close":  policy.Decls(newdriver.Policies),
		"sbr-pciehp":       policy.Decls(accel.Policies),
	}
	for _, name := range []string{"amdgpu-unplug", "xe-unplug", "pci-bar-move", "hda-bar-move", "hda-patch-unbind",
		"p2p-evict", "engine-demo", "newdriver-close", "sbr-pciehp"} {
		sc, err := workloads.Lookup(name)
		require.NoError(t, err)
		var got []policy.Decl
		for _, p := range sc.Policies {
			got = append(got, policy.Decl{Name: p.Name, Doc: p.Doc})
		}
		assert.Equal(t, tables[name], got, name)
	}
}

// Every scenario's oracles are kinds of model/oracle's table (what desrun list documents), and
// every buggy policy's expected kind is one of them.
func TestScenarioOraclesAreKnownKinds(t *testing.T) {
	for _, sc := range workloads.All() {
		for _, k := range sc.Oracles {
			assert.True(t, slices.ContainsFunc(oracle.Table, func(o oracle.Oracle) bool { return o.Kind == k }),
				"scenario %s: oracle %q is not in oracle.Table", sc.Name, k)
		}
		for _, p := range sc.Policies {
			if p.Buggy {
				assert.Contains(t, sc.Oracles, p.Expect, "scenario %s: policy %s expects a kind the scenario does not list", sc.Name, p.Name)
			}
		}
	}
}
