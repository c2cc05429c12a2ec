package p2p

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/ttm"
)

// A static importer (the display of PRIME offload) pins the buffer at attach, in GTT since
// it cannot do peer to peer, and maps it once: memory pressure on the render GPU evicts
// other buffers but not this one, ttm refuses to move it, and every frame reads the mapping
// made at attach.
func TestPrimeStaticImportPinsInGTT(t *testing.T) {
	sim, w := twoGPUs(t, "sw0", "sw0", FenceArray)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		s, err := w.OpenPrime(p, 0, 1, ttm.PlVRAM, 4)
		require.NoError(t, err)
		assert.Equal(t, ttm.PlTT, s.b.tbo.Placement(), "amdgpu_dma_buf_pin: no P2P, so GTT")
		assert.True(t, s.b.tbo.Pinned())
		assert.True(t, s.att.Cached())
		assert.False(t, s.att.SGT().(*sgTable).p2p)
		sgt := s.att.SGT()
		for range 3 {
			require.NoError(t, s.Frame(p))
			w.Compute(p, 0, ttm.PlVRAM, VRAMPages-2) // pressure: evicts what it can
		}
		assert.Nil(t, s.b.evict(p), "a pinned BO is not evicted")
		lock(p, s.b.tbo.Resv)
		assert.ErrorIs(t, s.b.tbo.Move(p, ttm.PlSystem, nil), ttm.ErrBusy, "nor moved")
		s.b.tbo.Resv.Unlock(p)
		assert.Same(t, sgt, s.att.SGT(), "the mapping made at attach")
		require.NoError(t, s.Frame(p))
		s.Close(p)
		assert.False(t, s.b.tbo.Pinned(), "detach unpins")
		assert.True(t, s.b.dead)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// The static importer is not told about moves (dma_buf_move_notify skips it): moving its
// buffer without the pin frees the memory its mapping points at, and the next scanout reads
// freed memory.
func TestPrimeMoveWithoutPinIsGPUUseAfterFree(t *testing.T) {
	sim, w := twoGPUs(t, "sw0", "sw0", FenceArray)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		s, err := w.OpenPrime(p, 0, 1, ttm.PlVRAM, 4)
		require.NoError(t, err)
		require.NoError(t, s.Frame(p))
		lock(p, s.b.tbo.Resv)
		s.b.tbo.Unpin(p) // an exporter whose pin does not hold
		s.b.moveLocked(p, ttm.PlSystem).Wait(p)
		s.b.tbo.Resv.Unlock(p)
		_ = s.Frame(p)
	})
	r := sim.Run()
	require.False(t, r.OK())
	assert.Equal(t, oracle.GPUUseAfterFree, r.First().Kind)
	assert.Contains(t, r.First().Msg, "job fence:gpub.ctx", "the display GPU's scanout")
	assert.Contains(t, r.First().Msg, "gtt:gpua.prime")
}
