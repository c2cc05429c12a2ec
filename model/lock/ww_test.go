package lock_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
)

// lockAll takes every lock with the usual -EDEADLK back-off loop and returns the
// context and how many times it got -EDEADLK.
func lockAll(p *des.Proc, c *lock.WWClass, ms ...*lock.WWMutex) (*lock.WWAcquireCtx, int) {
	ctx := c.AcquireInit(p)
	var contended *lock.WWMutex
	for backoffs := 0; backoffs < 10; backoffs++ {
		if contended != nil {
			contended.LockSlow(p, ctx)
		}
		failed := lockRest(p, ctx, contended, ms)
		if failed == nil {
			ctx.Done()
			return ctx, backoffs
		}
		contended = failed
	}
	panic("ww: no progress after 10 back-offs")
}

// lockRest locks ms except the one already held; on -EDEADLK it unlocks everything and
// returns the contended lock.
func lockRest(p *des.Proc, ctx *lock.WWAcquireCtx, held *lock.WWMutex, ms []*lock.WWMutex) *lock.WWMutex {
	var taken []*lock.WWMutex
	if held != nil {
		taken = append(taken, held)
	}
	for _, m := range ms {
		if m == held {
			continue
		}
		if err := m.Lock(p, ctx); err != nil {
			for _, t := range taken {
				t.Unlock(p)
			}
			return m
		}
		taken = append(taken, m)
		p.Sleep(1)
	}
	return nil
}

func unlockAll(p *des.Proc, ctx *lock.WWAcquireCtx, ms ...*lock.WWMutex) {
	for _, m := range ms {
		m.Unlock(p)
	}
	ctx.Fini()
}

// Two transactions take two BOs in opposite orders: the younger dies, backs off, and both
// finish; there is no deadlock and nothing to report.
func TestWWWaitDieBackoffCompletes(t *testing.T) {
	sim := modeltest.Collect()
	c := lock.NewWWClass(sim, "reservation_ww_class")
	x, y := lock.NewWWMutex(c, "bo:x"), lock.NewWWMutex(c, "bo:y")
	backoffs := map[string]int{}
	for _, tc := range []struct {
		name string
		ms   []*lock.WWMutex
	}{{"old", []*lock.WWMutex{x, y}}, {"young", []*lock.WWMutex{y, x}}} {
		sim.Spawn(tc.name, des.Task, func(p *des.Proc) {
			ctx, n := lockAll(p, c, tc.ms...)
			backoffs[tc.name] = n
			p.Sleep(3)
			unlockAll(p, ctx, tc.ms...)
		})
	}
	modeltest.OK(t, sim.Run())
	assert.Equal(t, map[string]int{"old": 0, "young": 1}, backoffs)
}

// An older context meeting a lock held by a younger one waits instead of dying.
func TestWWOlderContextWaits(t *testing.T) {
	sim := des.MustNew(des.Config{})
	c := lock.NewWWClass(sim, "cls")
	x, y := lock.NewWWMutex(c, "x"), lock.NewWWMutex(c, "y")
	sim.Spawn("old", des.Task, func(p *des.Proc) {
		ctx := c.AcquireInit(p)
		p.Sleep(1)
		require.NoError(t, y.Lock(p, ctx))
		require.NoError(t, x.Lock(p, ctx), "older: waits")
		assert.Equal(t, des.Time(10), p.Now())
		unlockAll(p, ctx, x, y)
	})
	sim.Spawn("young", des.Task, func(p *des.Proc) {
		ctx := c.AcquireInit(p)
		require.Greater(t, ctx.Stamp(), uint64(1))
		require.NoError(t, x.Lock(p, ctx))
		p.Sleep(10)
		unlockAll(p, ctx, x)
	})
	modeltest.OK(t, sim.Run())
}

func TestWWAlready(t *testing.T) {
	sim := des.MustNew(des.Config{})
	c := lock.NewWWClass(sim, "cls")
	x := lock.NewWWMutex(c, "x")
	sim.Spawn("a", des.Task, func(p *des.Proc) {
		ctx := c.AcquireInit(p)
		require.NoError(t, x.Lock(p, ctx))
		assert.ErrorIs(t, x.Lock(p, ctx), lock.ErrAlready)
		assert.Equal(t, 1, ctx.Acquired())
		unlockAll(p, ctx, x)
	})
	modeltest.OK(t, sim.Run())
}

// deadlk runs old holding x and young holding y then asking for x (-EDEADLK), then misuse.
func deadlk(t *testing.T, misuse func(p *des.Proc, ctx *lock.WWAcquireCtx, x, y, z *lock.WWMutex)) des.Result {
	sim := modeltest.Collect()
	c := lock.NewWWClass(sim, "cls")
	x, y, z := lock.NewWWMutex(c, "x"), lock.NewWWMutex(c, "y"), lock.NewWWMutex(c, "z")
	sim.Spawn("old", des.Task, func(p *des.Proc) {
		ctx := c.AcquireInit(p)
		require.NoError(t, x.Lock(p, ctx))
		p.Sleep(10)
		unlockAll(p, ctx, x)
	})
	sim.Spawn("young", des.Task, func(p *des.Proc) {
		ctx := c.AcquireInit(p)
		require.NoError(t, y.Lock(p, ctx))
		require.ErrorIs(t, x.Lock(p, ctx), lock.ErrDeadlk)
		misuse(p, ctx, x, y, z)
	})
	return sim.Run()
}

func TestWWMisuse(t *testing.T) {
	t.Run("correct back-off", func(t *testing.T) {
		modeltest.OK(t, deadlk(t, func(p *des.Proc, ctx *lock.WWAcquireCtx, x, y, _ *lock.WWMutex) {
			y.Unlock(p)
			x.LockSlow(p, ctx)
			require.NoError(t, y.Lock(p, ctx))
			unlockAll(p, ctx, x, y)
		}))
	})
	t.Run("other lock after -EDEADLK", func(t *testing.T) {
		onlyLockOrder(t, deadlk(t, func(p *des.Proc, ctx *lock.WWAcquireCtx, x, y, z *lock.WWMutex) {
			y.Unlock(p)
			require.NoError(t, z.Lock(p, ctx))
			unlockAll(p, ctx, z)
		}), "DEBUG_LOCKS_WARN_ON(ww_ctx->contending_lock != ww)\nWARNING: at kernel/locking/ww_mutex.h ww_mutex_lock_acquired",
			"after -EDEADLK on x you tried to acquire a different ww_mutex (z)")
	})
	t.Run("lock_slow without backing off", func(t *testing.T) {
		onlyLockOrder(t, deadlk(t, func(p *des.Proc, ctx *lock.WWAcquireCtx, x, y, _ *lock.WWMutex) {
			x.LockSlow(p, ctx)
			unlockAll(p, ctx, x, y)
		}), "DEBUG_LOCKS_WARN_ON(ww_ctx->acquired > 0)\nWARNING: at kernel/locking/ww_mutex.h ww_mutex_lock_acquired",
			"ww_mutex_lock_slow(x) with 1 ww_mutex(es) still held: back off first")
	})
	t.Run("fini with locks held", func(t *testing.T) {
		onlyLockOrder(t, deadlk(t, func(p *des.Proc, ctx *lock.WWAcquireCtx, _, y, _ *lock.WWMutex) {
			ctx.Fini()
			y.Unlock(p)
		}), "DEBUG_LOCKS_WARN_ON(ctx->acquired)\nWARNING: at include/linux/ww_mutex.h ww_acquire_fini",
			"ww_acquire_fini with 1 ww_mutex(es) still held")
	})
	t.Run("lock after done", func(t *testing.T) {
		onlyLockOrder(t, deadlk(t, func(p *des.Proc, ctx *lock.WWAcquireCtx, x, y, z *lock.WWMutex) {
			y.Unlock(p)
			x.LockSlow(p, ctx)
			ctx.Done()
			require.NoError(t, z.Lock(p, ctx))
			unlockAll(p, ctx, x, z)
		}), "DEBUG_LOCKS_WARN_ON(ww_ctx->done_acquire)\nWARNING: at kernel/locking/ww_mutex.h ww_mutex_lock_acquired",
			"ww_mutex_lock(z) after ww_acquire_done")
	})
}

// Several BOs of one class under one context are fine for lockdep (the context is the
// nest lock); without a context the second one is recursive locking.
func TestWWSameClassNeedsAContext(t *testing.T) {
	sim := des.MustNew(des.Config{})
	c := lock.NewWWClass(sim, "reservation_ww_class")
	x, y := lock.NewWWMutex(c, "x"), lock.NewWWMutex(c, "y")
	sim.Spawn("ctx", des.Task, func(p *des.Proc) {
		ctx := c.AcquireInit(p)
		require.NoError(t, x.Lock(p, ctx))
		require.NoError(t, y.Lock(p, ctx))
		assert.Equal(t, []string{"reservation_ww_class_acquire", "reservation_ww_class_mutex",
			"reservation_ww_class_mutex"}, lock.Held(p))
		unlockAll(p, ctx, x, y)
		require.NoError(t, x.Lock(p, nil))
		require.NoError(t, y.Lock(p, nil))
	})
	onlyLockOrder(t, sim.Run(), "possible recursive locking detected", "(reservation_ww_class_mutex)")
}

// dma_resv locks order against other locks like any mutex: mmap_lock -> resv in the fault
// path against resv -> mmap_lock elsewhere.
func TestWWOrdersAgainstOtherLocks(t *testing.T) {
	sim := modeltest.Collect()
	c := lock.NewWWClass(sim, "reservation_ww_class")
	bo := lock.NewWWMutex(c, "bo")
	mmap := lock.NewRWSem(sim, "mmap_lock")
	sim.Spawn("fault", des.Task, func(p *des.Proc) {
		mmap.DownRead(p)
		require.NoError(t, bo.Lock(p, nil))
		bo.Unlock(p)
		mmap.UpRead(p)
	})
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		p.Sleep(5)
		ctx := c.AcquireInit(p)
		require.NoError(t, bo.Lock(p, ctx))
		mmap.DownRead(p)
		mmap.UpRead(p)
		unlockAll(p, ctx, bo)
	})
	onlyLockOrder(t, sim.Run(), "possible circular locking dependency detected",
		"(mmap_lock){read}", "(reservation_ww_class_mutex)")
}

// ww_mutex_lock with a context the task no longer holds: __lock_acquire reports the nest
// lock missing (passing a context does not make it held).
func TestWWLockAfterFiniNestNotHeld(t *testing.T) {
	sim := modeltest.Collect()
	c := lock.NewWWClass(sim, "reservation_ww_class")
	x, y := lock.NewWWMutex(c, "x"), lock.NewWWMutex(c, "y")
	sim.Spawn("ctx", des.Task, func(p *des.Proc) {
		ctx := c.AcquireInit(p)
		require.NoError(t, x.Lock(p, ctx))
		x.Unlock(p)
		ctx.Fini()
		require.NoError(t, x.Lock(p, ctx))
		require.NoError(t, y.Lock(p, ctx))
		y.Unlock(p)
		x.Unlock(p)
	})
	onlyLockOrder(t, sim.Run(), "WARNING: Nested lock was not taken",
		"ctx#0 is trying to lock:\n (reservation_ww_class_mutex){write}",
		"but this task is not holding:\nreservation_ww_class_acquire")
}

// A transaction may lock more BOs than MAX_LOCK_DEPTH: under the nest lock a ww_mutex of
// the class on top of the held stack only adds a reference there (__lock_acquire), so
// lockdep's depth does not grow.
func TestWWManyBOsUnderOneContext(t *testing.T) {
	sim := modeltest.Collect()
	c := lock.NewWWClass(sim, "reservation_ww_class")
	bos := make([]*lock.WWMutex, 64)
	for i := range bos {
		bos[i] = lock.NewWWMutex(c, fmt.Sprintf("bo%d", i))
	}
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		ctx := c.AcquireInit(p)
		for _, bo := range bos {
			require.NoError(t, bo.Lock(p, ctx))
		}
		unlockAll(p, ctx, bos...)
	})
	modeltest.OK(t, sim.Run())
}
