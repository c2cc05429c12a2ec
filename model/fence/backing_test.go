package fence_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
)

// replaceExclusiveThenFree is the story of the dma-buf fence-replacement thread: a shader reads a shared buffer (a READ
// fence on its resv); another driver installs a write fence of its own that does not wait
// for the shader; the exporter then frees the memory after waiting for every fence of the
// resv. With the pre-5.19 resv the shader's fence was dropped, so the free does not wait
// for it: the GPU still reads freed memory.
func replaceExclusiveThenFree(legacy bool) des.Result {
	sim := des.MustNew(des.Config{})
	resv := fence.NewResv(sim, "dmabuf:1")
	if legacy {
		resv = fence.NewLegacyResv(sim, "dmabuf:1")
	}
	mem := fence.NewBacking(sim, nil, "vram:dmabuf:1")
	shader := fence.NewContext(sim, "gfx").NewFence(nil)
	copyJob := fence.NewContext(sim, "sdma").NewFence(nil)
	sim.Spawn("render", des.Task, func(p *des.Proc) {
		require.NoError(nil, resv.Lock(p, nil))
		require.NoError(nil, resv.ReserveFences(p, 1))
		mem.Access(p, shader, false)
		resv.AddFence(p, shader, fence.UsageRead)
		resv.Unlock(p)
	})
	sim.Spawn("importer", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		require.NoError(nil, resv.Lock(p, nil))
		require.NoError(nil, resv.ReserveFences(p, 1))
		mem.Access(p, copyJob, true)
		resv.AddFence(p, copyJob, fence.UsageWrite)
		resv.Unlock(p)
	})
	sim.Spawn("exporter_release", des.Task, func(p *des.Proc) {
		p.Sleep(2 * des.Microsecond)
		resv.Wait(p, fence.UsageBookkeep)
		mem.Free(p)
	})
	signalAll(sim, 3*des.Microsecond, copyJob)
	signalAll(sim, 50*des.Microsecond, shader)
	return sim.Run()
}

func TestGPUUseAfterFreeAfterLegacyExclusiveReplace(t *testing.T) {
	v := modeltest.First(t, replaceExclusiveThenFree(true), oracle.GPUUseAfterFree)
	assert.Equal(t, "exporter_release", v.Proc)
	assert.Contains(t, v.Msg, "Read by job fence:gfx#1 of vram:dmabuf:1, freed while the job was unsignalled")
}

func TestUsageBasedResvKeepsReadersSoTheFreeWaits(t *testing.T) {
	r := replaceExclusiveThenFree(false)
	assert.True(t, r.OK(), r.Violations)
	assert.Equal(t, des.Time(50*des.Microsecond), r.End)
}

func TestReuseWhileAJobWritesIsGPUUseAfterFree(t *testing.T) {
	run := func(wait bool) des.Result {
		sim := des.MustNew(des.Config{})
		mem := fence.NewBacking(sim, nil, "vram:0x1000")
		job := fence.NewContext(sim, "gfx").NewFence(nil)
		sim.Spawn("evict", des.Worker, func(p *des.Proc) {
			mem.Access(p, job, true)
			if wait {
				job.Wait(p)
			}
			mem.Reuse(p, "page tables")
			assert.True(t, mem.Live())
		})
		signalAll(sim, des.Microsecond, job)
		return sim.Run()
	}
	r := run(true)
	assert.True(t, r.OK(), r.Violations)
	v := modeltest.First(t, run(false), oracle.GPUUseAfterFree)
	assert.Contains(t, v.Msg, "Write by job fence:gfx#1 of vram:0x1000, reused for page tables while the job was unsignalled")
}

func TestJobOnFreedMemory(t *testing.T) {
	sim := des.MustNew(des.Config{})
	mem := fence.NewBacking(sim, nil, "vram:0x1000")
	job := fence.NewContext(sim, "gfx").NewFence(nil)
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		mem.Free(p)
		mem.Access(p, job, false)
	})
	modeltest.First(t, sim.Run(), oracle.GPUUseAfterFree)
}

func TestBackingDoubleFree(t *testing.T) {
	sim := des.MustNew(des.Config{})
	mem := fence.NewBacking(sim, nil, "vram:0x1000")
	sim.Spawn("exec", des.Task, func(p *des.Proc) { mem.Free(p); mem.Free(p) })
	modeltest.First(t, sim.Run(), oracle.UseAfterFree)
}

func TestBusyListsUnsignalledJobs(t *testing.T) {
	sim := des.MustNew(des.Config{})
	mem := fence.NewBacking(sim, nil, "vram:0x1000")
	gfx := fence.NewContext(sim, "gfx")
	a, b := gfx.NewFence(nil), gfx.NewFence(nil)
	sim.Spawn("exec", des.Task, func(p *des.Proc) {
		mem.Access(p, a, false)
		mem.Access(p, b, true)
		require.NoError(t, a.Signal(p))
		assert.Equal(t, []*fence.Fence{b}, mem.Busy())
		require.NoError(t, b.Signal(p))
		mem.Free(p)
	})
	r := sim.Run()
	assert.True(t, r.OK(), r.Violations)
}
