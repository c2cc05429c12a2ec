package fence_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
)

// The DOC example of dma-fence.c: a thread waits for a fence while holding lock A, and the
// code that must run to signal the fence takes A. Lockdep sees the cycle through the
// signalling annotation without the deadlock happening.
func waitUnderLockTakenToSignal(holdWhileWaiting bool) des.Result {
	sim := des.MustNew(des.Config{})
	a := lock.NewMutex(sim, "A")
	f := fence.NewContext(sim, "ring").NewFence(nil)
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		a.Lock(p)
		if !holdWhileWaiting {
			a.Unlock(p)
		}
		f.Wait(p)
		if holdWhileWaiting {
			a.Unlock(p)
		}
	})
	sim.Spawn("job_done", des.Worker, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		cookie := fence.BeginSignalling(p)
		a.Lock(p)
		a.Unlock(p)
		_ = f.Signal(p)
		fence.EndSignalling(p, cookie)
	})
	return sim.Run()
}

func TestFenceWaitUnderALockTheSignallerTakes(t *testing.T) {
	r := waitUnderLockTakenToSignal(false)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, waitUnderLockTakenToSignal(true), oracle.LockOrder)
	assert.Contains(t, v.Msg, "dma_fence_map")
}

// Taking a dma_resv lock inside a signalling section inverts the order lockdep was primed
// with (dma_resv_lockdep: reservation_ww_class_mutex -> dma_fence_map).
func resvLockInSignalling(inside bool) des.Result {
	sim := des.MustNew(des.Config{})
	bo := fence.NewResv(sim, "bo:1")
	f := fence.NewContext(sim, "ring").NewFence(nil)
	sim.Spawn("job_done", des.Worker, func(p *des.Proc) {
		cookie := fence.BeginSignalling(p)
		if inside {
			require.NoError(nil, bo.Lock(p, nil))
			bo.Unlock(p)
		}
		_ = f.Signal(p)
		fence.EndSignalling(p, cookie)
		require.NoError(nil, bo.Lock(p, nil))
		bo.Unlock(p)
	})
	return sim.Run()
}

func TestResvLockInsideSignallingSection(t *testing.T) {
	r := resvLockInSignalling(false)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, resvLockInSignalling(true), oracle.LockOrder)
	assert.Contains(t, v.Msg, "reservation_ww_class")
}

// the amdgpu hot-unplug v6 thread's open TODO: an ioctl waits for a fence inside drm_dev_enter (an SRCU read
// section) while the unplug path, which must signal that fence, calls synchronize_srcu.
func fenceWaitInDevEnter(insideEnter bool) des.Result {
	sim := des.MustNew(des.Config{})
	srcu := lock.NewSRCU(sim, "drm_unplug_srcu")
	f := fence.NewContext(sim, "ring").NewFence(nil)
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		idx := srcu.ReadLock(p)
		if !insideEnter {
			srcu.ReadUnlock(p, idx)
		}
		f.Wait(p)
		if insideEnter {
			srcu.ReadUnlock(p, idx)
		}
	})
	sim.Spawn("unplug", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		cookie := fence.BeginSignalling(p)
		srcu.Synchronize(p)
		f.SetError(p, -fence.ENODEV)
		_ = f.Signal(p) // force-signal after the device is gone
		fence.EndSignalling(p, cookie)
	})
	return sim.Run()
}

func TestFenceWaitInsideDrmDevEnter(t *testing.T) {
	r := fenceWaitInDevEnter(false)
	assert.True(t, r.OK(), r.Violations)
	modeltest.First(t, fenceWaitInDevEnter(true), oracle.LockOrder)
}

// Signalling from inside a signalling section (a callback signalling a chained fence, a
// nested BeginSignalling) is fine: the annotation is a recursive read lock.
func TestNestedSignallingSections(t *testing.T) {
	sim := des.MustNew(des.Config{})
	hw := fence.NewContext(sim, "ring").NewFence(nil)
	finished := fence.NewContext(sim, "entity.finished").NewFence(nil)
	sim.Spawn("sched", des.Worker, func(p *des.Proc) {
		_, err := hw.AddCallback(p, func(q *des.Proc, _ *fence.Fence) { _ = finished.Signal(q) })
		require.NoError(nil, err)
	})
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) {
		p.Busy(des.Microsecond)
		_ = hw.Signal(p)
	})
	sim.Spawn("worker", des.Worker, func(p *des.Proc) {
		outer := fence.BeginSignalling(p)
		inner := fence.BeginSignalling(p)
		assert.True(t, inner, "nested: nothing taken")
		assert.True(t, fence.InSignalling(p))
		fence.EndSignalling(p, inner)
		fence.EndSignalling(p, outer)
		assert.False(t, fence.InSignalling(p))
		finished.Wait(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.True(t, finished.Signalled())
}

// A callback that signals a fence of its own timeline takes fence->lock recursively: the
// kernel would deadlock on the spinlock, lockdep says so first.
func TestSignalSameTimelineFromCallback(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ring := fence.NewContext(sim, "ring")
	a, b := ring.NewFence(nil), ring.NewFence(nil)
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) {
		_, _ = a.AddCallback(p, func(q *des.Proc, _ *fence.Fence) { _ = b.Signal(q) })
		_ = a.Signal(p)
	})
	v := modeltest.First(t, sim.Run(), oracle.LockOrder)
	assert.Contains(t, v.Msg, "possible recursive locking detected")
}

// Waiting inside a signalling section while holding a lock taken inside it is a cycle
// (dma_fence_map -> A -> dma_fence_map). A wait with no lock held inside the section is not
// reported, as in the kernel: __dma_fence_might_wait drops the read hold first.
func waitInsideSignalling(holdLock bool) des.Result {
	sim := des.MustNew(des.Config{})
	a := lock.NewMutex(sim, "A")
	dep := fence.NewContext(sim, "dep").NewFence(nil)
	require.NoError(nil, dep.Signal(nil))
	sim.Spawn("reset_work", des.Worker, func(p *des.Proc) {
		cookie := fence.BeginSignalling(p)
		if holdLock {
			a.Lock(p)
		}
		dep.Wait(p)
		if holdLock {
			a.Unlock(p)
		}
		fence.EndSignalling(p, cookie)
	})
	return sim.Run()
}

func TestWaitInsideSignallingSection(t *testing.T) {
	r := waitInsideSignalling(false)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, waitInsideSignalling(true), oracle.LockOrder)
	assert.Contains(t, v.Msg, "possible circular locking dependency detected")
}

// Priming also records mmap_lock -> reservation_ww_class_mutex: taking mmap_lock while
// holding a resv lock (copy_to_user under a BO lock) is an inversion.
func mmapLockUnderResv(inverted bool) des.Result {
	sim := des.MustNew(des.Config{})
	bo := fence.NewResv(sim, "bo:1")
	mmap := lock.NewRWSem(sim, "&mm->mmap_lock")
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		if inverted {
			require.NoError(nil, bo.Lock(p, nil))
			mmap.DownRead(p)
			mmap.UpRead(p)
			bo.Unlock(p)
			return
		}
		mmap.DownRead(p)
		require.NoError(nil, bo.Lock(p, nil))
		bo.Unlock(p)
		mmap.UpRead(p)
	})
	return sim.Run()
}

func TestMmapLockUnderResvLock(t *testing.T) {
	r := mmapLockUnderResv(false)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, mmapLockUnderResv(true), oracle.LockOrder)
	assert.Contains(t, v.Msg, "mmap_lock")
}

// dma_fence_begin_signalling is a successful read trylock (mainline dma-fence.c): beginning
// a section under lock A records no A -> dma_fence_map, so a section begun under A and
// another that takes A inside is no cycle (a plain read acquire made this a false report:
// e.g. the TDR work signalling fences vs cancel_delayed_work_sync on it). Waiting for a
// fence under A, with a section that takes A, still is one.
func TestBeginSignallingUnderALockAddsNoDependency(t *testing.T) {
	run := func(waitUnderA bool) des.Result {
		sim := des.MustNew(des.Config{})
		a := lock.NewMutex(sim, "A")
		f := fence.NewContext(sim, "ring").NewFence(nil)
		sim.Spawn("reset", des.Worker, func(p *des.Proc) {
			a.Lock(p)
			cookie := fence.BeginSignalling(p) // a section begun under A
			fence.EndSignalling(p, cookie)
			if waitUnderA {
				f.Wait(p) // A -> dma_fence_map: the real bug
			}
			a.Unlock(p)
		})
		sim.Spawn("job_done", des.Worker, func(p *des.Proc) {
			p.Sleep(des.Microsecond)
			cookie := fence.BeginSignalling(p)
			a.Lock(p) // dma_fence_map -> A
			a.Unlock(p)
			_ = f.Signal(p)
			fence.EndSignalling(p, cookie)
		})
		return sim.Run()
	}
	r := run(false)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, run(true), oracle.LockOrder)
	assert.Contains(t, v.Msg, "dma_fence_map")
}

// allocInSignalling runs a job's completion path (a signalling section) that allocates
// with gfp, after another process used a buffer under its resv lock (which primes lockdep
// as dma_resv_lockdep does at boot).
func allocInSignalling(gfp mm.GFP) des.Result {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "ring").NewFence(nil)
	bo := fence.NewResv(sim, "bo")
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		require.NoError(nil, bo.Lock(p, nil))
		mm.MightAlloc(p, mm.GFPKernel) // allocating under a resv lock is fine
		bo.Unlock(p)
	})
	sim.Spawn("tdr", des.Worker, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		cookie := fence.BeginSignalling(p)
		mm.MightAlloc(p, gfp)
		_ = f.Signal(p)
		fence.EndSignalling(p, cookie)
	})
	return sim.Run()
}

// A blocking allocation in a signalling section can recurse into reclaim, whose mmu
// notifiers and shrinkers wait for fences: the fence may wait for itself. GFP_NOFS is no
// better (reclaim still invalidates mappings); GFP_NOWAIT and GFP_ATOMIC are the fix.
func TestAllocationInsideSignallingSection(t *testing.T) {
	for _, gfp := range []mm.GFP{mm.GFPNoWait, mm.GFPAtomic} {
		r := allocInSignalling(gfp)
		assert.True(t, r.OK(), "%v: %v", gfp, r.Violations)
	}
	v := modeltest.First(t, allocInSignalling(mm.GFPKernel), oracle.LockOrder)
	assert.Contains(t, v.Msg, "possible circular locking dependency detected")
	assert.Contains(t, v.Msg, "fs_reclaim")
	v = modeltest.First(t, allocInSignalling(mm.GFPNoFS), oracle.LockOrder)
	assert.Contains(t, v.Msg, "mmu_notifier_invalidate_range_start")
}
