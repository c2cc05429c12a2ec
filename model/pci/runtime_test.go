package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/pm"
)

// rpmDrv uses runtime PM as the PCI core expects: probe enables autosuspend, allows runtime
// PM and drops local_pci_probe's reference; remove takes it back with get_noresume. Its
// registers are unmapped by a devm action (pcim_iomap), after the PCI core's last put.
type rpmDrv struct {
	regs          *mem.IOMem
	j             *journal
	noGetInRemove bool // the bug: remove does not take back the reference probe dropped
	unmapInRemove bool // the bug: iounmap in .remove, before the core's put_sync suspends
}

func (r *rpmDrv) Name() string { return "rpmdrv" }

func (r *rpmDrv) Probe(p *des.Proc, d *pci.Dev) error {
	r.regs = d.Iomap(p, 0)
	r.regs.Write32(p, 0, 1)
	if !r.unmapInRemove {
		regs := r.regs
		if err := d.Devm().AddAction("pcim_iounmap", regs.Iounmap); err != nil {
			return err
		}
	}
	rpm := d.RuntimePM()
	rpm.UseAutosuspend(p, 100*des.Microsecond)
	rpm.Allow(p)
	_ = rpm.PutAutosuspend(p)
	return nil
}

func (r *rpmDrv) Remove(p *des.Proc, d *pci.Dev) {
	if !r.noGetInRemove {
		d.RuntimePM().GetNoresume(p)
	}
	r.regs.Write32(p, 0, 0)
	if r.unmapInRemove {
		r.regs.Iounmap(p)
	}
}

func (r *rpmDrv) RuntimeSuspend(p *des.Proc, d *pci.Dev) error {
	r.j.add("runtime_suspend %s ctrl=%d", d, r.regs.Read32(p, 0))
	return nil
}

func (r *rpmDrv) RuntimeResume(p *des.Proc, d *pci.Dev) error {
	r.j.add("runtime_resume %s", d)
	return nil
}

func rpmTopo(t *testing.T, drv *rpmDrv) (*des.Sim, *pci.Host, *pci.Dev) {
	t.Helper()
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	d, err := h.AddDevice(h.Root(), "0000:05:00.0", drv, bar(0, 16*kib))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	d.EnableRuntimePM(nil)
	return sim, h, d
}

// ioctl is a driver entry point: MMIO under a runtime PM reference.
func (r *rpmDrv) ioctl(p *des.Proc, d *pci.Dev, takeRef bool) {
	if takeRef {
		if err := d.RuntimePM().ResumeAndGet(p); err != nil {
			return
		}
		defer func() { _ = d.RuntimePM().PutAutosuspend(p) }()
	}
	r.regs.Write32(p, 4, 0xcafe)
}

func TestRuntimePMProbeAutosuspendIoctlRemove(t *testing.T) {
	j := &journal{}
	drv := &rpmDrv{j: j}
	sim, h, d := rpmTopo(t, drv)
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		assert.Equal(t, int64(0), d.RuntimePM().UsageCount(), "probe dropped local_pci_probe's reference")
		p.Sleep(500 * des.Microsecond)
		assert.True(t, d.HW().Suspended(), "autosuspended into D3hot 100us after probe")
		drv.ioctl(p, d, true)
		assert.False(t, d.HW().Suspended())
		p.Sleep(500 * des.Microsecond)
		h.Remove(p, d)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{
		"runtime_suspend 0000:05:00.0 ctrl=1",
		"runtime_resume 0000:05:00.0",
		"runtime_suspend 0000:05:00.0 ctrl=1",
		"runtime_resume 0000:05:00.0",         // __device_release_driver's pm_runtime_get_sync
		"runtime_suspend 0000:05:00.0 ctrl=1", // its put_sync: the autosuspend delay has passed
		"runtime_resume 0000:05:00.0",         // pci_device_remove's pm_runtime_get_sync
		"runtime_suspend 0000:05:00.0 ctrl=0", // its final put_sync: dev->driver is still set
	}, j.lines)
	assert.Zero(t, d.RuntimePM().UsageCount())
	assert.False(t, d.Bound())
}

// Since v5.16 (pci_dev->driver dropped) dev->driver is still set at pci_device_remove's final
// pm_runtime_put_sync, so a driver that follows local_pci_probe's advice (get_noresume in
// .remove) gets its runtime_suspend called after .remove: what .remove tore down by hand is gone.
func TestRuntimeSuspendAfterRemoveSeesWhatRemoveFreed(t *testing.T) {
	drv := &rpmDrv{j: &journal{}, unmapInRemove: true}
	sim, h, d := rpmTopo(t, drv)
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		p.Sleep(500 * des.Microsecond)
		h.Unbind(p, d)
	})
	r := sim.Run()
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.UseAfterUnmap, r.First().Kind, "runtime_suspend reads the register .remove iounmapped")
}

func TestMMIOToRuntimeSuspendedDeviceIsReported(t *testing.T) {
	drv := &rpmDrv{j: &journal{}}
	sim, h, d := rpmTopo(t, drv)
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		p.Sleep(500 * des.Microsecond)
		require.Equal(t, pm.Suspended, d.RuntimePM().Status())
		drv.ioctl(p, d, false) // the bug: no pm_runtime_get_sync before the MMIO
	})
	r := sim.Run()
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.MMIOSuspended, r.First().Kind)
	assert.Contains(t, r.First().Msg, "runtime-suspended (D3hot)")
}

func TestRemoveWithoutGetNoresumeUnderflows(t *testing.T) {
	drv := &rpmDrv{j: &journal{}, noGetInRemove: true}
	sim, h, d := rpmTopo(t, drv)
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		h.Unbind(p, d)
	})
	r := sim.Run()
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.RuntimePMUnderflow, r.First().Kind)
	assert.Contains(t, r.First().Msg, "pm_runtime_put_sync", "pci_device_remove's final put")
}

func TestFailedProbeDropsLocalPciProbeReference(t *testing.T) {
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	fail := &failing{j: &journal{}}
	d, err := h.AddDevice(h.Root(), "0000:05:00.0", fail, bar(0, 16*kib))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	d.EnableRuntimePM(nil)
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		require.Error(t, h.ProbeAll(p))
		assert.Equal(t, int64(1), d.RuntimePM().UsageCount(), "only pci_pm_init's forbid reference is left")
		assert.False(t, d.Bound())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestWithoutRuntimePMProbeAndRemoveAreUnchanged(t *testing.T) {
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	d, err := h.AddDevice(h.Root(), "0000:05:00.0", &legacy{name: "l", j: &journal{}}, bar(0, 16*kib))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		h.Remove(p, d)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Nil(t, d.RuntimePM())
	assert.Zero(t, count(sim, "pm_runtime_get_sync"))
}
