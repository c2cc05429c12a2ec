package irq_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/irq"
	"hotplugsim/model/workqueue"
)

// irq-work is the raise of the IRQ whose handler queued a work item → the worker starting
// it; work queued from process context is not counted.
func TestIRQToWorkLatency(t *testing.T) {
	sim := des.MustNew(des.Config{})
	rec := metrics.NewRecorder()
	metrics.Attach(sim, rec)
	wq := workqueue.AllocWorkqueue(sim, "events", 1)
	w := workqueue.InitWork(sim, "unsol", func(p *des.Proc, _ *workqueue.Work) {})
	line := irq.NewLine(sim, "hda")
	require.NoError(t, irq.RequestIRQ(nil, line, "hda", func(p *des.Proc) irq.Return {
		_, ok := metrics.IRQRaise(p)
		assert.True(t, ok)
		workqueue.QueueWork(p, wq, w)
		return irq.Handled
	}))
	busy := workqueue.InitWork(sim, "busy", func(p *des.Proc, _ *workqueue.Work) { p.Sleep(3 * des.Microsecond) })
	sim.Spawn("device", des.Task, func(p *des.Proc) {
		workqueue.QueueWork(p, wq, busy) // keeps the one worker 3us busy: the unsol work waits
		line.Raise(p)
		p.Sleep(10 * des.Microsecond)
		line.Raise(p)
		_, ok := metrics.IRQRaise(p)
		assert.False(t, ok, "not in an IRQ handler")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{metrics.IrqWork}, rec.Names())
	assert.Equal(t, []metrics.Bucket{{Value: 0, Count: 1}, {Value: 3 * des.Microsecond, Count: 1}},
		rec.Histogram(metrics.IrqWork).Buckets())
}
