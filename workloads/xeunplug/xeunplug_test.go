package xeunplug_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/oracle"
	"hotplugsim/properties"
	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/xeunplug"
)

// sameBug lists the other kinds one root cause of a buggy policy produces: an ioctl outside
// drm_dev_enter racing remove returns 0 after the unplug, dma_maps through the released IOMMU
// group or rings the doorbell after iounmap, whichever the interleaving reaches first.
var sameBug = map[string][]des.ViolationKind{
	xe.ClearMappings: {oracle.IoctlAfterUnplug, oracle.UseAfterFree, oracle.UseAfterUnmap},
}

// Every policy over the bug zoo's seeds with the default strategy and Spec passes the zoo's
// rule (properties.ZooRow.Err), and a buggy policy finds nothing but its expected kind (or
// the other kinds of the same bug).
func TestSweepDefaultSpec(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	for _, pol := range sc.Policies {
		t.Run(pol.Name, func(t *testing.T) {
			row, err := properties.ZooWith(sc, pol, properties.ZooSeeds, properties.ZooOptions{AllSeeds: true})
			require.NoError(t, err)
			require.NoError(t, row.Err())
			for k := range row.Kinds {
				if k != string(pol.Expect) {
					assert.Contains(t, sameBug[pol.Name], des.ViolationKind(k), "%s: %v", pol.Name, row.Kinds)
				}
			}
			t.Logf("%s: first seed %d, kinds %v in %d seeds", pol.Name, row.FirstSeed, row.Kinds, row.Seeds)
		})
	}
}

// Generated workloads (gopter, the scenario's kinds and events): the fixed policy holds, the
// buggy ones fail with their kind after shrinking.
func TestGeneratedSpecs(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	for _, pol := range sc.Policies {
		t.Run(pol.Name, func(t *testing.T) {
			f, err := properties.Check(sc, pol.Name, properties.Config{Tests: 300, Seed: 7})
			require.NoError(t, err)
			if !pol.Buggy {
				if f != nil {
					t.Fatal(f.Report(t.Name()))
				}
				return
			}
			require.NotNil(t, f)
			assert.Equal(t, string(pol.Expect), f.Outcome.Kind(), f.Report(t.Name()))
		})
	}
}

// The trace carries the spans reports draw: ioctls, faults, closes and the unplug.
func TestTraceSpans(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	count := map[string]int{}
	for seed := uint64(1); seed <= 10; seed++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: seed, Sink: func(e des.Event) {
			if k := e.Kind.String(); strings.HasSuffix(k, ":begin") || strings.HasSuffix(k, ":end") {
				count[k]++
			}
		}})
		require.NoError(t, err)
		require.Nil(t, o.Violation)
	}
	for _, span := range []string{"ioctl", "fault", "close", "unplug", "probe", "wait"} {
		assert.Positive(t, count[span+":begin"], span)
		assert.Equal(t, count[span+":begin"], count[span+":end"], span)
	}
}

func TestBuildRejectsOtherDrivers(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	spec := xeunplug.DefaultSpec()
	spec.Topology.Devices[1].Driver = "amdgpu"
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, "only has driver xe")
	spec = xeunplug.DefaultSpec()
	spec.Topology.Devices[1].Policy = "bogus"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `no policy "bogus"`)
}

// A per-device policy: the buggy driver on the exporter, the fixed one on the importer.
func TestMixedPolicies(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	spec := xeunplug.DefaultSpec()
	spec.Topology.Devices[0].Policy = "devm-migrate"
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, "use-after-free", o.Kind())
}

// Same seed, same run: the fingerprint of the whole trace repeats, for every policy.
func TestDeterministic(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	for _, pol := range sc.Policies {
		a, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: 42})
		require.NoError(t, err)
		b, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: 42, Tape: a.Tape()})
		require.NoError(t, err)
		assert.Equal(t, a.Fingerprint, b.Fingerprint, pol.Name)
		assert.Equal(t, a.Kind(), b.Kind(), pol.Name)
	}
}

// The scenario turns model/fence's leak check on: a fence whose timeline was retired and
// which is kept referenced to the end is reported, and nothing of the fixed design's own.
func TestFenceLeakCheckIsOn(t *testing.T) {
	sc := scenariotest.Lookup(t, xeunplug.Name)
	scenariotest.FenceLeakCheckIsOn(t, sc, xe.DefaultPolicy)
}
