package p2pevict_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/p2p"
	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/p2pevict"
)

// primeSpec is the default Spec plus a prime-offload app: gpub scans out a buffer gpua
// renders, imported statically, while the compute app makes memory pressure on gpua.
func primeSpec(t *testing.T) workloads.Spec {
	spec := scenariotest.Lookup(t, p2pevict.Name).Spec.Clone()
	spec.Apps = append(spec.Apps, workloads.App{Kind: workloads.AppPrimeOffload, Device: "gpua", Peer: "gpub",
		Count: 1, Ops: 4, IntervalNs: 5000, BOs: []workloads.BO{{SizeBytes: 16 << 10, Placement: workloads.PlaceVRAM}}})
	require.NoError(t, spec.Validate())
	return spec
}

// The static importer's buffer is pinned at attach and never moves under the pressure: the
// fixed policy finds nothing, and every frame's flip runs.
func TestPrimeOffloadUnderPressureFindsNothing(t *testing.T) {
	sc, spec := scenariotest.Lookup(t, p2pevict.Name), primeSpec(t)
	for seed := uint64(1); seed <= 200; seed++ {
		flips := 0
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: p2p.FenceArray, Spec: &spec, Seed: seed,
			NoTape: true, TraceRing: -1, Sink: func(e des.Event) {
				if e.Kind.String() == "ioctl:end" && e.Obj.String() == "DRM_IOCTL_MODE_ATOMIC" && e.A == 0 {
					flips++
				}
			}})
		require.NoError(t, err)
		require.Empty(t, o.Kind(), "seed %d: %v", seed, o.Violation)
		assert.Equal(t, 4, flips, "seed %d", seed)
	}
}
