package fence_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
)

// signalAll signals fences from an IRQ after d, so the quiesce check passes.
func signalAll(sim *des.Sim, d des.Duration, fs ...*fence.Fence) {
	sim.Spawn("gpu_irq", des.IRQ, func(p *des.Proc) {
		p.Busy(d)
		for _, f := range fs {
			_ = f.Signal(p)
		}
	})
}

func TestAddFenceNeedsAReservedSlot(t *testing.T) {
	run := func(reserve bool) des.Result {
		sim := des.MustNew(des.Config{})
		r := fence.NewResv(sim, "bo:1")
		f := fence.NewContext(sim, "gfx").NewFence(nil)
		sim.Spawn("exec", des.Task, func(p *des.Proc) {
			require.NoError(t, r.Lock(p, nil))
			if reserve {
				require.NoError(t, r.ReserveFences(p, 1))
			}
			r.AddFence(p, f, fence.UsageWrite)
			r.Unlock(p)
		})
		signalAll(sim, des.Microsecond, f)
		return sim.Run()
	}
	r := run(true)
	assert.True(t, r.OK(), r.Violations)
	modeltest.First(t, run(false), oracle.Panic, "kernel BUG at drivers/dma-buf/dma-resv.c!\n", "without a reserved slot")
}

func TestReservationDoesNotSurviveUnlock(t *testing.T) {
	sim := des.MustNew(des.Config{})
	r := fence.NewResv(sim, "bo:1")
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		require.NoError(t, r.Lock(p, nil))
		require.NoError(t, r.ReserveFences(p, 1))
		r.Unlock(p)
		require.NoError(t, r.Lock(p, nil))
		r.AddFence(p, f, fence.UsageRead)
	})
	modeltest.First(t, sim.Run(), oracle.Panic)
}

func TestReserveZeroWarns(t *testing.T) {
	sim := des.MustNew(des.Config{})
	r := fence.NewResv(sim, "bo:1")
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		require.NoError(t, r.Lock(p, nil))
		_ = r.ReserveFences(p, 0)
	})
	modeltest.First(t, sim.Run(), oracle.Panic)
}

func TestAddFenceWithoutTheLock(t *testing.T) {
	sim := des.MustNew(des.Config{})
	r := fence.NewResv(sim, "bo:1")
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("exec", des.Task, func(p *des.Proc) { r.AddFence(p, f, fence.UsageWrite) })
	v := modeltest.First(t, sim.Run(), oracle.LockOrder)
	assert.Equal(t, "WARNING: at drivers/dma-buf/dma-resv.c dma_resv_add_fence", strings.SplitN(v.Msg, "\n", 2)[0])
	assert.Contains(t, v.Msg, "\nlockdep_assert_held(&bo:1->lock.base)\n")
	assert.Contains(t, v.Msg, "\nno locks held by exec#0.")
}

func TestAddFenceReplacesTheSameOperation(t *testing.T) {
	sim := des.MustNew(des.Config{})
	r := fence.NewResv(sim, "bo:1")
	gfx, sdma := fence.NewContext(sim, "gfx"), fence.NewContext(sim, "sdma")
	g1, g2, g3, s1 := gfx.NewFence(nil), gfx.NewFence(nil), gfx.NewFence(nil), sdma.NewFence(nil)
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		require.NoError(t, r.Lock(p, nil))
		require.NoError(t, r.ReserveFences(p, 4))
		r.AddFence(p, g1, fence.UsageRead)
		r.AddFence(p, s1, fence.UsageKernel)
		r.AddFence(p, g2, fence.UsageWrite) // later, stronger: replaces g1
		r.AddFence(p, g3, fence.UsageRead)  // weaker than g2's write: a new slot
		var got []string
		for f, u := range r.Fences(p, fence.UsageBookkeep) {
			got = append(got, f.Name()+"/"+u.String())
		}
		assert.Equal(t, []string{"fence:gfx#2/write", "fence:sdma#1/kernel", "fence:gfx#3/read"}, got)
		r.Unlock(p)
		assert.Equal(t, []*fence.Fence{s1}, r.GetFences(p, fence.UsageKernel))
		assert.Equal(t, []*fence.Fence{g2, s1}, r.GetFences(p, fence.UsageWrite))
		assert.Equal(t, []*fence.Fence{g2, s1, g3}, r.GetFences(p, fence.UsageRW(true)))
		assert.False(t, r.TestSignaled(p, fence.UsageKernel))
	})
	signalAll(sim, des.Microsecond, g1, g2, g3, s1)
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
}

func TestReplaceFences(t *testing.T) {
	sim := des.MustNew(des.Config{})
	r := fence.NewResv(sim, "bo:1")
	preempt, pt := fence.NewContext(sim, "kfd-eviction"), fence.NewContext(sim, "pt-update")
	old, repl := preempt.NewFence(nil), pt.NewFence(nil)
	sim.Spawn("evict", des.Task, func(p *des.Proc) {
		require.NoError(t, r.Lock(p, nil))
		require.NoError(t, r.ReserveFences(p, 1))
		r.AddFence(p, old, fence.UsageBookkeep)
		r.ReplaceFences(p, preempt.ID(), repl, fence.UsageBookkeep)
		r.Unlock(p)
		assert.Equal(t, []*fence.Fence{repl}, r.GetFences(p, fence.UsageBookkeep))
		require.NoError(t, old.Signal(p))
	})
	signalAll(sim, des.Microsecond, repl)
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.True(t, repl.Published())
}

// dma_resv_replace_fences installs the replacement only in slots of the given context: with
// none, the replacement stays private and need not signal before the run quiesces.
func TestReplaceFencesWithNothingToReplace(t *testing.T) {
	run := func(install bool) des.Result {
		sim := des.MustNew(des.Config{})
		r := fence.NewResv(sim, "bo:1")
		preempt, pt := fence.NewContext(sim, "kfd-eviction"), fence.NewContext(sim, "pt-update")
		old, repl := preempt.NewFence(nil), pt.NewFence(nil)
		sim.Spawn("evict", des.Task, func(p *des.Proc) {
			require.NoError(t, r.Lock(p, nil))
			if install {
				require.NoError(t, r.ReserveFences(p, 1))
				r.AddFence(p, old, fence.UsageBookkeep)
			}
			r.ReplaceFences(p, preempt.ID(), repl, fence.UsageBookkeep)
			r.Unlock(p)
			require.NoError(t, old.Signal(p))
		})
		return sim.Run()
	}
	r := run(false)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, run(true), oracle.FenceNeverSignalled)
	assert.Contains(t, v.Msg, "pt-update")
}

func TestResvWait(t *testing.T) {
	sim := des.MustNew(des.Config{})
	r := fence.NewResv(sim, "bo:1")
	gfx, sdma := fence.NewContext(sim, "gfx"), fence.NewContext(sim, "sdma")
	w, rd := gfx.NewFence(nil), sdma.NewFence(nil)
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		require.NoError(t, r.Lock(p, nil))
		require.NoError(t, r.ReserveFences(p, 2))
		r.AddFence(p, w, fence.UsageWrite)
		r.AddFence(p, rd, fence.UsageRead)
		r.Unlock(p)
		r.Wait(p, fence.UsageWrite)
		assert.Equal(t, des.Time(2*des.Microsecond), p.Now(), "a reader waits for the writer only")
		assert.False(t, r.WaitTimeout(p, fence.UsageRead, des.Microsecond))
		assert.True(t, r.WaitTimeout(p, fence.UsageRead, des.Second))
		assert.Equal(t, des.Time(5*des.Microsecond), p.Now())
		assert.True(t, r.TestSignaled(p, fence.UsageBookkeep))
	})
	signalAll(sim, 2*des.Microsecond, w)
	signalAll(sim, 5*des.Microsecond, rd)
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
}

func TestResvFencesMustSignal(t *testing.T) {
	sim := des.MustNew(des.Config{})
	r := fence.NewResv(sim, "bo:1")
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		require.NoError(t, r.Lock(p, nil))
		require.NoError(t, r.ReserveFences(p, 1))
		r.AddFence(p, f, fence.UsageWrite)
		r.Unlock(p)
	})
	modeltest.First(t, sim.Run(), oracle.FenceNeverSignalled)
}

// addTwoFences adds the two fences mk makes, a with usage ua then b with ub, to a resv (the
// pre-v5.19 one if legacy) in one locked section, and returns what GetFences then sees.
func addTwoFences(t *testing.T, legacy bool, mk func(*des.Sim) (a, b *fence.Fence), ua, ub fence.Usage) []*fence.Fence {
	sim := des.MustNew(des.Config{})
	r := fence.NewResv(sim, "bo:1")
	if legacy {
		r = fence.NewLegacyResv(sim, "bo:1")
	}
	a, b := mk(sim)
	var got []*fence.Fence
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		require.NoError(t, r.Lock(p, nil))
		require.NoError(t, r.ReserveFences(p, 2))
		r.AddFence(p, a, ua)
		r.AddFence(p, b, ub)
		r.Unlock(p)
		got = r.GetFences(p, fence.UsageBookkeep)
	})
	signalAll(sim, des.Microsecond, a, b)
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
	return got
}

func TestLegacyExclusiveFenceDropsSharedFences(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		var reader, writer *fence.Fence
		got := addTwoFences(t, legacy, func(sim *des.Sim) (*fence.Fence, *fence.Fence) {
			reader = fence.NewContext(sim, "shader").NewFence(nil)
			writer = fence.NewContext(sim, "copy").NewFence(nil)
			return reader, writer
		}, fence.UsageRead, fence.UsageWrite)
		if legacy {
			assert.Equal(t, []*fence.Fence{writer}, got, "pre-5.19: the shared fence is gone")
		} else {
			assert.Equal(t, []*fence.Fence{reader, writer}, got)
		}
	}
}

// Before v5.19 dma_resv_add_shared_fence replaced any shared fence of the same context, even a
// later one: adding an older fence of a timeline after a newer one dropped the newer one, so
// a wait on the object no longer covered it. Since v5.19 the newer fence keeps its slot.
func TestLegacySharedFenceReplacesItsContext(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		var older, newer *fence.Fence
		got := addTwoFences(t, legacy, func(sim *des.Sim) (*fence.Fence, *fence.Fence) {
			ring := fence.NewContext(sim, "shader")
			older, newer = ring.NewFence(nil), ring.NewFence(nil)
			return newer, older
		}, fence.UsageRead, fence.UsageRead)
		if legacy {
			assert.Equal(t, []*fence.Fence{older}, got, "pre-5.19: same context, slot replaced")
		} else {
			assert.Equal(t, []*fence.Fence{newer, older}, got)
		}
	}
}

// Two execbufs lock the same two buffers in opposite orders with acquire contexts; the
// younger one gets -EDEADLK, backs off and takes the contended lock with LockSlow.
func TestResvWWBackoff(t *testing.T) {
	sim := des.MustNew(des.Config{Seed: 3, Strategy: "random"})
	a, b := fence.NewResv(sim, "bo:a"), fence.NewResv(sim, "bo:b")
	lockBoth := func(p *des.Proc, first, second *fence.Resv) {
		ctx := fence.AcquireInit(sim, p)
		require.NoError(nil, first.Lock(p, ctx))
		p.Yield()
		for try := 0; try < 8; try++ {
			err := second.Lock(p, ctx)
			if err == nil {
				break
			}
			require.ErrorIs(nil, err, lock.ErrDeadlk)
			first.Unlock(p)
			second.LockSlow(p, ctx)
			first, second = second, first
		}
		ctx.Done()
		assert.Equal(t, p, a.Holder())
		assert.Equal(t, p, b.Holder())
		b.Unlock(p)
		a.Unlock(p)
		ctx.Fini()
	}
	sim.Spawn("exec1", des.Task, func(p *des.Proc) { lockBoth(p, a, b) })
	sim.Spawn("exec2", des.Task, func(p *des.Proc) { lockBoth(p, b, a) })
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
}

func TestResvTryLock(t *testing.T) {
	sim := des.MustNew(des.Config{})
	bo := fence.NewResv(sim, "bo:1")
	sim.Spawn("holder", des.Task, func(p *des.Proc) {
		require.True(t, bo.TryLock(p))
		p.Sleep(des.Microsecond)
		bo.Unlock(p)
	})
	sim.Spawn("fault", des.Task, func(p *des.Proc) {
		assert.False(t, bo.TryLock(p), "held by another task")
		p.Sleep(2 * des.Microsecond)
		assert.True(t, bo.TryLock(p))
		bo.Unlock(p)
	})
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
}
