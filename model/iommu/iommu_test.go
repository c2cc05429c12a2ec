package iommu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/iommu"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
)

// xe maps its migrate BO at probe and tears the mapping down either from a devm action (the
// fix: before the group goes) or from the drmm release at the final drm_dev_put (the bug).
type xe struct {
	devmManaged bool
	migrate     *iommu.Mapping
}

func (x *xe) Name() string { return "xe" }

func (x *xe) Probe(p *des.Proc, d *pci.Dev) error {
	x.migrate = iommu.DMAMap(p, d, 64<<10, "migrate-pt-bo")
	if x.devmManaged {
		return d.Devm().AddAction("xe_migrate_fini", func(p *des.Proc) { x.migrate.Unmap(p) })
	}
	return nil
}

func (x *xe) Remove(p *des.Proc, d *pci.Dev) {}

func setup(t *testing.T, cfg des.Config, drv pci.Driver, attach bool) (*des.Sim, *pci.Host, *pci.Dev, *iommu.IOMMU) {
	t.Helper()
	sim := des.MustNew(cfg)
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30, FixedOrder: true})
	require.NoError(t, err)
	d, err := h.AddDevice(h.Root(), "0000:03:00.0", drv, pci.BARSpec{Index: 0, Size: 16 << 20})
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	var m *iommu.IOMMU
	if attach {
		m, err = iommu.Attach(h)
		require.NoError(t, err)
	}
	return sim, h, d, m
}

func TestGroupLivesFromAddToRemoveAndComesBackWithReplug(t *testing.T) {
	sim, h, d, m := setup(t, des.Config{}, nil, true)
	g := m.Group(d)
	require.NotNil(t, g)
	assert.True(t, g.Live())
	assert.Same(t, m, iommu.Of(h))
	_, err := iommu.Attach(h)
	assert.Error(t, err, "one IOMMU per host")
	sim.Spawn("pciehp", des.Task, func(p *des.Proc) {
		h.Remove(p, d)
		assert.Nil(t, m.Group(d))
		assert.True(t, g.Freed())
		require.NoError(t, h.Replug(p, d))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	require.NotNil(t, m.Group(d))
	assert.Equal(t, 1, m.Group(d).ID())
	assert.Len(t, m.Groups(), 2)
}

// The fix: the mapping is devm-managed, so it goes before iommu_release_device.
func TestUnmapFromDevmBeforeGroupReleasePasses(t *testing.T) {
	drv := &xe{devmManaged: true}
	sim, h, d, m := setup(t, des.Config{}, drv, true)
	sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		assert.Equal(t, 1, m.Group(d).Mappings())
		h.Remove(p, d)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Zero(t, m.Groups()[0].Mappings())
}

// The bug (xe hot-unplug thread): the migrate BO is drmm-managed; the last drm_dev_put comes after PCI
// remove released the group.
func TestUnmapFromDrmmReleaseAfterRemoveIsUseAfterFree(t *testing.T) {
	drv := &xe{}
	sim, h, d, _ := setup(t, des.Config{}, drv, true)
	sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		h.Remove(p, d)
	})
	sim.Spawn("drm_dev_put", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond) // the app closes its fd late
		drv.migrate.Unmap(p)
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, oracle.UseAfterFree, v.Kind)
	assert.Equal(t, "drm_dev_put", v.Proc)
	for _, want := range []string{"WARNING: at kernel/dma/debug.c dma_debug_device_change\n", "DMA-API: pci 0000:",
		"has pending DMA allocations while released from device", "Comm: sysfs", "after the release by task",
		"(drm_dev_put):\n dma_unmap_page", "Mapped by task 0 (sysfs):"} {
		assert.Contains(t, v.Msg, want)
	}
	var leaked int64
	for _, e := range sim.Trace() {
		if e.Kind.String() == "iommu-leaked-mappings" {
			leaked = e.B
		}
	}
	assert.Equal(t, int64(1), leaked, "the group went with a mapping still in it")
}

func TestMapAfterRemoveIsUseAfterFree(t *testing.T) {
	sim, h, d, _ := setup(t, des.Config{}, nil, true)
	sim.Spawn("sysfs", des.Task, func(p *des.Proc) { h.Remove(p, d) })
	sim.Spawn("userptr", des.Task, func(p *des.Proc) { p.Sleep(20); iommu.DMAMap(p, d, 4096, "userptr") })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterFree, r.Violations[0].Kind)
	assert.Equal(t, "userptr", r.Violations[0].Proc)
	assert.Contains(t, r.Violations[0].Msg, "BUG: KASAN: slab-use-after-free in dma_map\n")
}

func TestDoubleUnmapIsADoubleFree(t *testing.T) {
	sim, _, d, _ := setup(t, des.Config{}, nil, true)
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		mp := iommu.DMAMap(p, d, 8192, "ring")
		assert.NotZero(t, mp.IOVA())
		mp.Unmap(p)
		mp.Unmap(p)
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterFree, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "which belongs to dma:ring")
}

func TestIOVAsDoNotOverlap(t *testing.T) {
	sim, _, d, _ := setup(t, des.Config{}, nil, true)
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		a := iommu.DMAMap(p, d, 5000, "a")
		b := iommu.DMAMap(p, d, 4096, "b")
		assert.GreaterOrEqual(t, b.IOVA(), a.IOVA()+a.Size())
		assert.Equal(t, 2, a.Group().Mappings())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// Without an IOMMU, DMA is direct: no group, nothing to use after free.
func TestWithoutIOMMUUnmapAfterRemoveIsDirect(t *testing.T) {
	drv := &xe{}
	sim, h, d, _ := setup(t, des.Config{}, drv, false)
	sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		h.Remove(p, d)
		assert.Nil(t, drv.migrate.Group())
		drv.migrate.Unmap(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}
