package mm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
)

// inReclaim runs body in a process that is in direct reclaim (fs_reclaim held), as
// lib/locking-selftest.c's fs_reclaim tests do.
func inReclaim(body func(p *des.Proc)) des.Result {
	sim := des.MustNew(des.Config{})
	sim.Spawn("kswapd", des.Task, func(p *des.Proc) {
		mm.FSReclaimAcquire(p, mm.GFPKernel)
		body(p)
		mm.FSReclaimRelease(p, mm.GFPKernel)
	})
	return sim.Run()
}

// Reclaim may allocate without __GFP_FS, or under memalloc_nofs_save; a GFP_KERNEL
// allocation would recurse into fs reclaim.
func TestFSReclaimNesting(t *testing.T) {
	r := inReclaim(func(p *des.Proc) { mm.MightAlloc(p, mm.GFPNoFS) })
	assert.True(t, r.OK(), "correct nesting: %v", r.Violations)
	r = inReclaim(func(p *des.Proc) {
		saved := mm.MemallocNoFSSave(p)
		mm.MightAlloc(p, mm.GFPKernel)
		mm.MemallocRestore(p, saved)
	})
	assert.True(t, r.OK(), "protected nesting: %v", r.Violations)
	r = inReclaim(func(p *des.Proc) { mm.MightAlloc(p, mm.GFPKernel) })
	require.Len(t, r.Violations, 1, "wrong nesting")
	assert.Equal(t, oracle.LockOrder, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "possible recursive locking detected")
	assert.Contains(t, r.Violations[0].Msg, "fs_reclaim")
}

// bothWays runs run with a mask that must pass and one that must report want.
func bothWays(t *testing.T, ok, bad mm.GFP, want string, run func(mm.GFP) des.Result) {
	t.Helper()
	r := run(ok)
	assert.True(t, r.OK(), "%v: %v", ok, r.Violations)
	r = run(bad)
	require.NotEmpty(t, r.Violations, "%v", bad)
	assert.Contains(t, r.Violations[0].Msg, want)
}

// A shrinker takes its lock in reclaim; a driver primes lockdep with that at init (as
// panthor, xe and ttm do). Allocating with GFP_KERNEL under that lock then closes a cycle;
// GFP_NOWAIT under it does not.
func TestShrinkerLockHeldAcrossAllocation(t *testing.T) {
	bothWays(t, mm.GFPNoWait, mm.GFPKernel, "possible circular locking dependency detected", func(gfp mm.GFP) des.Result {
		sim := des.MustNew(des.Config{})
		lru := lock.NewMutex(sim, "reclaim.lock")
		sim.Spawn("probe", des.Task, func(p *des.Proc) {
			mm.FSReclaimAcquire(p, mm.GFPKernel)
			lru.Lock(p) // might_lock
			lru.Unlock(p)
			mm.FSReclaimRelease(p, mm.GFPKernel)
			lru.Lock(p)
			mm.MightAlloc(p, gfp)
			lru.Unlock(p)
		})
		return sim.Run()
	})
}

// A blocking allocation under a spinlock sleeps in atomic context; GFP_ATOMIC does not.
func TestBlockingAllocationUnderSpinlock(t *testing.T) {
	want := "BUG: sleeping function called from invalid context at include/linux/sched/mm.h\n"
	bothWays(t, mm.GFPAtomic, mm.GFPNoIO, want, func(gfp mm.GFP) des.Result {
		sim := des.MustNew(des.Config{})
		sl := lock.NewSpinLock(sim, "ring.lock")
		sim.Spawn("submit", des.Task, func(p *des.Proc) {
			sl.Lock(p)
			mm.MightAlloc(p, gfp)
			sl.Unlock(p)
		})
		return sim.Run()
	})
}

func TestGFPString(t *testing.T) {
	assert.Equal(t, "GFP_KERNEL", mm.GFPKernel.String())
	assert.Equal(t, "GFP_NOWAIT", mm.GFPAtomic.String())
	assert.Equal(t, "__GFP_DIRECT_RECLAIM|__GFP_FS", (mm.GFPDirectReclaim | mm.GFPFS).String())
}

// alloc_page runs might_alloc: a page allocated in reclaim recurses into fs reclaim, and
// one allocated under a spinlock sleeps in atomic context; with nothing held it is quiet.
func TestAllocPageMightAlloc(t *testing.T) {
	r := inReclaim(func(p *des.Proc) { mm.AllocPage(p.Sim(), p, "pg") })
	require.False(t, r.OK())
	assert.Equal(t, oracle.LockOrder, r.First().Kind)

	sim := des.MustNew(des.Config{})
	sl := lock.NewSpinLock(sim, "pt.lock")
	sim.Spawn("populate", des.Task, func(p *des.Proc) {
		sl.Lock(p)
		mm.AllocPage(sim, p, "pg")
		sl.Unlock(p)
	})
	r = sim.Run()
	require.False(t, r.OK())
	assert.Equal(t, oracle.LockOrder, r.First().Kind)
	assert.Contains(t, r.First().Msg, "might_alloc(GFP_KERNEL)")

	sim = des.MustNew(des.Config{})
	sim.Spawn("populate", des.Task, func(p *des.Proc) {
		pg := mm.AllocPage(sim, p, "pg")
		pg.Free(p)
	})
	r = sim.Run()
	assert.True(t, r.OK(), "%v", r.Violations)
	assert.NotNil(t, mm.AllocPage(sim, nil, "set-up"), "set-up code passes no process")
}
