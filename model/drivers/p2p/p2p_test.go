package p2p

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/rcu"
	"hotplugsim/model/ttm"
)

func TestP2PDistance(t *testing.T) {
	sim := des.MustNew(des.Config{})
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	bar := pci.BARSpec{Index: 0, Size: 1 << 16}
	sw, _ := host.AddBridge(host.Root(), "sw0", nil)
	down, _ := host.AddBridge(sw.Subordinate(), "sw0.down1", nil)
	rp, _ := host.AddBridge(host.Root(), "rp1", nil)
	a, _ := host.AddDevice(sw.Subordinate(), "a", nil, bar)
	b, _ := host.AddDevice(sw.Subordinate(), "b", nil, bar)
	c, _ := host.AddDevice(down.Subordinate(), "c", nil, bar)
	d, _ := host.AddDevice(rp.Subordinate(), "d", nil, bar)
	e, _ := host.AddDevice(host.Root(), "e", nil, bar)
	assert.Equal(t, 2, P2PDistance(a, b), "same switch")
	assert.Equal(t, 3, P2PDistance(a, c), "one more bridge down")
	assert.Equal(t, 3, P2PDistance(c, b))
	assert.Equal(t, -1, P2PDistance(a, d), "through the host bridge")
	assert.Equal(t, -1, P2PDistance(e, a), "root bus: the host bridge")
	assert.Equal(t, -1, P2PDistance(d, e))
}

// twoGPUs builds a world of gpua and gpub behind the given bridges ("": root bus), without
// apps.
func twoGPUs(t *testing.T, bridgeA, bridgeB, policy string) (*des.Sim, *World) {
	sim := des.MustNew(des.Config{})
	w, err := NewWorld(sim, Config{Policy: policy, Devices: []Device{
		{Name: "gpua", Bridge: bridgeA}, {Name: "gpub", Bridge: bridgeB}}})
	require.NoError(t, err)
	return sim, w
}

// Behind one switch the importer maps the VRAM itself: bus addresses in A's BAR, no pages.
func TestP2PAttachMapsVRAMWithoutPages(t *testing.T) {
	sim, w := twoGPUs(t, "sw0", "sw0", FenceArray)
	a, b := w.gpus[0], w.gpus[1]
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		bo, err := a.alloc(p, "share", 4, ttm.PlVRAM)
		require.NoError(t, err)
		att := attach(p, bo.export(p), b)
		assert.True(t, att.att.Peer2Peer)
		lock(p, bo.tbo.Resv)
		_, err = dmabuf.MapAttachment(p, att.att)
		require.NoError(t, err)
		bo.tbo.Resv.Unlock(p)
		assert.True(t, att.sgt().p2p)
		assert.Equal(t, a.pdev.BAR(0).Start(), att.sgt().bar)
		assert.Equal(t, ttm.PlVRAM, bo.tbo.Placement())
		assert.Same(t, bo.mem, att.sgt().mem)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// On two root ports the distance check fails: mapping migrates the buffer to GTT first
// (move_notify, wait for idle, copy) and the importer gets system pages.
func TestNonP2PAttachFallsBackToGTT(t *testing.T) {
	sim, w := twoGPUs(t, "rp0", "rp1", FenceArray)
	a, b := w.gpus[0], w.gpus[1]
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		bo, err := a.alloc(p, "share", 4, ttm.PlVRAM)
		require.NoError(t, err)
		vram := bo.mem
		att := attach(p, bo.export(p), b)
		assert.False(t, att.att.Peer2Peer)
		require.NoError(t, att.readCS(p))
		assert.False(t, att.sgt().p2p)
		assert.Equal(t, ttm.PlTT, bo.tbo.Placement())
		assert.NotSame(t, vram, att.sgt().mem)
		p.Sleep(des.Millisecond)
		assert.True(t, vram.Freed(), "the VRAM is freed once the copy is done")
		assert.Zero(t, a.ttm.VRAMUsedPages())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// The story of the dma-buf fence-replacement thread, step by step: B's shader reads the buffer, A imports a write fence
// that did not wait for it, then evicts the buffer (move_notify, wait for idle, copy).
// With replace-exclusive the reader's fence is gone, the wait for idle returns before the
// shader is done, and the VRAM is freed under it; with fence-array the wait covers it.
func TestEvictAfterImportedExclusiveFence(t *testing.T) {
	for _, pol := range []string{ReplaceExclusive, FenceArray} {
		t.Run(pol, func(t *testing.T) {
			sim, w := twoGPUs(t, "sw0", "sw0", pol)
			a, b := w.gpus[0], w.gpus[1]
			var moveNotified bool
			var evictedAt, shaderDone des.Time
			sim.Spawn("app", des.Task, func(p *des.Proc) {
				bo, err := a.alloc(p, "share", 4, ttm.PlVRAM)
				require.NoError(t, err)
				att := attach(p, bo.export(p), b)
				require.NoError(t, att.readCS(p))
				shader := bo.mem.Busy()[0]
				a.renderShared(p) // explicit-sync write + DMA_BUF_IOCTL_IMPORT_SYNC_FILE
				cp := bo.evict(p)
				evictedAt = p.Now()
				moveNotified = att.sgt() == nil
				cp.Wait(p)
				shader.Wait(p)
				shaderDone = shader.Timestamp()
			})
			r := sim.Run()
			assert.True(t, moveNotified, "eviction invalidated the importer's mapping")
			if pol == FenceArray {
				require.True(t, r.OK(), r.Violations)
				assert.GreaterOrEqual(t, evictedAt, shaderDone, "eviction waited for the shader")
				return
			}
			require.NotNil(t, r.First())
			assert.Equal(t, oracle.GPUUseAfterFree, r.First().Kind)
			assert.Contains(t, r.First().Msg, "Read by job fence:gpub.ctx.finished#1 of vram:gpua.share1#0, freed while the job was unsignalled")
		})
	}
}

// Freeing: the importer detaches and the exporter closes its handles while the shader may
// still run; the memory goes when the resv is idle, which replace-exclusive gets wrong.
func TestReleaseAfterImportedExclusiveFence(t *testing.T) {
	for _, pol := range []string{ReplaceExclusive, FenceArray} {
		t.Run(pol, func(t *testing.T) {
			sim, w := twoGPUs(t, "sw0", "sw0", pol)
			a, b := w.gpus[0], w.gpus[1]
			sim.Spawn("app", des.Task, func(p *des.Proc) {
				bo, err := a.alloc(p, "share", 4, ttm.PlVRAM)
				require.NoError(t, err)
				buf := bo.export(p)
				att := attach(p, buf, b)
				require.NoError(t, att.readCS(p))
				a.renderShared(p)
				att.detach(p)
				dmabuf.Put(p, buf)
				bo.put(p)
				assert.True(t, bo.mem.Freed())
			})
			r := sim.Run()
			if pol == FenceArray {
				require.True(t, r.OK(), r.Violations)
				return
			}
			require.NotNil(t, r.First())
			assert.Equal(t, oracle.GPUUseAfterFree, r.First().Kind)
		})
	}
}

// A fence array signals when its last component does, and arrays of arrays are flattened
// (no fence->lock recursion between arrays).
func TestFenceArraySignalsAfterEveryComponent(t *testing.T) {
	sim, w := twoGPUs(t, "", "", FenceArray)
	ctx := fence.NewContext(sim, "test")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		f1, f2, f3 := ctx.NewFence(p), ctx.NewFence(p), ctx.NewFence(p)
		a1 := w.fenceArray(p, []*fence.Fence{f1, f2})
		a2 := w.fenceArray(p, []*fence.Fence{a1, f3})
		assert.Len(t, w.arrays[a2], 3)
		require.NoError(t, f1.Signal(p))
		require.NoError(t, f3.Signal(p))
		assert.False(t, a1.Signalled())
		assert.False(t, a2.Signalled())
		require.NoError(t, f2.Signal(p))
		assert.False(t, a1.Signalled(), "the last callback only queues the irq_work")
		p.Sleep(1)
		assert.True(t, a1.Signalled())
		assert.True(t, a2.Signalled())
		assert.True(t, w.fenceArray(p, []*fence.Fence{f1}).Signalled(), "all signalled already")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// The array holds a reference on each component until its release: a component whose
// creator dropped its reference stays allocated while the array lives, and goes with the
// array's last reference. Without the array's reference the component would die while the
// array still points at it: put twice by hand, the array's put is refcount_t's underflow.
func TestFenceArrayHoldsItsComponents(t *testing.T) {
	sim, w := twoGPUs(t, "", "", FenceArray)
	ctx := fence.NewContext(sim, "test")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		f1, f2 := ctx.NewFence(p), ctx.NewFence(p)
		arr := w.fenceArray(p, []*fence.Fence{f1, f2})
		require.NoError(t, f1.Signal(p))
		f1.Put(p) // the creator's reference
		assert.False(t, f1.Freed(), "the array keeps it")
		require.NoError(t, f2.Signal(p))
		p.Sleep(1) // the irq_work signals the array and drops the callback's reference
		require.True(t, arr.Signalled())
		f2.Put(p)
		arr.Put(p) // the last reference: dma_fence_array_release puts the components
		assert.Zero(t, f1.Refs())
		assert.Zero(t, f2.Refs())
		rcu.Barrier(p) // dma_fence_free is kfree_rcu
		assert.True(t, f1.Freed())
		assert.True(t, f2.Freed())
		assert.NotContains(t, w.arrays, arr)
	})
	r0 := sim.Run()
	require.True(t, r0.OK(), r0.Violations)

	sim, w = twoGPUs(t, "", "", FenceArray)
	ctx = fence.NewContext(sim, "test")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		f1 := ctx.NewFence(p)
		arr := w.fenceArray(p, []*fence.Fence{f1})
		require.NoError(t, f1.Signal(p))
		p.Sleep(1)
		f1.Put(p)
		f1.Put(p) // drops the array's reference behind its back
		arr.Put(p)
	})
	r := sim.Run()
	require.False(t, r.OK())
	assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
	assert.Contains(t, r.First().Msg, "dma_fence_put")
	assert.Contains(t, r.First().Msg, "refcount_t: underflow; use-after-free.")
}

// Memory pressure: allocating a buffer that does not fit evicts the oldest VRAM buffer and
// waits for its move; one that can never fit fails without evicting in a loop.
func TestAllocEvictsUnderPressure(t *testing.T) {
	sim, w := twoGPUs(t, "", "", FenceArray)
	a := w.gpus[0]
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		old, err := a.alloc(p, "old", 10, ttm.PlVRAM)
		require.NoError(t, err)
		nu, err := a.alloc(p, "new", 10, ttm.PlVRAM)
		require.NoError(t, err)
		assert.Equal(t, ttm.PlTT, old.tbo.Placement())
		assert.Equal(t, ttm.PlVRAM, nu.tbo.Placement())
		_, err = a.alloc(p, "huge", VRAMPages+1, ttm.PlVRAM)
		assert.ErrorIs(t, err, ttm.ErrNoSpace)
		old.put(p)
		nu.put(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// sgt is the importer's current mapping, nil if move_notify dropped it.
func (a *attachment) sgt() *sgTable {
	m, _ := a.att.SGT().(*sgTable)
	return m
}

// dma_buf_pin by a peer-to-peer importer pins the buffer in VRAM (every attachment can do
// P2P): eviction skips it; after dma_buf_unpin it is evicted like any other.
func TestPinInVRAMBlocksEviction(t *testing.T) {
	sim, w := twoGPUs(t, "sw0", "sw0", FenceArray)
	a, b := w.gpus[0], w.gpus[1]
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		bo, err := a.alloc(p, "share", 4, ttm.PlVRAM)
		require.NoError(t, err)
		att := attach(p, bo.export(p), b)
		lock(p, bo.tbo.Resv)
		require.NoError(t, dmabuf.Pin(p, att.att))
		bo.tbo.Resv.Unlock(p)
		assert.True(t, bo.tbo.Pinned())
		assert.Equal(t, ttm.PlVRAM, bo.tbo.Placement())
		assert.Nil(t, bo.evict(p), "a pinned BO is not evicted")
		assert.Equal(t, ttm.PlVRAM, bo.tbo.Placement())
		lock(p, bo.tbo.Resv)
		dmabuf.Unpin(p, att.att)
		bo.tbo.Resv.Unlock(p)
		assert.NotNil(t, bo.evict(p))
		assert.Equal(t, ttm.PlTT, bo.tbo.Placement())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// A static importer (dma_buf_attach: no peer2peer) pins at attach: the pin migrates the
// buffer to GTT first, the importer gets system pages, and detach unpins.
func TestStaticImporterPinsInGTT(t *testing.T) {
	sim, w := twoGPUs(t, "sw0", "sw0", FenceArray)
	a, b := w.gpus[0], w.gpus[1]
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		bo, err := a.alloc(p, "share", 4, ttm.PlVRAM)
		require.NoError(t, err)
		att, err := dmabuf.Attach(p, bo.export(p), b.pdev)
		require.NoError(t, err)
		assert.Equal(t, ttm.PlTT, bo.tbo.Placement())
		assert.True(t, bo.tbo.Pinned())
		assert.False(t, att.SGT().(*sgTable).p2p)
		dmabuf.Detach(p, att)
		assert.False(t, bo.tbo.Pinned())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}
