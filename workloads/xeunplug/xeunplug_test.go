package xeunplug_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/oracle"
	"hotplugsim/properties"
	"hotplugsim/workloads"
	"hotplugsim/workloads/xeunplug"
)

// sweepSeeds is the bug-zoo budget: seeds 1..2000 with the default strategy and Spec.
const sweepSeeds = 2000

// Every policy over seeds 1..2000 with the default strategy and Spec: the buggy ones find
// their expected kind (and nothing else), the fixed one finds nothing.
// sameBug lists the other kinds one root cause of a buggy policy produces: an ioctl outside
// drm_dev_enter racing remove returns 0 after the unplug, dma_maps through the released IOMMU
// group or rings the doorbell after iounmap, whichever the interleaving reaches first.
var sameBug = map[string][]des.ViolationKind{
	xe.ClearMappings: {oracle.IoctlAfterUnplug, oracle.UseAfterFree, oracle.UseAfterUnmap},
}

func TestSweepDefaultSpec(t *testing.T) {
	sc, err := workloads.Lookup(xeunplug.Name)
	require.NoError(t, err)
	for _, pol := range sc.Policies {
		t.Run(pol.Name, func(t *testing.T) {
			first, found := uint64(0), 0
			for seed := uint64(1); seed <= sweepSeeds; seed++ {
				o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: seed, NoTape: true, TraceRing: -1})
				require.NoError(t, err)
				if o.Violation == nil {
					continue
				}
				if !pol.Buggy {
					t.Fatalf("seed %d: %s in %s: %s\nreproduce: %s", seed, o.Kind(), o.Violation.Process, o.Violation.Message, o.Command(""))
				}
				if alt := sameBug[pol.Name]; !slices.Contains(alt, des.ViolationKind(o.Kind())) {
					require.Equal(t, string(pol.Expect), o.Kind(), "seed %d: %s", seed, o.Violation.Message)
				}
				found++
				if first == 0 {
					first = seed
				}
			}
			if pol.Buggy {
				require.NotZero(t, found, "no seed in 1..%d finds %s", sweepSeeds, pol.Expect)
				t.Logf("%s: %s first at seed %d, found by %d of %d seeds", pol.Name, pol.Expect, first, found, sweepSeeds)
			} else {
				t.Logf("%s: 0 of %d seeds", pol.Name, sweepSeeds)
			}
		})
	}
}

// Generated workloads (gopter, the scenario's kinds and events): the fixed policy holds, the
// buggy ones fail with their kind after shrinking.
func TestGeneratedSpecs(t *testing.T) {
	sc, err := workloads.Lookup(xeunplug.Name)
	require.NoError(t, err)
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
	sc, err := workloads.Lookup(xeunplug.Name)
	require.NoError(t, err)
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
	sc, err := workloads.Lookup(xeunplug.Name)
	require.NoError(t, err)
	spec := xeunplug.DefaultSpec()
	spec.Topology.Devices[1].Driver = "amdgpu"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, "only has driver xe")
	spec = xeunplug.DefaultSpec()
	spec.Topology.Devices[1].Policy = "bogus"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `no policy "bogus"`)
}

// A per-device policy: the buggy driver on the exporter, the fixed one on the importer.
func TestMixedPolicies(t *testing.T) {
	sc, err := workloads.Lookup(xeunplug.Name)
	require.NoError(t, err)
	spec := xeunplug.DefaultSpec()
	spec.Topology.Devices[0].Policy = "devm-migrate"
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, "use-after-free", o.Kind())
}

// Same seed, same run: the fingerprint of the whole trace repeats, for every policy.
func TestDeterministic(t *testing.T) {
	sc, err := workloads.Lookup(xeunplug.Name)
	require.NoError(t, err)
	for _, pol := range sc.Policies {
		a, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: 42})
		require.NoError(t, err)
		b, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: 42, Tape: a.Tape()})
		require.NoError(t, err)
		assert.Equal(t, a.Fingerprint, b.Fingerprint, pol.Name)
		assert.Equal(t, a.Kind(), b.Kind(), pol.Name)
	}
}
