package drm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/drm"
	"hotplugsim/model/pci"
)

// Every ioctl of the table is timed entry → return, -ENODEV included; a bad number is not.
func TestIoctlLatencyIsRecordedPerKind(t *testing.T) {
	sim := des.MustNew(des.Config{})
	rec := metrics.NewRecorder()
	metrics.Attach(sim, rec)
	d := drm.DevAlloc(sim, nil, "card0", ioctlDriver(drm.IoctlDevEnter))
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		d.DevRegister(p)
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		require.NoError(t, f.Ioctl(p, 0, nil))               // 10us
		require.ErrorIs(t, f.Ioctl(p, 0, nil), drm.ErrNoDev) // after the unplug: at once
		require.ErrorIs(t, f.Ioctl(p, 7, nil), drm.ErrNoDev) // no kind: not counted
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		d.DevUnplug(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"ioctl/AMDGPU_CS"}, rec.Names())
	h := rec.Histogram(metrics.Ioctl("AMDGPU_CS"))
	require.NotNil(t, h)
	assert.Equal(t, uint64(2), h.Count())
	assert.Equal(t, des.Duration(0), h.Min())
	assert.Equal(t, 10*des.Microsecond, h.Max())
}

// slowDrv's .remove takes 3us and unplugs its devm-managed drm_device.
type slowDrv struct{ ddev *drm.Device }

func (g *slowDrv) Name() string { return "slow" }

func (g *slowDrv) Probe(p *des.Proc, d *pci.Dev) error {
	ddev, err := drm.DevmDrmDevAlloc(p.Sim(), p, d.Devm(), "card0", nil)
	g.ddev = ddev
	if err == nil {
		ddev.DevRegister(p)
	}
	return err
}

func (g *slowDrv) Remove(p *des.Proc, d *pci.Dev) {
	p.Sleep(3 * des.Microsecond)
	g.ddev.DevUnplug(p)
}

// unplug-remove is pci remove → .remove returned; unplug-release pci remove → the last
// drm_dev_put, here the close of a file 5us after the remove.
func TestUnplugRemoveAndReleaseAreTimedFromThePCIRemove(t *testing.T) {
	sim := des.MustNew(des.Config{})
	rec := metrics.NewRecorder()
	metrics.Attach(sim, rec)
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	drv := &slowDrv{}
	dev, err := host.AddDevice(host.Root(), "0000:03:00.0", drv, pci.BARSpec{Index: 0, Size: 16 << 20})
	require.NoError(t, err)
	require.NoError(t, host.Boot())
	sim.Spawn("udev+app", des.Task, func(p *des.Proc) {
		require.NoError(t, host.ProbeAll(p))
		f, err := drv.ddev.Open(p, "app")
		require.NoError(t, err)
		p.Sleep(des.Microsecond)
		host.Remove(p, dev)
		p.Sleep(5 * des.Microsecond)
		require.NoError(t, f.Close(p))
		assert.True(t, drv.ddev.Freed())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{metrics.UnplugRelease, metrics.UnplugRemove}, rec.Names())
	assert.Equal(t, []metrics.Bucket{{Value: 3 * des.Microsecond, Count: 1}}, rec.Histogram(metrics.UnplugRemove).Buckets())
	assert.Equal(t, []metrics.Bucket{{Value: 8 * des.Microsecond, Count: 1}}, rec.Histogram(metrics.UnplugRelease).Buckets())
}

// Without a pci remove, drm_dev_unplug itself starts the unplug; a device released without
// being unplugged records nothing.
func TestUnplugReleaseFromDevUnplugAlone(t *testing.T) {
	sim := des.MustNew(des.Config{})
	rec := metrics.NewRecorder()
	metrics.Attach(sim, rec)
	d := drm.DevAlloc(sim, nil, "card0", nil)
	other := drm.DevAlloc(sim, nil, "card1", nil)
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		d.DevUnplug(p)
		p.Sleep(4 * des.Microsecond)
		d.DevPut(p)
		other.DevPut(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []metrics.Bucket{{Value: 4 * des.Microsecond, Count: 1}}, rec.Histogram(metrics.UnplugRelease).Buckets())
}

// With no recorder attached nothing is recorded and nothing breaks.
func TestMetricsOffRecordNothing(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", ioctlDriver(0))
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		d.DevRegister(p)
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		require.NoError(t, f.Ioctl(p, 0, nil))
		d.DevUnplug(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Nil(t, metrics.Of(sim))
}
