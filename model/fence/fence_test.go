package fence_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
	"hotplugsim/model/rcu"
)

func TestSignalOnceRunsCallbacksInOrderInSignallerContext(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	var got []string
	sim.Spawn("submit", des.Task, func(p *des.Proc) {
		for _, name := range []string{"a", "b", "c"} {
			_, err := f.AddCallback(p, func(q *des.Proc, g *fence.Fence) {
				assert.True(t, q.InAtomic(), "callbacks run under fence->lock")
				got = append(got, name+"@"+q.Name())
			})
			require.NoError(t, err)
		}
	})
	sim.Spawn("gfx_irq", des.IRQ, func(p *des.Proc) {
		p.Busy(des.Microsecond)
		assert.NoError(t, f.Signal(p))
		assert.ErrorIs(t, f.Signal(p), fence.ErrInval, "a second signal is -EINVAL")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"a@gfx_irq", "b@gfx_irq", "c@gfx_irq"}, got)
	assert.Equal(t, 1, f.Status())
	assert.Equal(t, des.Time(des.Microsecond), f.Timestamp())
}

func TestAddCallbackOnSignalledFenceIsENOENT(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		require.NoError(t, f.Signal(p))
		cb, err := f.AddCallback(p, func(*des.Proc, *fence.Fence) { t.Error("must not run") })
		assert.ErrorIs(t, err, fence.ErrNoEnt)
		assert.Nil(t, cb)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestRemoveCallback(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	ran := 0
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		cb, err := f.AddCallback(p, func(*des.Proc, *fence.Fence) { ran++ })
		require.NoError(t, err)
		keep, err := f.AddCallback(p, func(*des.Proc, *fence.Fence) { ran += 10 })
		require.NoError(t, err)
		assert.True(t, f.RemoveCallback(p, cb))
		assert.False(t, f.RemoveCallback(p, cb), "already removed")
		require.NoError(t, f.Signal(p))
		assert.False(t, f.RemoveCallback(p, keep), "already ran")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 10, ran)
}

func TestWaitBlocksUntilSignalled(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	var woke des.Time
	sim.Spawn("waiter", des.Task, func(p *des.Proc) { f.Wait(p); woke = p.Now() })
	sim.Spawn("gpu", des.IRQ, func(p *des.Proc) { p.Busy(7 * des.Microsecond); _ = f.Signal(p) })
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, des.Time(7*des.Microsecond), woke)
}

func TestWaitTimeout(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("waiter", des.Task, func(p *des.Proc) {
		assert.False(t, f.WaitTimeout(p, 0), "zero timeout only tests")
		assert.False(t, f.WaitTimeout(p, 2*des.Microsecond))
		assert.Equal(t, des.Time(2*des.Microsecond), p.Now())
		assert.True(t, f.WaitTimeout(p, des.Second))
		assert.Equal(t, des.Time(5*des.Microsecond), p.Now())
	})
	sim.Spawn("gpu", des.IRQ, func(p *des.Proc) { p.Busy(5 * des.Microsecond); _ = f.Signal(p) })
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestWaitNobodySignals(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("waiter", des.Task, func(p *des.Proc) { f.Wait(p) })
	v := modeltest.First(t, sim.Run(), oracle.Deadlock)
	assert.Contains(t, v.Msg, "waits for fence:gfx#1")
}

func TestWaitOutlivingTheHangBound(t *testing.T) {
	sim := des.MustNew(des.Config{HangTimeout: des.Second})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("waiter", des.Task, func(p *des.Proc) { f.Wait(p) })
	sim.Spawn("gpu", des.Task, func(p *des.Proc) { p.Sleep(2 * des.Second); _ = f.Signal(p) })
	modeltest.First(t, sim.Run(), oracle.Hang)
}

func TestSetErrorBeforeSignal(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("tdr", des.Worker, func(p *des.Proc) {
		f.SetError(p, -fence.ETIME)
		require.NoError(t, f.Signal(p))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, -fence.ETIME, f.Error())
	assert.Equal(t, int(-fence.ETIME), f.Status())
}

// The kernel WARNs and still stores the error: a later dma_fence_get_status sees it.
func TestSetErrorAfterSignalWarns(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("tdr", des.Worker, func(p *des.Proc) {
		require.NoError(t, f.Signal(p))
		f.SetError(p, -fence.ECANCELED)
	})
	v := modeltest.First(t, sim.Run(), oracle.Panic)
	assert.Contains(t, v.Msg, "WARNING: at include/linux/dma-fence.h dma_fence_set_error\n")
	assert.Contains(t, v.Msg, "on a signalled fence")
	assert.Equal(t, -fence.ECANCELED, f.Error(), "dma_fence_set_error stores the error after the WARN")
	assert.Equal(t, int(-fence.ECANCELED), f.Status())
}

func TestSetErrorNotANegativeErrnoWarns(t *testing.T) {
	run := func(errno fence.Errno) des.Result {
		sim := des.MustNew(des.Config{})
		f := fence.NewContext(sim, "gfx").NewFence(nil)
		sim.Spawn("tdr", des.Worker, func(p *des.Proc) {
			f.SetError(p, errno)
			_ = f.Signal(p)
		})
		return sim.Run()
	}
	r := run(-fence.ETIME)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, run(fence.ETIME), oracle.Panic)
	assert.Contains(t, v.Msg, "not a negative errno")
	modeltest.First(t, run(-4096), oracle.Panic)
}

func TestCallbackMayNotSleep(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("worker", des.Worker, func(p *des.Proc) {
		_, _ = f.AddCallback(p, func(q *des.Proc, _ *fence.Fence) { q.Sleep(des.Microsecond) })
		_ = f.Signal(p)
	})
	modeltest.First(t, sim.Run(), oracle.LockOrder)
}

func TestWaitInIRQIsInvalidContext(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	require.NoError(t, f.Signal(nil))
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { f.Wait(p) })
	v := modeltest.First(t, sim.Run(), oracle.LockOrder)
	assert.Contains(t, v.Msg, "sleeping function called from invalid context")
}

func TestPublishedFenceMustSignal(t *testing.T) {
	run := func(signal bool) des.Result {
		sim := des.MustNew(des.Config{})
		f := fence.NewContext(sim, "gfx").NewFence(nil)
		sim.Spawn("submit", des.Task, func(p *des.Proc) { f.Publish(p) })
		sim.Spawn("gpu", des.IRQ, func(p *des.Proc) {
			p.Busy(des.Microsecond)
			if signal {
				_ = f.Signal(p)
			}
		})
		return sim.Run()
	}
	r := run(true)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, run(false), oracle.FenceNeverSignalled)
	assert.Contains(t, v.Msg, "fence:gfx#1")
	assert.Contains(t, v.Msg, "Process information: process submit pid 0 thread submit pid 0")
}

func TestUnpublishedFenceMayStayUnsignalled(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("x", des.Task, func(p *des.Proc) { f.Put(p) })
	r := sim.Run()
	assert.True(t, r.OK(), r.Violations)
}

func TestReleaseWithPendingCallbacks(t *testing.T) {
	run := func(signalFirst bool) (des.Result, fence.Errno) {
		sim := des.MustNew(des.Config{CollectAll: true})
		f := fence.NewContext(sim, "gfx").NewFence(nil)
		var seen fence.Errno = 1
		sim.Spawn("x", des.Task, func(p *des.Proc) {
			_, _ = f.AddCallback(p, func(_ *des.Proc, g *fence.Fence) { seen = g.Error() })
			if signalFirst {
				_ = f.Signal(p)
			}
			f.Put(p)
			assert.Zero(t, f.Refs())
			assert.False(t, f.Freed(), "kfree_rcu: freed after a grace period")
			rcu.Barrier(p)
			assert.True(t, f.Freed())
		})
		return sim.Run(), seen
	}
	r, seen := run(true)
	assert.True(t, r.OK(), r.Violations)
	assert.Equal(t, fence.Errno(0), seen)
	r, seen = run(false)
	v := modeltest.First(t, r, oracle.FenceNeverSignalled)
	assert.Contains(t, v.Msg, "released with pending signals!")
	assert.Equal(t, -fence.EDEADLK, seen, "the callbacks run with -EDEADLK")
}

func TestPutAfterFinalPutIsUseAfterFree(t *testing.T) {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		f.Get(p)
		f.Put(p)
		f.Put(p)
		f.Put(p)
	})
	modeltest.First(t, sim.Run(), oracle.UseAfterFree)
}

func TestContextsAndSeqnos(t *testing.T) {
	sim := des.MustNew(des.Config{})
	gfx, sdma := fence.NewContext(sim, "gfx"), fence.NewContext(sim, "sdma")
	assert.NotEqual(t, gfx.ID(), sdma.ID())
	a, b := gfx.NewFence(nil), gfx.NewFence(nil)
	c := sdma.NewFence(nil)
	assert.Equal(t, []uint64{1, 2, 1}, []uint64{a.Seqno(), b.Seqno(), c.Seqno()})
	assert.True(t, b.IsLater(a))
	assert.False(t, a.IsLater(b))
	assert.True(t, a.IsLaterOrSame(a))
	assert.Equal(t, c.Seqno(), a.Seqno())
}

// dma_fence_is_later on fences of different contexts is a WARN_ON (seqnos of two timelines
// are not comparable); on one timeline it is silent.
func TestIsLaterAcrossContextsWarns(t *testing.T) {
	run := func(sameContext bool) (des.Result, bool) {
		sim := des.MustNew(des.Config{})
		gfx, sdma := fence.NewContext(sim, "gfx"), fence.NewContext(sim, "sdma")
		a, b := gfx.NewFence(nil), gfx.NewFence(nil)
		if !sameContext {
			b = sdma.NewFence(nil)
		}
		var later bool
		sim.Spawn("x", des.Task, func(p *des.Proc) { later = b.IsLater(a) })
		return sim.Run(), later
	}
	r, later := run(true)
	assert.True(t, r.OK(), r.Violations)
	assert.True(t, later)
	r, later = run(false)
	v := modeltest.First(t, r, oracle.Panic)
	assert.Contains(t, v.Msg, "dma_fence_is_later")
	assert.Equal(t, "x", v.Proc, "reported in the comparing process")
	assert.False(t, later, "different contexts are not ordered")
}

func TestExplicitSeqnoAndStub(t *testing.T) {
	sim := des.MustNew(des.Config{})
	finished := fence.NewContext(sim, "entity:finished")
	f := finished.NewFenceSeqno(nil, 41)
	assert.Equal(t, uint64(41), f.Seqno())
	assert.Equal(t, uint64(42), finished.NewFence(nil).Seqno())
	stub := fence.NewStub(sim, nil)
	assert.True(t, stub.Signalled())
	assert.Equal(t, uint64(0), stub.Context())
}

// dma_fence_ops.release runs once, at the final put, before the fence is freed.
func TestReleaseRunsAtTheFinalPut(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "ring")
	released := 0
	sim.Spawn("p", des.Task, func(p *des.Proc) {
		f := ctx.NewFence(p)
		f.SetRelease(func(_ *des.Proc, g *fence.Fence) {
			released++
			assert.False(t, g.Freed(), "release runs before the free")
		})
		f.Get(p)
		require.NoError(t, f.Signal(p))
		f.Put(p)
		assert.Zero(t, released)
		f.Put(p)
		assert.Equal(t, 1, released)
		assert.False(t, f.Freed())
		rcu.Barrier(p)
		assert.True(t, f.Freed())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}
