package p2pevict_test

import (
	"testing"

	"github.com/leanovate/gopter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/p2p"
	"hotplugsim/model/oracle"
	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/p2pevict"
)

const seeds = 2000

// The bug-zoo numbers: replace-exclusive is caught within 2000 seeds of the default Spec and
// strategy.
func TestReplaceExclusiveFindsGPUUseAfterFree(t *testing.T) {
	first, found, other := sweep(t, p2p.ReplaceExclusive, seeds, oracle.GPUUseAfterFree)
	t.Logf("%s: first seed %d, %d of %d seeds find %s", p2p.ReplaceExclusive, first, found, seeds, oracle.GPUUseAfterFree)
	require.NotZero(t, first)
	assert.Empty(t, other, "no other violation kind")
}

func TestFenceArrayFindsNothing(t *testing.T) {
	first, found, other := sweep(t, p2p.FenceArray, seeds, oracle.GPUUseAfterFree)
	assert.Zero(t, first)
	assert.Zero(t, found)
	assert.Empty(t, other)
}

// Generated workloads (other app mixes, devices swapped, GTT and system buffers, buffers
// too big for VRAM) find nothing under the fixed policy either.
func TestFenceArrayGeneratedSpecs(t *testing.T) {
	sc := scenariotest.Lookup(t, p2pevict.Name)
	gen := workloads.GenSpec(sc)
	params := gopter.DefaultGenParameters().CloneWithSeed(1)
	for i := range 300 {
		spec := gen(params).Result.(workloads.Spec)
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: p2p.FenceArray, Spec: &spec, Seed: uint64(i + 1),
			NoTape: true, TraceRing: -1})
		require.NoError(t, err)
		require.Empty(t, o.Kind(), "spec %s: %v", spec.JSON(), o.Violation)
	}
}

// Every app-visible operation and protocol step is a begin/end span with the same object.
func TestTraceSpansArePaired(t *testing.T) {
	sc := scenariotest.Lookup(t, p2pevict.Name)
	open := map[string]int{}
	kinds := map[string]bool{}
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: 3, TraceRing: -1, Sink: func(e des.Event) {
		k := e.Kind.String()
		if base, ok := cut(k, ":begin"); ok {
			open[base+" "+e.Obj.String()]++
			kinds[base] = true
		} else if base, ok := cut(k, ":end"); ok {
			open[base+" "+e.Obj.String()]--
		}
	}})
	require.NoError(t, err)
	for k, n := range open {
		assert.Zero(t, n, k)
	}
	for _, k := range []string{"ioctl", "evict", "move", "move_notify", "attach", "release"} {
		assert.True(t, kinds[k], k)
	}
}

func TestBuildRejectsUnknownDriverAndPolicy(t *testing.T) {
	sc := scenariotest.Lookup(t, p2pevict.Name)
	spec := sc.Spec.Clone()
	spec.Topology.Devices[1].Driver = "nvme"
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `driver "nvme"`)
	spec = sc.Spec.Clone()
	spec.Topology.Devices[1].Driver = "gpu:"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `driver "gpu:": p2p-evict has driver "gpu" or "gpu:<bridge>"`, "a bridge needs a name")
	spec = sc.Spec.Clone()
	spec.Topology.Devices[1].Policy = "yolo"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `no policy "yolo"`)
}

// Same seed, same run; and the tape replays it exactly.
func TestDeterministicAndReplayable(t *testing.T) {
	scenariotest.RunsRepeatAndReplay(t, scenariotest.Lookup(t, p2pevict.Name), []string{p2p.ReplaceExclusive, p2p.FenceArray}, 2)
}

// The Spec's drivers place the GPUs: behind one switch the importer maps A's VRAM peer to
// peer; with the importer on the root bus (or behind another bridge) the distance check
// fails and mapping migrates the buffer to GTT first.
func TestSpecDriversDecideP2P(t *testing.T) {
	sc := scenariotest.Lookup(t, p2pevict.Name)
	for _, tc := range []struct {
		drvB     string
		migrates bool
	}{{"gpu:sw0", false}, {"gpu", true}, {"gpu:rp1", true}} {
		spec := sc.Spec.Clone()
		spec.Topology.Devices[1].Driver = tc.drvB
		migrated := false
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: 1, TraceRing: -1, Strategy: "fifo",
			Sink: func(e des.Event) { migrated = migrated || e.Kind.String() == "migrate:begin" }})
		require.NoError(t, err)
		assert.Empty(t, o.Kind(), tc.drvB)
		assert.Equal(t, tc.migrates, migrated, tc.drvB)
	}
}
