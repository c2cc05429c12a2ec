package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/irq"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
)

// A ring with a line raises it on completion; the driver's handler signals the fence. Once the
// driver freed the irq (amdgpu_irq_fini_hw's free_irq), a completion is a spurious interrupt:
// nothing signals the fence any more, only the driver's force completion can.
func TestRingCompletionGoesThroughTheLine(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ring := sched.NewRing(sim, "gfx")
	line := irq.NewLine(sim, "gpu")
	ring.AttachIRQ(line)
	require.NoError(t, irq.RequestIRQ(nil, line, "amdgpu", func(p *des.Proc) irq.Return {
		ring.FenceProcess(p)
		return irq.Handled
	}))
	var first, second *fence.Fence
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		first = ring.Submit(p, 10, false)
		first.Wait(p)
		irq.FreeIRQ(p, line)
		second = ring.Submit(p, 10, false)
		p.Sleep(50)
		assert.False(t, second.Signalled(), "no handler after free_irq: the completion is not processed")
		assert.Equal(t, 1, ring.ForceCompletion(p, -fence.ENODEV))
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.First())
	assert.True(t, first.Signalled())
	assert.Equal(t, irq.Stats{Handled: 1, Spurious: 1}, line.Stats())
}

// free_irq waits for a fence interrupt in progress: whatever the handler's fence callbacks
// touch (drm_sched_job_done: the scheduler) may be freed once FreeIRQ returns.
func TestFreeIRQWaitsForTheFenceInterruptInProgress(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ring := sched.NewRing(sim, "gfx")
	line := irq.NewLine(sim, "gpu")
	ring.AttachIRQ(line)
	var handlerEnd, freed des.Time
	require.NoError(t, irq.RequestIRQ(nil, line, "amdgpu", func(p *des.Proc) irq.Return {
		ring.FenceProcess(p)
		p.Busy(5) // the rest of amdgpu_irq_handler
		handlerEnd = p.Now()
		return irq.Handled
	}))
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		f := ring.Submit(p, 10, false)
		f.Wait(p)
		irq.FreeIRQ(p, line)
		freed = p.Now()
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.First())
	assert.Equal(t, des.Time(15), handlerEnd)
	assert.GreaterOrEqual(t, freed, handlerEnd, "free_irq returned while the handler ran")
}

// jobDoneAfterFini: a job completes on the ring while the line is disabled (its interrupt
// pending), then the driver tears down and frees the scheduler, and the line is enabled again.
// kernelOrder is amdgpu_device_fini_hw before fini_sw: force completion (the job is done on a
// live scheduler), free_irq (the stray interrupt is dropped), drm_sched_fini, kfree. Without
// it the driver frees the scheduler under the pending interrupt.
func jobDoneAfterFini(t *testing.T, kernelOrder bool) des.Result {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{})
	line := irq.NewLine(sim, "gpu")
	d.ring.AttachIRQ(line)
	require.NoError(t, irq.RequestIRQ(nil, line, "drv", func(p *des.Proc) irq.Return {
		d.ring.FenceProcess(p)
		return irq.Handled
	}))
	e := sched.NewEntity(sim, "ctx", d.s)
	var j *sched.Job
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		j = submit(t, p, e, "j", hw{dur: 10})
		irq.DisableIRQNosync(p, line)
		p.Sleep(20)
		require.True(t, line.Pending(), "the completion waits for the line")
		if kernelOrder {
			d.ring.ForceCompletion(p, -fence.ENODEV)
			irq.FreeIRQ(p, line)
		}
		sched.Fini(p, d.s)
		d.s.Free(p)
		irq.EnableIRQ(p, line)
		p.Sleep(10)
	})
	r := sim.Run()
	if kernelOrder {
		assert.True(t, j.Finished().Signalled())
	}
	return r
}

func TestJobDoneOnAFreedSchedulerIsReported(t *testing.T) {
	r := jobDoneAfterFini(t, false)
	v := r.First()
	require.NotNil(t, v)
	assert.Equal(t, oracle.UseAfterFree, v.Kind)
	assert.Contains(t, v.Msg, "slab-use-after-free in drm_sched_job_done\nWrite of size 4 at addr ")
}

func TestJobDoneIsQuietInTheKernelsTeardownOrder(t *testing.T) {
	r := jobDoneAfterFini(t, true)
	assert.True(t, r.OK(), "%v", r.First())
}
