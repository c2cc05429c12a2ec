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

func TestConfigAndBARSpecsAreValidated(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 4096})
	assert.Error(t, err)
	_, err = pci.NewHost(sim, pci.Config{Base: 0xc000_0000, Size: 1 << 30})
	assert.Error(t, err)
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	for _, spec := range []pci.BARSpec{{Index: 6, Size: 4096}, {Index: 0, Size: 3000},
		{Index: 0, Size: 4096, Sizes: []uint64{8192}}} {
		_, err := h.AddDevice(h.Root(), "x", nil, spec)
		assert.Error(t, err, "%+v", spec)
	}
	_, err = h.AddDevice(h.Root(), "y", nil, bar(0, 4096), bar(0, 4096))
	assert.Error(t, err)
}

func TestBootAssignsAlignedNonOverlappingBARsInsideWindows(t *testing.T) {
	tp := newTopo(t, des.Config{}, true, nil, nil)
	base, size, ok := tp.host.Root().Window()
	require.True(t, ok)
	bbase, bsize, ok := tp.bridge.Subordinate().Window()
	require.True(t, ok)
	assert.True(t, bbase >= base && uint64(bbase)+bsize <= uint64(base)+size)
	assert.Zero(t, uint64(bbase)%pci.BridgeWindowAlign)
	for _, d := range tp.host.Devices() {
		for _, b := range d.BARs() {
			require.True(t, b.Assigned(), "%s BAR %d", d, b.Index())
			assert.Zero(t, uint64(b.Start())%b.Size(), "%s BAR %d aligned", d, b.Index())
			if d.Bus() == tp.bridge.Subordinate() {
				assert.True(t, b.Start() >= bbase && uint64(b.Start())+b.Size() <= uint64(bbase)+bsize)
			}
		}
	}
	// Firmware order: the NIC's 128 KiB BAR comes first, the GPU's 256 MiB BAR 0 above it.
	assert.Equal(t, mem.Addr(0xc000_0000), tp.nic.BAR(0).Start())
	assert.Equal(t, mem.Addr(0xd000_0000), tp.gpu.BAR(0).Start())
	assert.Len(t, tp.host.Space().Regions(), 6)
}

// The kernel's layout differs from the firmware's, so a rescan moves every releasable BAR
// even though nothing changed, except those of a driver without the hooks.
func TestRescanMovesEveryReleasableBARButNotLegacyDrivers(t *testing.T) {
	j := &journal{}
	gpu := &movable{legacy: legacy{name: "amdgpu", j: j, bar: 5}}
	nvme := &legacy{name: "nvme", j: j}
	tp := newTopo(t, des.Config{}, true, gpu, nvme)
	nvmeAt := tp.nvme.BAR(0).Start()
	gpuAt, nicAt := tp.gpu.BAR(5).Start(), tp.nic.BAR(0).Start()
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		gpu.regs.Write32(p, 0x40, 0xabc)
		require.NoError(t, tp.host.Rescan(p))
		assert.Equal(t, uint32(0xabc), gpu.regs.Read32(p, 0x40), "registers moved with the BAR")
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	_, _, ok := tp.bridge.Subordinate().Window()
	assert.True(t, ok, "the bridge window holds nvme's fixed BAR and stays")
	assert.NotEqual(t, gpuAt, tp.gpu.BAR(5).Start())
	assert.NotEqual(t, nicAt, tp.nic.BAR(0).Start(), "an unbound device's BAR moves too")
	assert.Equal(t, nvmeAt, tp.nvme.BAR(0).Start(), "nvme has no rescan_prepare: fixed")
	assert.Positive(t, count(tp.sim, "bar-move"))
	assert.Equal(t, []string{"probe 0000:01:00.0", "probe 0000:03:00.0", "prepare 0000:01:00.0", "done 0000:01:00.0"}, j.lines)
}

func TestBarFixedKeepsThatBAR(t *testing.T) {
	j := &journal{}
	gpu := &pinned{movable{legacy: legacy{name: "amdgpu", j: j, bar: 5}}}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	bar0, bar2 := tp.gpu.BAR(0).Start(), tp.gpu.BAR(2).Start()
	require.Equal(t, mem.Addr(0xd000_0000), bar0)
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		require.NoError(t, tp.host.Rescan(p))
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, bar0, tp.gpu.BAR(0).Start())
	assert.NotEqual(t, bar2, tp.gpu.BAR(2).Start(), "BAR 2 is releasable and moved")
}

// prepare runs a bus's children before the bridge itself; done runs the bridge first.
func TestPrepareAndDoneAreDepthFirst(t *testing.T) {
	j := &journal{}
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	mk := func(name string) *movable { return &movable{legacy: legacy{name: name, j: j}} }
	_, err = h.AddDevice(h.Root(), "A", mk("a"), bar(0, 4096))
	require.NoError(t, err)
	port, err := h.AddBridge(h.Root(), "P", &bridgeDrv{j: j})
	require.NoError(t, err)
	_, err = h.AddDevice(port.Subordinate(), "B", mk("b"), bar(0, 4096))
	require.NoError(t, err)
	_, err = h.AddDevice(h.Root(), "D", mk("d"), bar(0, 4096))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		j.lines = nil
		require.NoError(t, h.Rescan(p))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"prepare A", "prepare B", "prepare P", "prepare D",
		"done A", "done P", "done B", "done D"}, j.lines)
}

// bridgeDrv is portdrv with the hooks (it maps nothing).
type bridgeDrv struct{ j *journal }

func (b *bridgeDrv) Name() string                          { return "pcieport" }
func (b *bridgeDrv) Probe(p *des.Proc, d *pci.Dev) error   { return nil }
func (b *bridgeDrv) Remove(p *des.Proc, d *pci.Dev)        {}
func (b *bridgeDrv) RescanPrepare(p *des.Proc, d *pci.Dev) { b.j.add("prepare %s", d) }
func (b *bridgeDrv) RescanDone(p *des.Proc, d *pci.Dev)    { b.j.add("done %s", d) }

// Seed 000: "after the move the device becomes unresponsive as unmap/ioremap wasn't done".
func TestDriverKeepingItsMappingAcrossAMoveIsStaleMMIO(t *testing.T) {
	j := &journal{}
	gpu := &movable{legacy: legacy{name: "amdgpu", j: j, bar: 5}, forgetUnmap: true}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		_ = tp.host.Rescan(p)
	})
	r := tp.sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StaleMMIO, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "readl at iomem:0000:01:00.0:bar5")
}

// Between iounmap in prepare and ioremap in done nothing may touch MMIO.
func TestWorkTouchingMMIOBetweenPrepareAndDoneIsUseAfterUnmap(t *testing.T) {
	j := &journal{}
	gpu := &movable{legacy: legacy{name: "amdgpu", j: j, bar: 5}}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	var regs *mem.IOMem
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		regs = gpu.regs // the work item captured the mapping at probe
		p.Sleep(10)
		_ = tp.host.Rescan(p)
	})
	tp.sim.Spawn("ring_work", des.Worker, func(p *des.Proc) {
		p.Sleep(11)
		for i := 0; i < 100; i++ {
			regs.Read32(p, 0x10)
		}
	})
	r := tp.sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterUnmap, r.Violations[0].Kind)
	assert.Equal(t, "ring_work", r.Violations[0].Proc)
}

// Layouts are a function of the seed: the same seed gives the same moves, and different seeds
// explore different layouts.
func TestRandomLayoutsAreDeterministicPerSeedAndVary(t *testing.T) {
	after := func(seed uint64) string {
		j := &journal{}
		tp := newTopo(t, des.Config{Seed: seed}, false, &movable{legacy: legacy{name: "amdgpu", j: j, bar: 5}}, nil)
		tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
			require.NoError(t, tp.host.ProbeAll(p))
			require.NoError(t, tp.host.Rescan(p))
		})
		r := tp.sim.Run()
		require.True(t, r.OK(), r.Violations)
		return layout(tp.host)
	}
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 16; seed++ {
		l := after(seed)
		assert.Equal(t, l, after(seed))
		seen[l] = true
	}
	assert.GreaterOrEqual(t, len(seen), 2)
}

func TestRescanResizeBAR(t *testing.T) {
	j := &journal{}
	gpu := &movable{legacy: legacy{name: "amdgpu", j: j, bar: 5}}
	nvme := &legacy{name: "nvme", j: j}
	tp := newTopo(t, des.Config{}, true, gpu, nvme)
	tp.sim.Spawn("platform", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		require.NoError(t, tp.host.RescanResizeBAR(p, tp.gpu, 0, 512*mib))
		assert.Equal(t, 512*mib, tp.gpu.BAR(0).Size())
		assert.Equal(t, uint32(1), gpu.regs.Read32(p, 0), "the driver remapped in done")
		assert.ErrorIs(t, tp.host.RescanResizeBAR(p, tp.gpu, 0, 1024*mib), pci.ErrNoSpace)
		assert.Equal(t, 512*mib, tp.gpu.BAR(0).Size(), "old size kept")
		assert.ErrorIs(t, tp.host.RescanResizeBAR(p, tp.nvme, 0, 16*kib), pci.ErrBusy, "nvme's BAR is fixed")
		assert.Error(t, tp.host.RescanResizeBAR(p, tp.gpu, 0, 3*mib), "unsupported size")
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, count(tp.sim, "bar-resize"))
}
