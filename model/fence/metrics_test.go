package fence_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/fence"
)

// fence is Publish → signal; fence-after-unplug the first unplug start after publication →
// signal; an unpublished fence counts in neither.
func TestFenceLatencyAndSignalAfterUnplug(t *testing.T) {
	sim := des.MustNew(des.Config{})
	rec := metrics.NewRecorder()
	metrics.Attach(sim, rec)
	ctx := fence.NewContext(sim, "gfx")
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		early := ctx.NewFence(p)
		early.Publish(p)
		p.Sleep(2 * des.Microsecond)
		require.NoError(t, early.Signal(p)) // 2us, before any unplug
		pending := ctx.NewFence(p)
		pending.Publish(p)
		private := ctx.NewFence(p)
		p.Sleep(des.Microsecond)
		metrics.MarkUnplug(sim, sim.Now()) // the unplug starts at 3us
		p.Sleep(4 * des.Microsecond)
		require.NoError(t, pending.Signal(p)) // 5us after publication, 4us after the unplug
		require.NoError(t, private.Signal(p))
		pending.Put(p)
		private.Put(p)
		early.Put(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []metrics.Bucket{{Value: 2 * des.Microsecond, Count: 1}, {Value: 5 * des.Microsecond, Count: 1}},
		rec.Histogram(metrics.Fence).Buckets())
	assert.Equal(t, []metrics.Bucket{{Value: 4 * des.Microsecond, Count: 1}}, rec.Histogram(metrics.FenceAfterUnplug).Buckets())
}

// Metrics off: marks are ignored and nothing is recorded.
func TestFenceMetricsOff(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		f := ctx.NewFence(p)
		f.Publish(p)
		metrics.MarkUnplug(sim, sim.Now())
		require.NoError(t, f.Signal(p))
		_, ok := metrics.UnplugSince(sim, 0)
		assert.False(t, ok)
		f.Put(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}
