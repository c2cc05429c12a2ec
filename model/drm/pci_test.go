package drm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/pci"
)

// gpuDrv is a PCI driver whose drm_device is devm-managed (devm_drm_dev_alloc) and whose
// .remove unplugs it, as amdgpu_pci_remove does.
type gpuDrv struct {
	ddev  *drm.Device
	order *[]string
}

func (g *gpuDrv) Name() string { return "gpu" }

func (g *gpuDrv) Probe(p *des.Proc, d *pci.Dev) error {
	ddev, err := drm.DevmDrmDevAlloc(p.Sim(), p, d.Devm(), "card0", &drm.Driver{
		Release: func(*des.Proc, *drm.Device) { *g.order = append(*g.order, "drm_dev_release") },
	})
	if err != nil {
		return err
	}
	g.ddev = ddev
	ddev.DevRegister(p)
	return nil
}

func (g *gpuDrv) Remove(p *des.Proc, d *pci.Dev) {
	*g.order = append(*g.order, ".remove")
	g.ddev.DevUnplug(p)
}

// devm actions run at unbind right after .remove; the drm_device outlives the PCI device
// while a file is open and is released at its close.
func TestDevmDrmDevOutlivesThePCIDevice(t *testing.T) {
	sim := des.MustNew(des.Config{})
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	var order []string
	drv := &gpuDrv{order: &order}
	dev, err := host.AddDevice(host.Root(), "0000:03:00.0", drv, pci.BARSpec{Index: 0, Size: 16 << 20})
	require.NoError(t, err)
	require.NoError(t, host.Boot())
	sim.Spawn("udev+app", des.Task, func(p *des.Proc) {
		require.NoError(t, host.ProbeAll(p))
		f, err := drv.ddev.Open(p, "app")
		require.NoError(t, err)
		host.Remove(p, dev)
		assert.Equal(t, []string{".remove"}, order)
		assert.Equal(t, 1, drv.ddev.Refcount(), "only the file holds the device")
		assert.True(t, drv.ddev.Live())
		require.NoError(t, f.Close(p))
		assert.True(t, drv.ddev.Freed())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{".remove", "drm_dev_release"}, order)
}
