package rcu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/rcu"
)

// A reader that does not sleep, nested sections included, is quiet.
func TestReaderWithoutSleepPasses(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		rcu.ReadLock(p)
		rcu.ReadLock(p)
		assert.True(t, rcu.ReadLockHeld(p))
		p.Busy(5)
		rcu.ReadUnlock(p)
		rcu.ReadUnlock(p)
		assert.False(t, rcu.ReadLockHeld(p))
		p.Sleep(5) // outside the section: fine
	})
	modeltest.OK(t, sim.Run())
	assert.Zero(t, rcu.Readers(sim))
}

// Sleeping inside a read section is might_sleep's BUG, with rcu_read_lock among the held locks.
func TestSleepInReaderFires(t *testing.T) {
	sim := des.MustNew(des.Config{})
	m := lock.NewMutex(sim, "&dev->lock")
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		rcu.ReadLock(p)
		m.Lock(p)
		m.Unlock(p)
		rcu.ReadUnlock(p)
	})
	modeltest.First(t, sim.Run(), oracle.LockOrder, "BUG: sleeping function called from invalid context",
		"(rcu_read_lock){recursive read}")
}

// A plain sleep in a read section fires too (des's might_sleep).
func TestMsleepInReaderFires(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("reader", des.Task, func(p *des.Proc) { rcu.ReadLock(p); p.Sleep(1); rcu.ReadUnlock(p) })
	modeltest.First(t, sim.Run(), oracle.LockOrder, "BUG: sleeping function called from invalid context")
}

// synchronize_rcu waits for the reader that was inside when it was called, not for the one
// that entered after.
func TestSynchronizeWaitsOnlyForEarlierReaders(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var done des.Time
	sim.Spawn("early", des.Task, func(p *des.Proc) {
		rcu.ReadLock(p)
		p.Busy(5 * des.Millisecond)
		rcu.ReadUnlock(p)
	})
	sim.Spawn("unplug", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		rcu.Synchronize(p)
		done = p.Now()
	})
	sim.Spawn("late", des.Task, func(p *des.Proc) {
		p.Sleep(2 * des.Microsecond)
		rcu.ReadLock(p)
		p.Busy(100 * des.Millisecond)
		rcu.ReadUnlock(p)
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, des.Time(5*des.Millisecond), done)
	assert.Equal(t, uint64(1), rcu.GracePeriods(sim))
}

// With no reader, a grace period still lasts its lower bound.
func TestSynchronizeWithoutReadersTakesAGracePeriod(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var done des.Time
	sim.Spawn("x", des.Task, func(p *des.Proc) { rcu.Synchronize(p); done = p.Now() })
	modeltest.OK(t, sim.Run())
	assert.Equal(t, des.Time(rcu.GracePeriod), done)
}

// synchronize_rcu inside a read section is lockdep-RCU's WARN, then a wait for itself.
func TestSynchronizeInReaderFires(t *testing.T) {
	sim := modeltest.Collect()
	sim.Spawn("x", des.Task, func(p *des.Proc) { rcu.ReadLock(p); rcu.Synchronize(p); rcu.ReadUnlock(p) })
	r := sim.Run()
	v := modeltest.First(t, r, oracle.LockOrder, "WARNING: suspicious RCU usage",
		"kernel/rcu/tree.c Illegal synchronize_rcu() in RCU read-side critical section!", "(rcu_read_lock)")
	assert.NotContains(t, v.Msg, "BUG: sleeping")
	assert.Contains(t, modeltest.Kinds(r), oracle.Deadlock)
}

// call_rcu's callback runs after the grace period, in softirq context (atomic), after the
// reader that was inside has left; kfree_rcu frees then.
func TestCallRunsAfterGracePeriodInSoftirq(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var ranAt des.Time
	var atomic bool
	var obj kasan.Obj
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		obj.Alloc(sim, p, "obj")
		rcu.ReadLock(p)
		p.Busy(3 * des.Millisecond)
		require.True(t, obj.Use(p, "read"), "valid until the grace period ends")
		rcu.ReadUnlock(p)
	})
	sim.Spawn("writer", des.Task, func(p *des.Proc) {
		rcu.Call(sim, p, func(q *des.Proc) { ranAt, atomic = q.Now(), q.InAtomic() })
		rcu.KfreeRCU(sim, p, &obj, "release")
		assert.True(t, obj.Live())
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, des.Time(3*des.Millisecond), ranAt)
	assert.True(t, atomic)
	assert.True(t, obj.Freed())
}

// A use after the grace period is KASAN's report, which names where the free was queued.
func TestUseAfterGracePeriodFires(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var obj kasan.Obj
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		obj.Alloc(sim, p, "obj")
		rcu.KfreeRCU(sim, p, &obj, "obj_release", "obj_put")
		p.Sleep(2 * rcu.GracePeriod)
		obj.Use(p, "obj_read")
	})
	modeltest.Only(t, sim.Run(), oracle.UseAfterFree, "BUG: KASAN: slab-use-after-free in obj_read",
		"Freed by task 2 (rcuc/0):\n kfree\n rcu_do_batch", "Last potentially related work creation by task 0 (x):\n obj_release\n obj_put")
}

// A callback that sleeps sleeps in softirq context.
func TestSleepInCallbackFires(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("x", des.Task, func(p *des.Proc) { rcu.Call(sim, p, func(q *des.Proc) { q.Sleep(1) }) })
	modeltest.First(t, sim.Run(), oracle.LockOrder, "BUG: sleeping function called from invalid context", "rcuc/0")
}

// rcu_barrier waits for every callback queued before it, and returns at once with none.
func TestBarrierWaitsForCallbacks(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ran := 0
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		rcu.Barrier(p)
		assert.Equal(t, des.Time(0), p.Now())
		for range 3 {
			rcu.Call(sim, p, func(*des.Proc) { ran++ })
		}
		rcu.Barrier(p)
		assert.Equal(t, 3, ran)
	})
	modeltest.OK(t, sim.Run())
}

// A callback queued while a grace period runs waits for the next one: a reader that began
// after the first grace period started but before the call is waited for.
func TestCallDuringGracePeriodWaitsForTheNext(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var ranAt des.Time
	sim.Spawn("sync", des.Task, func(p *des.Proc) { rcu.Synchronize(p) })
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond)
		rcu.ReadLock(p)
		p.Busy(5 * des.Millisecond)
		rcu.ReadUnlock(p)
	})
	sim.Spawn("writer", des.Task, func(p *des.Proc) {
		p.Sleep(20 * des.Microsecond)
		rcu.Call(sim, p, func(q *des.Proc) { ranAt = q.Now() })
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, uint64(2), rcu.GracePeriods(sim))
	assert.GreaterOrEqual(t, ranAt, des.Time(5*des.Millisecond+10*des.Microsecond))
}

// rcu_read_unlock without rcu_read_lock is lockdep's bad unlock balance.
func TestUnlockWithoutLockFires(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("x", des.Task, func(p *des.Proc) { rcu.ReadUnlock(p) })
	modeltest.Only(t, sim.Run(), oracle.LockOrder, "WARNING: bad unlock balance detected!", "(rcu_read_lock)")
}

// A process that ends inside a read section still holds rcu_read_lock.
func TestExitInReaderFires(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("x", des.Task, func(p *des.Proc) { rcu.ReadLock(p) })
	modeltest.First(t, sim.Run(), oracle.LockOrder, "still has locks held", "rcu_read_lock")
}

// A read section adds no lockdep dependency: a spinlock taken inside a section under another
// gets no dependency on it, so the opposite order later is no cycle.
func TestReaderAddsNoLockdepDependency(t *testing.T) {
	sim := des.MustNew(des.Config{})
	a, b := lock.NewSpinLock(sim, "a"), lock.NewSpinLock(sim, "b")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		a.Lock(p)
		rcu.ReadLock(p)
		b.Lock(p) // no a -> b: rcu_read_lock, unchecked, is on top
		b.Unlock(p)
		rcu.ReadUnlock(p)
		a.Unlock(p)
		b.Lock(p)
		a.Lock(p)
		a.Unlock(p)
		b.Unlock(p)
	})
	modeltest.OK(t, sim.Run())
}

// rcu_barrier sleeps: inside a read section it is might_sleep's BUG.
func TestBarrierInReaderFires(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		rcu.Call(sim, p, func(*des.Proc) {})
		rcu.ReadLock(p)
		rcu.Barrier(p)
		rcu.ReadUnlock(p)
	})
	modeltest.First(t, sim.Run(), oracle.LockOrder, "BUG: sleeping function called from invalid context")
}

// rcu_dereference inside a read section is quiet; outside one it is lockdep-RCU's WARN, once.
func TestDereferenceCheck(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true})
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		rcu.ReadLock(p)
		rcu.DereferenceCheck(p, "drivers/gpu/drm/toy.c")
		rcu.ReadUnlock(p)
		rcu.DereferenceCheck(p, "drivers/gpu/drm/toy.c")
		rcu.DereferenceCheck(p, "drivers/gpu/drm/toy.c")
	})
	modeltest.Only(t, sim.Run(), oracle.LockOrder, "WARNING: suspicious RCU usage",
		"drivers/gpu/drm/toy.c suspicious rcu_dereference_check() usage!")
}
