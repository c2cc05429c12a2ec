package fence_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
)

// leakRun makes two fences on a timeline the run retires (its device torn down) and one on a
// timeline that lives on; the driver drops every reference unless keep, which keeps one on
// the retired timeline; live also keeps the living timeline's fence.
func leakRun(check, keep, live bool) des.Result {
	sim := modeltest.Collect()
	if check {
		fence.CheckLeaks(sim)
	}
	gone := fence.NewContext(sim, "gpu1.gfx")
	other := fence.NewContext(sim, "gpu0.gfx")
	sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
		a, b, c := gone.NewFence(p), gone.NewFence(p), other.NewFence(p)
		for _, f := range []*fence.Fence{a, b, c} {
			_ = f.Signal(p)
		}
		a.Put(p)
		if !keep {
			b.Put(p)
		}
		if !live {
			c.Put(p)
		}
		gone.Retire() // the device's fini_sw
	})
	return sim.Run()
}

// Every reference dropped: nothing to report.
func TestNoLeakWhenEveryReferenceIsDropped(t *testing.T) {
	modeltest.OK(t, leakRun(true, false, false))
}

// A fence of a live timeline may stay referenced (its device still holds it): not a leak.
func TestFenceOfALiveTimelineIsNoLeak(t *testing.T) {
	modeltest.OK(t, leakRun(true, false, true))
}

// A reference never dropped on a retired timeline is kmemleak's unreferenced object, with
// who allocated it and its state.
func TestReferenceKeptPastRetireIsALeak(t *testing.T) {
	v := modeltest.Only(t, leakRun(true, true, true), oracle.FenceLeak,
		"kmemleak: 1 new suspected memory leaks", "unreferenced object 0xffff888",
		`comm "cs_ioctl", pid 0`, "fence:gpu1.gfx#2: dma_fence context 1 seqno 2, signalled, refcount 1")
	assert.NotContains(t, v.Msg, "fence:gpu1.gfx#1", "its last reference went")
	assert.NotContains(t, v.Msg, "gpu0.gfx", "the live timeline's fence is reachable")
}

// Without CheckLeaks the same run passes: scenarios whose fixed designs still leak leave it off.
func TestLeakCheckIsOffByDefault(t *testing.T) {
	modeltest.OK(t, leakRun(false, true, true))
}

// The leak report's backtrace is the chain the timeline's fences are allocated under
// (SetAllocChain), and kmalloc without one.
func TestLeakBacktraceIsTheAllocChain(t *testing.T) {
	run := func(chain []string) des.Result {
		sim := modeltest.Collect()
		fence.CheckLeaks(sim)
		ctx := fence.NewContext(sim, "gpu1.gfx")
		ctx.SetAllocChain(chain)
		sim.Spawn("cs_ioctl", des.Task, func(p *des.Proc) {
			_ = ctx.NewFence(p).Signal(p)
			ctx.Retire()
		})
		return sim.Run()
	}
	v := modeltest.Only(t, run([]string{"kmem_cache_zalloc", "drm_sched_fence_alloc", "drm_sched_job_init"}),
		oracle.FenceLeak, "backtrace:\n    kmem_cache_zalloc\n    drm_sched_fence_alloc\n    drm_sched_job_init\n")
	assert.NotContains(t, v.Msg, "kmalloc")
	modeltest.Only(t, run(nil), oracle.FenceLeak, "backtrace:\n    kmalloc\n")
}
