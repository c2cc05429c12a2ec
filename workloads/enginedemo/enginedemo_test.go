package enginedemo_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des/metrics"
	"hotplugsim/workloads"
	"hotplugsim/workloads/enginedemo"
	"hotplugsim/workloads/internal/scenariotest"
)

func sweep(t *testing.T, sc *workloads.Scenario, policy string, spec *workloads.Spec, seeds uint64) (fails int, kinds map[string]int) {
	kinds = map[string]int{}
	for seed := uint64(1); seed <= seeds; seed++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Spec: spec, Seed: seed, NoTape: true, TraceRing: -1})
		require.NoError(t, err)
		if o.Violation != nil {
			fails++
			kinds[o.Violation.Kind]++
		}
	}
	return fails, kinds
}

func TestPolicies(t *testing.T) {
	sc := scenariotest.Lookup(t, enginedemo.Name)
	n, kinds := sweep(t, sc, enginedemo.Unsync, nil, 1000)
	assert.Positive(t, n, "unsync races")
	assert.Equal(t, map[string]int{"use-after-unmap": n}, kinds)
	n, _ = sweep(t, sc, enginedemo.Sync, nil, 1000)
	assert.Zero(t, n, "sync waits for readers")
	n, _ = sweep(t, sc, enginedemo.Unsync, nil, 0)
	assert.Zero(t, n)
}

// Two devices, one forced to unsync by the topology: only its readers fail. Idle apps and
// surprise removal run too.
func TestPerDevicePolicy(t *testing.T) {
	sc, _ := workloads.Lookup(enginedemo.Name)
	spec := workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{
			{Name: "gpu0", Driver: "demo"}, {Name: "gpu1", Driver: "demo", Policy: enginedemo.Unsync}}},
		Apps: []workloads.App{
			{Kind: "render", Device: "gpu0", Count: 2, Ops: 20, IntervalNs: 3000},
			{Kind: "compute", Device: "gpu1", Count: 2, Ops: 20, IntervalNs: 3000},
			{Kind: "idle", Device: "gpu1", Count: 1, Ops: 5},
		},
		Events: []workloads.Event{
			{Kind: "surprise-removal", Device: "gpu0", AtNs: 20000},
			{Kind: "unplug", Device: "gpu1", AtNs: 20000},
			{Kind: "unplug", Device: "gpu1", AtNs: 30000},
		},
	}
	fails := 0
	for seed := uint64(1); seed <= 1000; seed++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: enginedemo.Sync, Spec: &spec, Seed: seed, NoTape: true})
		require.NoError(t, err)
		if o.Violation != nil {
			fails++
			assert.Contains(t, o.Violation.Process, "compute1.", "only gpu1's apps fail")
			assert.Contains(t, o.Violation.Message, "gpu1:status")
		}
	}
	assert.Positive(t, fails)

	spec.Topology.Devices[1].Policy = "v6"
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `device gpu1: demo: no policy "v6" (have unsync, sync)`)
}

// With --metrics the demo records its ioctl and unplug latencies, and the runs are the same.
func TestMetricsOnRunsTheSame(t *testing.T) {
	sc := scenariotest.Lookup(t, enginedemo.Name)
	all := metrics.NewRecorder()
	for seed := uint64(1); seed <= 50; seed++ {
		for _, pol := range []string{enginedemo.Sync, enginedemo.Unsync} {
			off, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: seed})
			require.NoError(t, err)
			rec := metrics.NewRecorder()
			on, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: seed, Metrics: rec})
			require.NoError(t, err)
			require.Equal(t, off.Fingerprint, on.Fingerprint, "seed %d %s", seed, pol)
			assert.Nil(t, off.Metrics)
			assert.Same(t, rec, on.Metrics)
			all.Merge(rec)
		}
	}
	assert.Equal(t, []string{metrics.Ioctl("DEMO_READ"), metrics.UnplugRemove}, all.Names())
	assert.Positive(t, all.Histogram(metrics.Ioctl("DEMO_READ")).Max(), "preemption delays make some ioctls slow")
}
