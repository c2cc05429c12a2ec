package igt_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/workloads"
	"hotplugsim/workloads/igt"
	"hotplugsim/workloads/internal/scenariotest"
)

func scenario(t *testing.T, st igt.Subtest) *workloads.Scenario {
	t.Helper()
	return scenariotest.Lookup(t, st.ScenarioName())
}

func run(t *testing.T, sc *workloads.Scenario, pol string, spec *workloads.Spec, seed uint64) *workloads.Outcome {
	t.Helper()
	out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Spec: spec, Seed: seed, NoTape: true, TraceRing: -1})
	require.NoError(t, err)
	return out
}

// The eight subtests are registered under IGT's names, on the two fixed designs (amdgpu-v6-complete-first the
// default), with no platform events.
func TestRegistered(t *testing.T) {
	var names []string
	for _, st := range igt.Subtests {
		names = append(names, st.ScenarioName())
		sc := scenario(t, st)
		assert.Equal(t, "amdgpu-v6-complete-first", sc.DefaultPolicy)
		for _, fixed := range []string{"amdgpu-v6-complete-first", "xe-clear-mappings-dev-enter"} {
			p, err := sc.Policy(fixed)
			require.NoError(t, err)
			assert.False(t, p.Buggy)
		}
		assert.Empty(t, sc.EventKinds, "the steps are the scenario's, not the Spec's")
		assert.Contains(t, sc.Oracles, oracle.Progress)
	}
	assert.Equal(t, []string{"igt-unbind-rebind", "igt-unplug-rescan", "igt-hotunbind-rebind",
		"igt-hotunplug-rescan", "igt-hotrebind", "igt-hotreplug", "igt-hotrebind-lateclose",
		"igt-hotreplug-lateclose"}, names)
	st, ok := igt.Lookup("hotreplug-lateclose")
	require.True(t, ok)
	assert.True(t, st.Hot && st.Unplug && st.Close == igt.CloseLate)
}

// The bug zoo (every fixed design of every subtest survives properties.ZooSeeds seeds, every
// buggy one listed finds its kind within them) is properties.TestBugZoo's: the subtests are
// registered scenarios like any other.

// loadSpec is a -with-load Spec: renderers with VRAM and GTT BOs, a compute loop and an idle
// app on the device under test.
func loadSpec() workloads.Spec {
	s := igt.DefaultSpec()
	s.Apps = []workloads.App{
		{Kind: workloads.AppRender, Device: "card0", Count: 2, Ops: 12, IntervalNs: 3000,
			BOs: []workloads.BO{{SizeBytes: 8192, Placement: workloads.PlaceVRAM}, {SizeBytes: 4096, Placement: workloads.PlaceGTT}}},
		{Kind: workloads.AppCompute, Device: "card0", Count: 1, Ops: 8, IntervalNs: 4000},
		{Kind: workloads.AppIdle, Device: "card0", Count: 1, Ops: 4, IntervalNs: 8000},
	}
	return s
}

// With background load the fixed designs still pass.
func TestWithLoad(t *testing.T) {
	for _, st := range igt.Subtests {
		sc := scenario(t, st)
		for _, pol := range []string{"amdgpu-v6-complete-first", "xe-clear-mappings-dev-enter"} {
			t.Run(st.Name+"/"+pol, func(t *testing.T) {
				t.Parallel()
				spec := loadSpec()
				for seed := uint64(1); seed <= 200; seed++ {
					out := run(t, sc, pol, &spec, seed)
					require.Empty(t, out.Kind(), "seed %d: %v", seed, out.Violation)
				}
			})
		}
	}
}

// The load exposes the designs the plain subtests do not (a device's Policy names them).
func TestLoadExposes(t *testing.T) {
	spec := loadSpec()
	// amdgpu-v6-wait-in-enter: the compute app waits inside drm_dev_enter before the remove.
	st, _ := igt.Lookup("unbind-rebind")
	spec.Topology.Devices[0].Policy = "amdgpu-v6-wait-in-enter"
	assert.Equal(t, string(oracle.LockOrder), run(t, scenario(t, st), "amdgpu-v6-complete-first", &spec, 1).Kind())
	// amdgpu-v6: a renderer populates a BO's pages inside drm_dev_enter (fs_reclaim) before
	// the remove path's synchronize_srcu in its signalling section.
	spec.Topology.Devices[0].Policy = "amdgpu-v6"
	assert.Equal(t, string(oracle.LockOrder), run(t, scenario(t, st), "amdgpu-v6-complete-first", &spec, 1).Kind())
	// xe-devm-migrate: the apps' DMA mappings outlive the IOMMU group released at remove.
	st, _ = igt.Lookup("unplug-rescan")
	spec.Topology.Devices[0].Policy = "xe-devm-migrate"
	found := false
	for seed := uint64(1); seed <= 20 && !found; seed++ {
		found = run(t, scenario(t, st), "xe-clear-mappings-dev-enter", &spec, seed).Kind() == string(oracle.UseAfterFree)
	}
	assert.True(t, found, "xe-devm-migrate under load: no use-after-free in 20 seeds")
	// xe-clear-mappings (mainline xe_drm_ioctl): an exec ioctl past drm_ioctl's unplugged check
	// rings the doorbell after remove unmapped BAR 0.
	spec.Topology.Devices[0].Policy = "xe-clear-mappings"
	found = false
	for seed := uint64(1); seed <= 100 && !found; seed++ { // first found at seed 58
		found = run(t, scenario(t, st), "xe-clear-mappings-dev-enter", &spec, seed).Kind() == string(oracle.UseAfterUnmap)
	}
	assert.True(t, found, "xe-clear-mappings under load: no use-after-unmap in 100 seeds")
}

// The load apps reopen the device after the rebind: they open the second incarnation.
func TestLoadReopens(t *testing.T) {
	st, _ := igt.Lookup("unbind-rebind")
	spec := loadSpec()
	spec.Apps[0].Ops = 40
	for _, pol := range []string{"amdgpu-v6-complete-first", "xe-clear-mappings-dev-enter"} {
		var opens []des.Event
		sink := func(e des.Event) {
			if e.Kind.String() == "drm_open" && strings.HasSuffix(e.Obj.String(), "card0.2") {
				opens = append(opens, e)
			}
		}
		out, err := workloads.Run(workloads.RunConfig{Scenario: scenario(t, st), Policy: pol, Spec: &spec, Seed: 3,
			TraceRing: -1, Sink: sink})
		require.NoError(t, err)
		require.Empty(t, out.Kind())
		var loaders []string
		for _, e := range opens {
			if n := out.ProcName(e.Proc); strings.HasPrefix(n, "render") {
				loaders = append(loaders, n)
			}
		}
		assert.NotEmpty(t, loaders, "%s: no load app opened the rebound device", pol)
	}
}

// A Spec's driver must agree with the policy's; devices share one driver; no events.
func TestSpecChecks(t *testing.T) {
	sc := scenario(t, igt.Subtests[0])
	spec := igt.DefaultSpec()
	spec.Topology.Devices[0].Driver = "xe"
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: "amdgpu-v6-complete-first", Spec: &spec})
	assert.ErrorContains(t, err, `driver "xe", but design amdgpu-v6-complete-first is amdgpu`)
	out := run(t, sc, "xe-clear-mappings-dev-enter", &spec, 1)
	assert.Empty(t, out.Kind())

	spec = igt.DefaultSpec()
	spec.Topology.Devices = append(spec.Topology.Devices, workloads.Device{Name: "card1", Driver: "any", Policy: "xe-clear-mappings-dev-enter"})
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, "mixes drivers")

	// More devices, one driver: the subtest runs on the first, load may run on the others.
	spec = loadSpec()
	spec.Topology.Devices = append(spec.Topology.Devices, workloads.Device{Name: "card1", Driver: "any"})
	spec.Apps[0].Device = "card1"
	for _, pol := range []string{"amdgpu-v6-complete-first", "xe-clear-mappings-dev-enter"} {
		assert.Empty(t, run(t, sc, pol, &spec, 2).Kind(), pol)
	}

	spec = igt.DefaultSpec()
	spec.Topology.Devices[0].Policy = "nouveau"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `device card0: igt: no policy "nouveau" (have amdgpu-v6-complete-first, `)

	spec = igt.DefaultSpec()
	spec.Events = []workloads.Event{{Kind: workloads.EvUnplug, Device: "card0"}}
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.Error(t, err)
}

// The steps run in the subtest's order; a run is reproducible from its seed.
func TestStepOrder(t *testing.T) {
	want := map[string]string{
		"unbind-rebind":       "pre-check unbind bind healthcheck",
		"unplug-rescan":       "pre-check remove rescan healthcheck",
		"hotunbind-rebind":    "pre-check open unbind close bind healthcheck",
		"hotunplug-rescan":    "pre-check open remove close rescan healthcheck",
		"hotrebind":           "pre-check open unbind bind healthcheck close post-healthcheck",
		"hotreplug":           "pre-check open remove rescan healthcheck close post-healthcheck",
		"hotrebind-lateclose": "pre-check open unbind bind close healthcheck",
		"hotreplug-lateclose": "pre-check open remove rescan close healthcheck",
	}
	for _, st := range igt.Subtests {
		for _, pol := range []string{"amdgpu-v6-complete-first", "xe-clear-mappings-dev-enter"} {
			var steps []string
			sink := func(e des.Event) {
				k := e.Kind.String()
				if strings.HasPrefix(k, "igt:") && strings.HasSuffix(k, ":begin") {
					steps = append(steps, strings.TrimSuffix(strings.TrimPrefix(k, "igt:"), ":begin"))
				}
			}
			out, err := workloads.Run(workloads.RunConfig{Scenario: scenario(t, st), Policy: pol, Seed: 7, Sink: sink, TraceRing: -1})
			require.NoError(t, err)
			require.Empty(t, out.Kind())
			assert.Equal(t, want[st.Name], strings.Join(steps, " "), "%s on %s", st.Name, pol)
			again := run(t, scenario(t, st), pol, nil, 7)
			assert.Equal(t, out.Fingerprint, again.Fingerprint)
		}
	}
}

// Every subtest turns model/fence's leak check on for xe as for amdgpu: a fence whose
// timeline was retired and which is kept referenced to the end is reported, and nothing of
// the fixed design's own.
func TestFenceLeakCheckIsOnForXe(t *testing.T) {
	for _, st := range igt.Subtests {
		t.Run(st.Name, func(t *testing.T) {
			scenariotest.FenceLeakCheckIsOn(t, scenario(t, st), "xe-clear-mappings-dev-enter")
		})
	}
}
