package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
)

func notifier(j *journal) pci.Notifier {
	return pci.Notifier{Name: "iommu",
		AddDevice:     func(p *des.Proc, d *pci.Dev) { j.add("add %s", d) },
		RemovedDevice: func(p *des.Proc, d *pci.Dev) { j.add("removed %s", d) }}
}

// .remove, then devm actions in reverse order, then the bus notifier, then the BARs go.
func TestRemoveOrder(t *testing.T) {
	j := &journal{}
	gpu := &legacy{name: "xe", j: j, bar: 5, devm: []string{"ggtt_fini", "migrate_fini"}}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	require.NoError(t, tp.host.RegisterNotifier(notifier(j)))
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		j.lines = nil
		tp.host.Remove(p, tp.gpu)
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"remove 0000:01:00.0", "devm migrate_fini", "devm ggtt_fini", "removed 0000:01:00.0"}, j.lines)
	assert.True(t, tp.gpu.Removed())
	assert.False(t, tp.gpu.BAR(0).Assigned())
	assert.True(t, tp.gpu.HW().Removed())
	assert.Nil(t, tp.host.Space().At(0xd000_0000))
}

func TestRemovingABridgeStopsChildrenFirst(t *testing.T) {
	j := &journal{}
	nvme := &legacy{name: "nvme", j: j}
	tp := newTopo(t, des.Config{}, true, nil, nvme)
	require.NoError(t, tp.host.RegisterNotifier(notifier(j)))
	tp.sim.Spawn("pciehp", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		j.lines = nil
		tp.host.Remove(p, tp.bridge)
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"remove 0000:03:00.0", "removed 0000:03:00.0", "removed 0000:03:00.1", "removed 0000:02:00.0"}, j.lines)
	assert.True(t, tp.hda.Removed())
}

// A work item that outlives the driver touches the hardware after remove; the same access
// from .remove is fine.
func TestHWAfterRemove(t *testing.T) {
	for _, late := range []bool{false, true} {
		j := &journal{}
		gpu := &legacy{name: "amdgpu", j: j, bar: 5}
		tp := newTopo(t, des.Config{}, true, gpu, nil)
		var regs *mem.IOMem
		tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
			require.NoError(t, tp.host.ProbeAll(p))
			regs = tp.host.Space().Ioremap(p, tp.gpu.BAR(5).Start(), 4096) // a second mapping, never unmapped
			tp.host.Remove(p, tp.gpu)
		})
		if late {
			tp.sim.Spawn("reset_work", des.Worker, func(p *des.Proc) { p.Sleep(100); regs.Read32(p, 0) })
		}
		r := tp.sim.Run()
		if !late {
			assert.True(t, r.OK(), r.Violations)
			continue
		}
		require.Len(t, r.Violations, 1)
		assert.Equal(t, oracle.HWAfterRemove, r.Violations[0].Kind)
		assert.Equal(t, "reset_work", r.Violations[0].Proc)
	}
}

// Surprise removal: the device is gone before .remove runs; reads see ~0, not a violation.
func TestSurpriseRemoveReadsAllOnes(t *testing.T) {
	j := &journal{}
	gpu := &probeReader{legacy: legacy{name: "amdgpu", j: j, bar: 5}}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	tp.sim.Spawn("pciehp", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		assert.True(t, tp.gpu.IsPresent(p))
		tp.host.SurpriseRemove(p, tp.gpu)
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []uint32{0xffffffff}, gpu.seen)
	assert.False(t, gpu.present)
	assert.Equal(t, 1, tp.gpu.HW().AllOnesReads())
	assert.Equal(t, 1, tp.gpu.HW().DroppedWrites(), "legacy.Remove's disable write")
}

// probeReader reads a register in .remove and checks pci_device_is_present.
type probeReader struct {
	legacy
	seen    []uint32
	present bool
}

func (r *probeReader) Remove(p *des.Proc, d *pci.Dev) {
	r.present = d.IsPresent(p)
	r.seen = append(r.seen, r.regs.Read32(p, 0x4))
	r.legacy.Remove(p, d)
}

func TestReplugProbesANewIncarnation(t *testing.T) {
	j := &journal{}
	gpu := &movable{legacy: legacy{name: "amdgpu", j: j, bar: 5}}
	tp := newTopo(t, des.Config{}, false, gpu, nil)
	require.NoError(t, tp.host.RegisterNotifier(notifier(j)))
	tp.sim.Spawn("pciehp", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		tp.host.SurpriseRemove(p, tp.gpu)
		assert.ErrorIs(t, tp.host.Bind(p, tp.gpu), pci.ErrNoDevice)
		require.NoError(t, tp.host.Replug(p, tp.gpu))
		assert.ErrorIs(t, tp.host.Replug(p, tp.gpu), pci.ErrNoDevice, "already back")
		assert.Equal(t, uint32(1), gpu.regs.Read32(p, 0), "probed again")
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.True(t, tp.gpu.Bound())
	assert.Equal(t, 1, tp.gpu.HW().Generation())
	assert.Equal(t, []string{"add 0000:00:1f.0", "add 0000:01:00.0", "add 0000:02:00.0", "add 0000:03:00.0",
		"add 0000:03:00.1", "probe 0000:01:00.0", "remove 0000:01:00.0", "removed 0000:01:00.0",
		"add 0000:01:00.0", "probe 0000:01:00.0"}, j.lines)
}

// A hot-added device whose BAR cannot fit gets none and is not probed; working devices keep
// their space.
func TestNewDeviceThatDoesNotFitIsNotProbed(t *testing.T) {
	j := &journal{}
	nvme := &legacy{name: "nvme", j: j}
	tp := newTopo(t, des.Config{}, true, nil, nvme)
	big, err := tp.host.AddDevice(tp.host.Root(), "0000:05:00.0", &legacy{name: "big", j: j}, bar(0, 1<<30))
	require.NoError(t, err)
	small, err := tp.host.AddDevice(tp.host.Root(), "0000:06:00.0", &legacy{name: "small", j: j}, bar(0, 4096))
	require.NoError(t, err)
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		assert.False(t, big.Added(), "not scanned yet")
		require.NoError(t, tp.host.Rescan(p))
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.True(t, big.Added())
	assert.False(t, big.BAR(0).Assigned())
	assert.False(t, big.Bound())
	assert.True(t, tp.nvme.Bound())
	assert.True(t, small.Bound(), "new devices that fit are admitted one by one")
	assert.Equal(t, 1, count(tp.sim, "bar-disabled"))
}

func TestUnbindThenBind(t *testing.T) {
	j := &journal{}
	gpu := &legacy{name: "amdgpu", j: j, bar: 5, devm: []string{"fini"}}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		tp.host.Unbind(p, tp.gpu)
		assert.False(t, tp.gpu.Bound())
		assert.True(t, tp.gpu.Added())
		assert.Zero(t, tp.gpu.Devm().Len())
		require.NoError(t, tp.host.Rescan(p))
		assert.False(t, tp.gpu.Bound(), "rescan probes only new devices")
		require.NoError(t, tp.host.Bind(p, tp.gpu))
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "devm fini", "probe 0000:01:00.0"}, j.lines)
}

// failing is a driver whose probe fails after registering a devm action.
type failing struct{ j *journal }

func (f *failing) Name() string { return "failing" }
func (f *failing) Probe(p *des.Proc, d *pci.Dev) error {
	_ = d.Devm().AddAction("undo", func(p *des.Proc) { f.j.add("devm undo") })
	return pci.ErrNoDevice
}
func (f *failing) Remove(p *des.Proc, d *pci.Dev) { f.j.add("remove") }

func TestFailedProbeReleasesDevres(t *testing.T) {
	j := &journal{}
	tp := newTopo(t, des.Config{}, true, &failing{j: j}, nil)
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		assert.ErrorIs(t, tp.host.ProbeAll(p), pci.ErrNoDevice)
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.False(t, tp.gpu.Bound())
	assert.Equal(t, []string{"devm undo"}, j.lines)
}

// Two sysfs writers serialise on the rescan/remove lock.
func TestOperationsSerialise(t *testing.T) {
	j := &journal{}
	gpu := &slowRemove{legacy: legacy{name: "amdgpu", j: j, bar: 5}}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	tp.sim.Spawn("remove", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		tp.host.Remove(p, tp.gpu)
	})
	tp.sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(1)
		require.NoError(t, tp.host.Rescan(p))
		j.add("rescan done")
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "remove returns", "rescan done"}, j.lines)
}

type slowRemove struct{ legacy }

func (s *slowRemove) Remove(p *des.Proc, d *pci.Dev) {
	s.legacy.Remove(p, d)
	p.Sleep(des.Millisecond)
	s.j.add("remove returns")
}

// pci_rescan_remove_lock is one mutex for every domain: a rescan of a second host waits for
// a remove running on the first.
func TestRescanRemoveLockIsGlobal(t *testing.T) {
	j := &journal{}
	gpu := &slowRemove{legacy: legacy{name: "amdgpu", j: j, bar: 5}}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	h2, err := pci.NewHost(tp.sim, pci.Config{Name: "0001", Base: 0x1_0000_0000, Size: 1 << 30, FixedOrder: true})
	require.NoError(t, err)
	require.NoError(t, h2.Boot())
	tp.sim.Spawn("remove", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		tp.host.Remove(p, tp.gpu)
	})
	tp.sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(1)
		require.NoError(t, h2.Rescan(p))
		j.add("rescan 0001 done")
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "remove returns", "rescan 0001 done"}, j.lines)
}

// unbind_store takes the device_lock, not pci_rescan_remove_lock: unbinding one device does
// not wait for a rescan that is pausing another.
func TestUnbindDoesNotWaitForRescan(t *testing.T) {
	j := &journal{}
	gpu := &slowPrepare{movable: movable{legacy: legacy{name: "amdgpu", j: j, bar: 5}}}
	nvme := &legacy{name: "nvme", j: j}
	tp := newTopo(t, des.Config{}, true, gpu, nvme)
	tp.sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		j.lines = nil
		require.NoError(t, tp.host.Rescan(p))
	})
	tp.sim.Spawn("unbind", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		tp.host.Unbind(p, tp.nvme)
		j.add("unbound %s", tp.nvme)
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"prepare 0000:01:00.0", "remove 0000:03:00.0", "unbound 0000:03:00.0",
		"done 0000:01:00.0"}, j.lines)
}

type slowPrepare struct{ movable }

func (s *slowPrepare) RescanPrepare(p *des.Proc, d *pci.Dev) {
	s.movable.RescanPrepare(p, d)
	p.Sleep(des.Millisecond)
}

// Unbind racing a remove of the same device: the device_lock lets .remove run once.
func TestUnbindRacingRemoveRunsRemoveOnce(t *testing.T) {
	j := &journal{}
	gpu := &slowRemove{legacy: legacy{name: "amdgpu", j: j, bar: 5}}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	tp.sim.Spawn("remove", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		tp.host.Remove(p, tp.gpu)
	})
	tp.sim.Spawn("unbind", des.Task, func(p *des.Proc) {
		p.Sleep(1)
		tp.host.Unbind(p, tp.gpu)
		j.add("unbind returns")
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "remove returns", "unbind returns"}, j.lines)
}

// A bind that comes in after the remove path released the driver fails with ENODEV and
// does not probe the device being destroyed.
func TestBindDuringRemoveIsRefused(t *testing.T) {
	j := &journal{}
	gpu := &legacy{name: "amdgpu", j: j, bar: 5}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	var bindErr error
	require.NoError(t, tp.host.RegisterNotifier(pci.Notifier{Name: "slow",
		RemovedDevice: func(p *des.Proc, d *pci.Dev) { p.Sleep(des.Millisecond) }}))
	tp.sim.Spawn("remove", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		tp.host.Remove(p, tp.gpu)
	})
	tp.sim.Spawn("bind", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		bindErr = tp.host.Bind(p, tp.gpu)
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.ErrorIs(t, bindErr, pci.ErrNoDevice)
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0"}, j.lines)
	assert.False(t, tp.gpu.Bound())
}

// devres_release_all moves the list aside before releasing: an action a release callback
// registers is not run in the same pass, and really_probe refuses the next probe with EBUSY
// ("Resources present before probing").
func TestDevmActionAddedDuringReleaseStays(t *testing.T) {
	j := &journal{}
	gpu := &legacy{name: "amdgpu", j: j, bar: 5}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		require.NoError(t, tp.gpu.Devm().AddAction("fini", func(p *des.Proc) {
			j.add("devm fini")
			_ = tp.gpu.Devm().AddAction("late", func(p *des.Proc) { j.add("devm late") })
		}))
		tp.host.Unbind(p, tp.gpu)
		assert.Equal(t, 1, tp.gpu.Devm().Len(), "the late action is left over")
		assert.ErrorIs(t, tp.host.Bind(p, tp.gpu), pci.ErrResourcesPresent)
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "devm fini"}, j.lines)
	assert.False(t, tp.gpu.Bound())
}
