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

// lockPair takes a then b and drops both.
func lockPair(p *des.Proc, a, b *lock.Mutex) {
	a.Lock(p)
	b.Lock(p)
	b.Unlock(p)
	a.Unlock(p)
}

func TestLockdepConsistentOrderPasses(t *testing.T) {
	sim := modeltest.Collect()
	a, b := lock.NewMutex(sim, "A"), lock.NewMutex(sim, "B")
	for i := 0; i < 3; i++ {
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			for j := 0; j < 3; j++ {
				lockPair(p, a, b)
				p.Sleep(des.Duration(i + 1))
			}
		})
	}
	modeltest.OK(t, sim.Run())
}

// The two orders happen 10 µs apart and never deadlock; lockdep still reports the cycle
// with the existing chain and the new acquisition.
func TestLockdepABBAInversionWithoutDeadlock(t *testing.T) {
	sim := modeltest.Collect()
	a, b := lock.NewMutex(sim, "A"), lock.NewMutex(sim, "B")
	sim.Spawn("first", des.Task, func(p *des.Proc) { lockPair(p, a, b) })
	sim.Spawn("second", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond)
		lockPair(p, b, a)
	})
	r := sim.Run()
	v := onlyLockOrder(t, r,
		"WARNING: possible circular locking dependency detected",
		"second#1 is trying to acquire lock:\n (A){write}",
		"but task is already holding lock:\n (B){write}",
		"which lock already depends on the new lock.",
		"-> #1 (B):\n       taken while holding (A) by first#0 at @0ns",
		"-> #0 (A):\n       taken now while holding (B) by second#1 at @10us",
		"*** DEADLOCK ***")
	assert.Equal(t, "second", v.Proc)
	assert.Equal(t, des.Time(10*des.Microsecond), v.At)
	assert.Equal(t, des.Time(10*des.Microsecond), r.End, "the run went on: no deadlock")
}

func TestLockdepThreeClassCycle(t *testing.T) {
	sim := modeltest.Collect()
	a, b, c := lock.NewMutex(sim, "A"), lock.NewMutex(sim, "B"), lock.NewMutex(sim, "C")
	sim.Spawn("ab", des.Task, func(p *des.Proc) { lockPair(p, a, b) })
	sim.Spawn("bc", des.Task, func(p *des.Proc) { p.Sleep(5); lockPair(p, b, c) })
	sim.Spawn("ca", des.Task, func(p *des.Proc) { p.Sleep(9); lockPair(p, c, a) })
	onlyLockOrder(t, sim.Run(),
		"possible circular locking dependency detected",
		"-> #2 (C):\n       taken while holding (B) by bc#1",
		"-> #1 (B):\n       taken while holding (A) by ab#0",
		"-> #0 (A):\n       taken now while holding (C) by ca#2",
		"Chain exists of:\n  A --> B --> C")
}

func TestLockdepReportsEachCycleOnce(t *testing.T) {
	sim := modeltest.Collect()
	a, b := lock.NewMutex(sim, "A"), lock.NewMutex(sim, "B")
	for i := 0; i < 4; i++ {
		sim.Spawn("ab", des.Task, func(p *des.Proc) { p.Sleep(des.Duration(20 * i)); lockPair(p, a, b) })
		sim.Spawn("ba", des.Task, func(p *des.Proc) { p.Sleep(des.Duration(20*i + 10)); lockPair(p, b, a) })
	}
	onlyLockOrder(t, sim.Run(), "circular")
}

// Lockdep fires before the deadlock it predicts; the engine then reports the wait-for chain
// through the mutexes' owners.
func TestABBADeadlockReportsCycleThenWaitForChain(t *testing.T) {
	sim := modeltest.Collect()
	a, b := lock.NewMutex(sim, "A"), lock.NewMutex(sim, "B")
	sim.Spawn("t1", des.Task, func(p *des.Proc) { a.Lock(p); p.Sleep(1); b.Lock(p) })
	sim.Spawn("t2", des.Task, func(p *des.Proc) { b.Lock(p); p.Sleep(1); a.Lock(p) })
	r := sim.Run()
	require.Equal(t, []des.ViolationKind{oracle.LockOrder, oracle.Deadlock}, modeltest.Kinds(r))
	assert.Contains(t, r.Violations[1].Msg, "t1#0 waits for B held by t2#1 waits for A held by t1#0")
}

func TestRecursiveLockingDetected(t *testing.T) {
	sim := des.MustNew(des.Config{})
	m := lock.NewMutex(sim, "dev->lock")
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) { m.Lock(p); m.Lock(p) })
	onlyLockOrder(t, sim.Run(), "WARNING: possible recursive locking detected",
		"ioctl#0 is trying to acquire lock:\n (dev->lock){write}", "lock(dev->lock);\n  lock(dev->lock);")
}

// Two locks of one class nest: lockdep cannot tell them apart, as in the kernel.
func TestSameClassNestingIsRecursive(t *testing.T) {
	sim := des.MustNew(des.Config{})
	m1, m2 := lock.NewMutex(sim, "bo->lock"), lock.NewMutex(sim, "bo->lock")
	sim.Spawn("evict", des.Task, func(p *des.Proc) { m1.Lock(p); m2.Lock(p) })
	onlyLockOrder(t, sim.Run(), "possible recursive locking detected")
}

func TestBadUnlockBalance(t *testing.T) {
	t.Run("not held", func(t *testing.T) {
		sim := des.MustNew(des.Config{})
		m := lock.NewMutex(sim, "M")
		sim.Spawn("x", des.Task, func(p *des.Proc) { m.Unlock(p) })
		onlyLockOrder(t, sim.Run(), "WARNING: bad unlock balance detected!",
			"x#0 is trying to release lock (M)", "but there are no more locks to release!")
	})
	t.Run("another process's mutex", func(t *testing.T) {
		sim := des.MustNew(des.Config{})
		m := lock.NewMutex(sim, "M")
		sim.Spawn("owner", des.Task, func(p *des.Proc) { m.Lock(p); p.Sleep(10); m.Unlock(p) })
		sim.Spawn("thief", des.Task, func(p *des.Proc) { p.Sleep(5); m.Unlock(p) })
		v := onlyLockOrder(t, sim.Run(), "bad unlock balance", "thief#1 is trying to release lock (M)")
		assert.Equal(t, "thief", v.Proc)
	})
	t.Run("balanced", func(t *testing.T) {
		sim := des.MustNew(des.Config{})
		m := lock.NewMutex(sim, "M")
		sim.Spawn("x", des.Task, func(p *des.Proc) { m.Lock(p); m.Unlock(p); m.Lock(p); m.Unlock(p) })
		modeltest.OK(t, sim.Run())
	})
}

func TestLockHeldAtExit(t *testing.T) {
	sim := modeltest.Collect()
	m, ok := lock.NewMutex(sim, "forgotten"), lock.NewMutex(sim, "balanced")
	sim.Spawn("leaky", des.Task, func(p *des.Proc) { ok.Lock(p); ok.Unlock(p); m.Lock(p) })
	sim.Spawn("tidy", des.Task, func(p *des.Proc) { ok.Lock(p); ok.Unlock(p) })
	v := onlyLockOrder(t, sim.Run(), "WARNING: leaky still has locks held!", "(forgotten){write}")
	assert.Equal(t, "des", v.Proc, "reported by the quiesce check")
}

func TestTrylockAddsNoDependencyIntoIt(t *testing.T) {
	sim := modeltest.Collect()
	a, b := lock.NewMutex(sim, "A"), lock.NewMutex(sim, "B")
	sim.Spawn("try", des.Task, func(p *des.Proc) {
		a.Lock(p)
		require.True(t, b.TryLock(p))
		b.Unlock(p)
		a.Unlock(p)
	})
	sim.Spawn("ba", des.Task, func(p *des.Proc) { p.Sleep(10); lockPair(p, b, a) })
	modeltest.OK(t, sim.Run())
}

func TestHeldListsClassesOutermostFirst(t *testing.T) {
	sim := des.MustNew(des.Config{})
	a, s := lock.NewMutex(sim, "A"), lock.NewSpinLock(sim, "S")
	mp := lock.NewMap(sim, "map")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		a.Lock(p)
		mp.AcquireRead(p)
		s.Lock(p)
		assert.Equal(t, []string{"A", "map", "S"}, lock.Held(p))
		assert.True(t, mp.IsHeld(p))
		s.Unlock(p)
		mp.Release(p)
		a.Unlock(p)
		assert.Empty(t, lock.Held(p))
		assert.False(t, mp.IsHeld(p))
	})
	modeltest.OK(t, sim.Run())
}

func TestConstructorsValidate(t *testing.T) {
	sim := des.MustNew(des.Config{})
	assert.Panics(t, func() { lock.NewMutex(sim, "") })
	assert.Panics(t, func() { lock.NewMutex(nil, "x") })
	assert.Panics(t, func() { lock.NewWWMutex(nil, "x") })
}

func TestAssertHeld(t *testing.T) {
	t.Run("held", func(t *testing.T) {
		sim := des.MustNew(des.Config{})
		m, s, l := lock.NewMutex(sim, "M"), lock.NewRWSem(sim, "S"), lock.NewSpinLock(sim, "L")
		c := lock.NewWWClass(sim, "ww")
		w := lock.NewWWMutex(c, "bo")
		srcu := lock.NewSRCU(sim, "srcu")
		sim.Spawn("x", des.Task, func(p *des.Proc) {
			assert.False(t, srcu.ReadLockHeld(p))
			idx := srcu.ReadLock(p)
			assert.True(t, srcu.ReadLockHeld(p))
			m.Lock(p)
			m.AssertHeld(p)
			s.DownRead(p)
			s.AssertHeld(p)
			require.NoError(t, w.Lock(p, nil))
			w.AssertHeld(p)
			l.Lock(p)
			l.AssertHeld(p)
			l.Unlock(p)
			w.Unlock(p)
			s.UpRead(p)
			m.Unlock(p)
			srcu.ReadUnlock(p, idx)
		})
		modeltest.OK(t, sim.Run())
	})
	t.Run("held by another process", func(t *testing.T) {
		sim := des.MustNew(des.Config{})
		m := lock.NewMutex(sim, "bo->lock")
		sim.Spawn("owner", des.Task, func(p *des.Proc) { m.Lock(p); p.Sleep(10); m.Unlock(p) })
		sim.Spawn("x", des.Task, func(p *des.Proc) { p.Sleep(1); m.AssertHeld(p) })
		onlyLockOrder(t, sim.Run(), "WARNING: at include/linux/lockdep.h lockdep_assert_held\n",
			"\nlockdep_assert_held(bo->lock)\n", "no locks held by x#1.")
	})
}

// A sweep worker's runs share lockdep's classes by name (one Pool), but each run starts
// with none of the last run's dependencies, whether its names are the same strings or the
// same text in other storage.
func TestPooledRunsStartWithoutDependencies(t *testing.T) {
	pool := des.NewPool(0)
	defer pool.Close()
	run := func(first, second string) des.Result {
		sim := des.MustNew(des.Config{Pool: pool, CollectAll: true})
		a, b := lock.NewMutex(sim, first), lock.NewMutex(sim, second)
		sim.Spawn("t", des.Task, func(p *des.Proc) { lockPair(p, a, b) })
		return sim.Run()
	}
	built := func(s string) string { return string([]byte(s)) } // same text, new storage
	modeltest.OK(t, run("A", "B"))
	modeltest.OK(t, run("B", "A"))               // the reverse order in the next run is no inversion
	modeltest.OK(t, run(built("A"), built("B"))) // nor the first order again, by other strings

	sim := des.MustNew(des.Config{Pool: pool})
	l1, l2 := lock.NewMutex(sim, "bo->lock"), lock.NewMutex(sim, built("bo->lock"))
	sim.Spawn("evict", des.Task, func(p *des.Proc) { l1.Lock(p); l2.Lock(p) })
	onlyLockOrder(t, sim.Run(), "possible recursive locking detected")
}
