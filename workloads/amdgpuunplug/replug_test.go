package amdgpuunplug_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuunplug"
	"hotplugsim/workloads/internal/scenariotest"
)

// replugSpec unplugs gpu1 under its apps and brings it back: apps that still have work
// reopen the new incarnation (gpu1.2) and run jobs there.
func replugSpec(kind workloads.EventKind) workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu1", Driver: amdgpu.DriverName}}},
		Apps: []workloads.App{
			{Kind: workloads.AppRender, Device: "gpu1", Count: 2, Ops: 12, IntervalNs: 4000,
				BOs: []workloads.BO{{SizeBytes: 4096, Placement: workloads.PlaceVRAM}}},
			{Kind: workloads.AppCompute, Device: "gpu1", Count: 1, Ops: 8, IntervalNs: 5000},
		},
		Events: []workloads.Event{{Kind: kind, Device: "gpu1", AtNs: 10_000},
			{Kind: workloads.EvReplug, Device: "gpu1", AtNs: 16_000}},
	}
}

func TestReplugAppsStartAgain(t *testing.T) {
	sc := scenariotest.Lookup(t, amdgpuunplug.Name)
	for _, kind := range []workloads.EventKind{workloads.EvUnplug, workloads.EvSurpriseRemoval} {
		spec := replugSpec(kind)
		reopened, jobs := 0, 0
		for seed := uint64(1); seed <= 200; seed++ {
			o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: seed, NoTape: true, TraceRing: -1,
				Sink: func(e des.Event) {
					switch {
					case e.Kind.String() == "drm_open" && e.Obj.String() == "drm_device:gpu1.2":
						reopened++
					case e.Kind.String() == "job-done" && strings.HasSuffix(e.Obj.String(), "@gpu1.2"):
						jobs++
					}
				}})
			require.NoError(t, err)
			require.Equal(t, "", o.Kind(), "%s seed %d: %v", kind, seed, o.Result.First())
		}
		assert.Positive(t, reopened, "%s: apps opened the replugged GPU", kind)
		assert.Positive(t, jobs, "%s: jobs ran on the replugged GPU", kind)
	}
}
