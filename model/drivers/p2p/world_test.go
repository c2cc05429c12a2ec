package p2p

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
	"hotplugsim/model/ttm"
)

// NewWorld places each GPU on the root bus or behind its bridge (made once, shared by the
// devices that name it) and gives it its own policy or the Config's.
func TestNewWorldTopologyAndPolicies(t *testing.T) {
	sim := des.MustNew(des.Config{})
	w, err := NewWorld(sim, Config{Policy: FenceArray, Devices: []Device{
		{Name: "a", Bridge: "sw0"}, {Name: "b", Bridge: "sw0"}, {Name: "c"},
		{Name: "d", Bridge: "rp1", Policy: ReplaceExclusive}}})
	require.NoError(t, err)
	require.Len(t, w.gpus, 4)
	a, b, c, d := w.gpus[0], w.gpus[1], w.gpus[2], w.gpus[3]
	assert.Same(t, a.pdev.Bus(), b.pdev.Bus(), "one bridge sw0")
	assert.Equal(t, "sw0", a.pdev.Bus().Self().Name())
	assert.Same(t, w.host.Root(), c.pdev.Bus())
	assert.Equal(t, "rp1", d.pdev.Bus().Self().Name())
	assert.Equal(t, 2, P2PDistance(a.pdev, b.pdev))
	assert.Equal(t, -1, P2PDistance(a.pdev, d.pdev))
	assert.Equal(t, "0000:12:00.0", c.pdev.Name())
	assert.Equal(t, uint64(vramBARBytes), c.pdev.BAR(0).Size())
	for _, g := range []*gpu{a, b, c} {
		assert.Equal(t, FenceArray, g.policy.Name, g.name)
	}
	assert.Equal(t, ReplaceExclusive, d.policy.Name)
}

func TestNewWorldRejectsUnknownPolicy(t *testing.T) {
	for _, cfg := range []Config{
		{Policy: "yolo", Devices: []Device{{Name: "gpua"}}},
		{Policy: FenceArray, Devices: []Device{{Name: "gpua"}, {Name: "gpub", Policy: "yolo"}}},
	} {
		_, err := NewWorld(des.MustNew(des.Config{}), cfg)
		assert.ErrorContains(t, err, `no policy "yolo" (have replace-exclusive, fence-array)`)
	}
	_, err := NewWorld(des.MustNew(des.Config{}), Config{Devices: []Device{{Name: "gpua"}}})
	assert.ErrorContains(t, err, `device gpua: p2p: no policy ""`, "no default policy")
}

// The app operations of the exported API: every ioctl is a paired span, an allocation that
// cannot fit fails with its ioctl returning -1 and shares nothing, and a scratch buffer
// evicts the shared one (move_notify to the importer) under the fixed policy without a
// violation.
func TestAppOperationsAreSpans(t *testing.T) {
	var ioctls []string
	open := map[string]int{}
	sim := des.MustNew(des.Config{Sink: func(e des.Event) {
		k := e.Kind.String()
		if base, ok := strings.CutSuffix(k, ":begin"); ok {
			open[base+" "+e.Obj.String()]++
		} else if base, ok := strings.CutSuffix(k, ":end"); ok {
			open[base+" "+e.Obj.String()]--
			if base == "ioctl" {
				ioctls = append(ioctls, e.Obj.String())
				if e.A != 0 {
					ioctls[len(ioctls)-1] += " -1"
				}
			}
		}
	}})
	w, err := NewWorld(sim, Config{Policy: FenceArray, Devices: []Device{
		{Name: "gpua", Bridge: "sw0"}, {Name: "gpub", Bridge: "sw0"}}})
	require.NoError(t, err)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		_, err := w.OpenShare(p, 0, 1, ttm.PlVRAM, VRAMPages+1)
		assert.ErrorIs(t, err, ttm.ErrNoSpace)
		s, err := w.OpenShare(p, 0, 1, ttm.PlVRAM, 8)
		require.NoError(t, err)
		require.NoError(t, s.Read(p))
		assert.True(t, s.att.att.Peer2Peer)
		w.Render(p, 0)
		w.Render(p, 1) // gpub exports nothing: no ioctl
		w.Compute(p, 0, ttm.PlVRAM, 12)
		assert.Equal(t, ttm.PlTT, s.b.tbo.Placement(), "evicted by the scratch buffer")
		assert.Nil(t, s.att.sgt(), "move_notify dropped the importer's mapping")
		s.Close(p)
		assert.True(t, s.b.mem.Freed())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	for k, n := range open {
		assert.Zero(t, n, k)
	}
	assert.Equal(t, []string{
		"AMDGPU_GEM_CREATE -1",
		"AMDGPU_GEM_CREATE", "DRM_IOCTL_PRIME_HANDLE_TO_FD", "DRM_IOCTL_PRIME_FD_TO_HANDLE",
		"AMDGPU_CS",
		"AMDGPU_CS", "DMA_BUF_IOCTL_IMPORT_SYNC_FILE",
		"AMDGPU_GEM_CREATE", "AMDGPU_CS", "DRM_IOCTL_GEM_CLOSE",
		"DRM_IOCTL_GEM_CLOSE",
	}, ioctls)
	for _, k := range []string{"evict bo:gpua.share2", "move_notify attach:gpua.share2->gpub", "release bo:gpua.share2"} {
		_, ok := open[k]
		assert.True(t, ok, k)
	}
}

// The same operations under replace-exclusive: the eviction frees the VRAM the shader
// still reads.
func TestAppOperationsReplaceExclusive(t *testing.T) {
	sim, w := twoGPUs(t, "sw0", "sw0", ReplaceExclusive)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		s, err := w.OpenShare(p, 0, 1, ttm.PlVRAM, 8)
		require.NoError(t, err)
		require.NoError(t, s.Read(p))
		w.Render(p, 0)
		w.Compute(p, 0, ttm.PlVRAM, 12)
		s.Close(p)
	})
	r := sim.Run()
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.GPUUseAfterFree, r.First().Kind)
}

// Every fence reference is dropped where mainline drops it: the fence array's creator's once
// the resv holds it (__dma_resv_make_exclusive), the copy's once the eviction waited for it
// (amdgpu_bo_move). With the entities finalised at the end (each holds its last scheduled
// fence), no fence the run made is left referenced.
func TestAppOperationsDropEveryFenceReference(t *testing.T) {
	live := map[string]bool{}
	sim := des.MustNew(des.Config{Sink: func(e des.Event) {
		name := e.Obj.String()
		switch {
		case !strings.HasPrefix(name, "fence:"):
		case e.Kind.String() == "alloc":
			live[name] = true
		case e.Kind.String() == "fence-put" && e.A == 1:
			delete(live, name)
		}
	}})
	w, err := NewWorld(sim, Config{Policy: FenceArray, Devices: []Device{
		{Name: "gpua", Bridge: "sw0"}, {Name: "gpub", Bridge: "sw0"}}})
	require.NoError(t, err)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		s, err := w.OpenShare(p, 0, 1, ttm.PlVRAM, 8)
		require.NoError(t, err)
		require.NoError(t, s.Read(p))
		w.Render(p, 0)
		w.Compute(p, 0, ttm.PlVRAM, 12) // evicts the shared buffer
		require.NoError(t, s.Read(p))
		s.Close(p)
		for _, g := range w.gpus {
			sched.EntityFini(p, g.ent)
		}
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Empty(t, live, "fences still referenced")
}
