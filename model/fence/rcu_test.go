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

// deadFence is a signalled fence whose only reference p drops: dead, not yet freed.
func deadFence(p *des.Proc, ctx *fence.Context) *fence.Fence {
	f := ctx.NewFence(p)
	require.NoError(nil, f.Signal(p))
	f.Put(p)
	return f
}

// A reader inside a read section that began before the final Put may still read the fence:
// kfree_rcu keeps its memory until the grace period ends, so KASAN has nothing to report.
func TestReadAfterFinalPutInsideReaderIsNotReported(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	f := ctx.NewFence(nil)
	require.NoError(t, f.Signal(nil))
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		rcu.ReadLock(p)
		p.Busy(3 * rcu.GracePeriod)
		assert.True(t, f.IsSignaled(p), "dead but not freed")
		assert.Nil(t, f.GetRCU(p))
		rcu.ReadUnlock(p)
	})
	sim.Spawn("owner", des.Task, func(p *des.Proc) { p.Sleep(des.Microsecond); f.Put(p) })
	modeltest.OK(t, sim.Run())
	assert.True(t, f.Freed())
}

// The same read after the grace period (the reader holds no read section) is KASAN's
// use-after-free, which names the kfree_rcu call as the free's work creation.
func TestReadAfterGracePeriodIsReported(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	sim.Spawn("owner", des.Task, func(p *des.Proc) {
		f := deadFence(p, ctx)
		p.Sleep(2 * rcu.GracePeriod)
		f.IsSignaled(p)
	})
	modeltest.Only(t, sim.Run(), oracle.UseAfterFree, "BUG: KASAN: slab-use-after-free in dma_fence_is_signaled",
		"Freed by task 2 (rcuc/0)", "Last potentially related work creation by task 0 (owner):\n kfree_rcu\n dma_fence_free")
}

// dma_fence_get on a dead fence is refcount_t's "addition on 0" WARNING; on a live one, quiet.
func TestGetOnDeadFenceWarns(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		live := ctx.NewFence(p)
		require.NoError(t, live.Signal(p))
		live.Get(p).Put(p)
		live.Put(p)
		deadFence(p, ctx).Get(p)
	})
	v := modeltest.Only(t, sim.Run(), oracle.UseAfterFree, "WARNING: at lib/refcount.c refcount_warn_saturate",
		"refcount_t: addition on 0; use-after-free.", "dma_fence_get")
	assert.Contains(t, v.Msg, "fence:gfx#2")
}

// dma_fence_put on a dead fence is refcount_t's underflow WARNING.
func TestPutOnDeadFenceWarns(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	sim.Spawn("x", des.Task, func(p *des.Proc) { deadFence(p, ctx).Put(p) })
	modeltest.Only(t, sim.Run(), oracle.UseAfterFree, "refcount_t: underflow; use-after-free.")
}

// dma_fence_get_rcu returns nil on a dead fence and a reference on a live one.
func TestGetRCU(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		rcu.ReadLock(p)
		live := ctx.NewFence(p)
		require.NoError(t, live.Signal(p))
		assert.Same(t, live, live.GetRCU(p))
		assert.Equal(t, 2, live.Refs())
		live.Put(p)
		live.Put(p)
		assert.Nil(t, live.GetRCU(p))
		rcu.ReadUnlock(p)
	})
	modeltest.OK(t, sim.Run())
}

// dma_fence_get_rcu_safe retries until the pointer still holds the fence it took.
func TestGetRCUSafe(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		old, cur := deadFence(p, ctx), ctx.NewFence(p)
		require.NoError(t, cur.Signal(p))
		loads := 0
		rcu.ReadLock(p)
		got := fence.GetRCUSafe(p, func() *fence.Fence {
			if loads++; loads == 1 {
				return old // a stale pointer the writer has replaced
			}
			return cur
		})
		assert.Nil(t, fence.GetRCUSafe(p, func() *fence.Fence { return nil }))
		rcu.ReadUnlock(p)
		assert.Same(t, cur, got)
		assert.Equal(t, 2, cur.Refs())
		got.Put(p)
		cur.Put(p)
	})
	modeltest.OK(t, sim.Run())
}

// An unlocked reader that meets a fence a writer dropped meanwhile (dead: dma_fence_get_rcu
// fails) restarts its walk and returns what the list holds now, with no report. (fifo
// alternates the two: the reader reads the list and reaches old just after the writer's
// dma_resv_reserve_fences has dropped it, signalled, and its last reference with it.)
func TestGetFencesRestartsOnADeadFence(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	r := fence.NewResv(sim, "bo:1")
	a := fence.NewContext(sim, "sdma").NewFence(nil)
	old, repl := ctx.NewFence(nil), ctx.NewFence(nil)
	var got []*fence.Fence
	sim.Spawn("setup", des.Task, func(p *des.Proc) {
		require.NoError(t, r.Lock(p, nil))
		require.NoError(t, r.ReserveFences(p, 2))
		r.AddFence(p, old, fence.UsageWrite)
		r.AddFence(p, a, fence.UsageRead)
		r.Unlock(p)
		old.Put(p) // the resv holds the only reference now
		require.NoError(t, old.Signal(p))
		sim.Spawn("reader", des.Task, func(p *des.Proc) { got = r.GetFences(p, fence.UsageRead) })
		require.NoError(t, r.Lock(p, nil))
		require.NoError(t, r.ReserveFences(p, 1))
		r.AddFence(p, repl, fence.UsageWrite)
		r.Unlock(p)
		repl.Put(p)
	})
	signalAll(sim, des.Millisecond, a, repl)
	modeltest.OK(t, sim.Run())
	assert.Equal(t, []*fence.Fence{a, repl}, got)
	assert.Zero(t, old.Refs())
	assert.True(t, traced(sim, "resv-iter-restart", r.Name()), "the reader met the dead fence and restarted")
}

// traced reports whether the trace ring holds an event of kind on obj.
func traced(sim *des.Sim, kind, obj string) bool {
	for _, e := range sim.Trace() {
		if e.Kind.String() == kind && e.Obj.String() == obj {
			return true
		}
	}
	return false
}

// dma_fence_get_rcu_safe outside a read section is rcu_dereference's lockdep-RCU WARN.
func TestGetRCUSafeOutsideReaderWarns(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ctx := fence.NewContext(sim, "gfx")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		f := ctx.NewFence(p)
		require.NoError(t, f.Signal(p))
		fence.GetRCUSafe(p, func() *fence.Fence { return f })
	})
	modeltest.First(t, sim.Run(), oracle.LockOrder, "WARNING: suspicious RCU usage",
		"include/linux/dma-fence.h suspicious rcu_dereference_check() usage!")
}
