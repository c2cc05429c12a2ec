package lock_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
)

// synchronize_srcu waits for the reader that was inside, not for the one that entered after.
func TestSRCUSynchronizeWaitsOnlyForEarlierReaders(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := lock.NewSRCU(sim, "drm_unplug_srcu")
	var syncDone des.Time
	sim.Spawn("early", des.Task, func(p *des.Proc) {
		idx := s.ReadLock(p)
		p.Sleep(10)
		s.ReadUnlock(p, idx)
	})
	sim.Spawn("unplug", des.Task, func(p *des.Proc) {
		p.Sleep(1)
		s.Synchronize(p)
		syncDone = p.Now()
	})
	sim.Spawn("late", des.Task, func(p *des.Proc) {
		p.Sleep(2)
		idx := s.ReadLock(p)
		p.Sleep(100)
		s.ReadUnlock(p, idx)
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, des.Time(10), syncDone)
}

func TestSRCUSynchronizeWithNoReadersReturnsAtOnce(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := lock.NewSRCU(sim, "srcu")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		for i := 0; i < 3; i++ {
			idx := s.ReadLock(p)
			s.ReadUnlock(p, idx)
			s.Synchronize(p)
			assert.Equal(t, des.Time(0), p.Now())
		}
	})
	sim.Spawn("y", des.Task, func(p *des.Proc) { s.Synchronize(p) })
	modeltest.OK(t, sim.Run())
}

func TestSRCUReadUnlockWrongIdx(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := lock.NewSRCU(sim, "srcu")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		idx := s.ReadLock(p)
		s.ReadUnlock(p, idx^1)
	})
	onlyLockOrder(t, sim.Run(), "WARNING: at include/linux/srcu.h srcu_read_unlock\n",
		"srcu_read_unlock(&srcu, 1): the task's read sections of it hold idx 0", "1 lock held by x#0:\n #0: (srcu){recursive read}")
}

// srcu_read_unlock with no read section open is lockdep's bad unlock balance.
func TestSRCUReadUnlockWithoutReadLock(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := lock.NewSRCU(sim, "srcu")
	sim.Spawn("x", des.Task, func(p *des.Proc) { s.ReadUnlock(p, 0) })
	onlyLockOrder(t, sim.Run(), "WARNING: bad unlock balance detected!", "x#0 is trying to release lock (srcu)")
}

// synchronize_srcu inside the same srcu's read section can never finish.
func TestSRCUSynchronizeInsideReadSection(t *testing.T) {
	sim := modeltest.Collect()
	s := lock.NewSRCU(sim, "srcu")
	sim.Spawn("x", des.Task, func(p *des.Proc) { s.ReadLock(p); s.Synchronize(p) })
	r := sim.Run()
	require.Equal(t, []des.ViolationKind{oracle.LockOrder, oracle.Deadlock}, modeltest.Kinds(r))
	assert.Contains(t, r.Violations[0].Msg, "possible recursive locking detected")
	assert.Contains(t, r.Violations[1].Msg, "held by x#0")
}

// The amdgpu hot-unplug v6 TODO: a fence wait inside a drm_dev_enter section (X) and an
// unplug path that holds a fence-signalling section and calls synchronize_srcu (Y). The two
// happen 1 ms apart and the run ends cleanly; lockdep reports the cycle anyway.
func TestFenceWaitInsideSRCUReadSectionVsSynchronizeInSignalling(t *testing.T) {
	sim := modeltest.Collect()
	srcu := lock.NewSRCU(sim, "drm_unplug_srcu")
	fence := lock.NewMap(sim, "dma_fence_map")
	sim.Spawn("X", des.Task, func(p *des.Proc) {
		idx := srcu.ReadLock(p) // drm_dev_enter
		fence.Acquire(p)        // dma_fence_wait: __dma_fence_might_wait
		fence.Release(p)
		srcu.ReadUnlock(p, idx) // drm_dev_exit
	})
	sim.Spawn("Y", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond)
		fence.AcquireRead(p) // dma_fence_begin_signalling
		srcu.Synchronize(p)  // drm_dev_unplug
		fence.Release(p)     // dma_fence_end_signalling
	})
	r := sim.Run()
	v := onlyLockOrder(t, r, "WARNING: possible circular locking dependency detected",
		"Y#1 is trying to acquire lock:\n (drm_unplug_srcu){write}",
		"but task is already holding lock:\n (dma_fence_map){recursive read}",
		"-> #1 (dma_fence_map):\n       taken while holding (drm_unplug_srcu) by X#0 at @0ns")
	assert.Equal(t, "Y", v.Proc)
	assert.NotContains(t, modeltest.Kinds(r), oracle.Deadlock)
}

// The same with the signalling section as dma_fence_begin_signalling takes it (a
// non-recursive read), and with the two orders swapped in time.
func TestSynchronizeInSignallingThenFenceWaitInReadSection(t *testing.T) {
	sim := modeltest.Collect()
	srcu := lock.NewSRCU(sim, "drm_unplug_srcu")
	fence := lock.NewMap(sim, "dma_fence_map")
	sim.Spawn("Y", des.Task, func(p *des.Proc) {
		fence.AcquireShared(p)
		srcu.Synchronize(p)
		fence.Release(p)
	})
	sim.Spawn("X", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond)
		idx := srcu.ReadLock(p)
		fence.Acquire(p)
		fence.Release(p)
		srcu.ReadUnlock(p, idx)
	})
	onlyLockOrder(t, sim.Run(), "circular", "X#1 is trying to acquire lock:\n (dma_fence_map){write}")
}

// Readers of both never form a cycle: recursive readers do not block each other.
func TestRecursiveReadersNeverFormACycle(t *testing.T) {
	sim := modeltest.Collect()
	srcu := lock.NewSRCU(sim, "srcu")
	fence := lock.NewMap(sim, "dma_fence_map")
	sim.Spawn("a", des.Task, func(p *des.Proc) {
		idx := srcu.ReadLock(p)
		fence.AcquireRead(p)
		fence.Release(p)
		srcu.ReadUnlock(p, idx)
	})
	sim.Spawn("b", des.Task, func(p *des.Proc) {
		p.Sleep(5)
		fence.AcquireRead(p)
		idx := srcu.ReadLock(p)
		srcu.ReadUnlock(p, idx)
		fence.Release(p)
	})
	modeltest.OK(t, sim.Run())
}
