package ttm_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/iommu"
	"hotplugsim/model/lock"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
)

const (
	oldBase = 0xe000_0000
	newBase = 0xc000_0000
)

// gpu is one GPU: its BAR, drm device (registered) and ttm device.
type gpu struct {
	vram *mem.Region
	ddev *drm.Device
	tdev *ttm.Device
}

func newGPU(t *testing.T, sim *des.Sim, opts ttm.Options) *gpu {
	hw := mem.SpaceOf(sim).NewOwner("gpu")
	vram := hw.NewRegion("bar0", 64*mm.PageSize)
	require.NoError(t, vram.Claim(oldBase))
	ddev := drm.DevAlloc(sim, nil, "card0", nil)
	tdev, err := ttm.NewDevice(sim, ddev, vram, opts)
	require.NoError(t, err)
	return &gpu{vram: vram, ddev: ddev, tdev: tdev}
}

// moveBAR is what a rescan does to the BAR: release, reassign elsewhere.
func (g *gpu) moveBAR(t *testing.T) {
	g.vram.Release()
	require.NoError(t, g.vram.Claim(newBase))
}

func TestVRAMFaultMapsThroughTheBARAndPrefaults(t *testing.T) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		_, err := g.tdev.NewBO(p, "pad", 3, ttm.PlVRAM)
		require.NoError(t, err)
		bo, err := g.tdev.NewBO(p, "fb", 4, ttm.PlVRAM)
		require.NoError(t, err)
		vma, err := bo.Mmap(p, app, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Addr(2)))
		assert.Equal(t, fmt.Sprintf("pfn %#x (gpu:bar0)", (oldBase>>mm.PageShift)+3+2), vma.Target(vma.Addr(2)))
		assert.Equal(t, 2, vma.PresentCount(), "prefault runs forward from the faulting page")
		require.NoError(t, app.Read(p, vma.Addr(3)))
		assert.Equal(t, 1, app.Stats().Faults)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// barMove: the app maps a VRAM BO, the BAR moves at 5us, the app reads again at 10us.
// unmap: the mover zaps the BO's CPU mappings; rebase: and tells the driver the new base.
func barMove(t *testing.T, unmap, rebase bool) des.Result {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	app := mm.NewMM(sim, "app", mm.Options{})
	bo, err := g.tdev.NewBO(nil, "fb", 2, ttm.PlVRAM)
	require.NoError(t, err)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := bo.Mmap(p, app, nil)
		require.NoError(t, err)
		require.NoError(t, app.Write(p, vma.Start))
		p.Sleep(10 * des.Microsecond)
		require.NoError(t, app.Write(p, vma.Start))
		assert.Contains(t, vma.Target(vma.Start), fmt.Sprintf("pfn %#x", newBase>>mm.PageShift))
	})
	sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(5 * des.Microsecond)
		if unmap { // rescan_prepare
			for _, b := range g.tdev.BOs() {
				b.UnmapVirtual(p)
			}
		}
		g.moveBAR(t)
		if rebase { // rescan_done
			g.tdev.SetAperBase(newBase)
		}
	})
	return sim.Run()
}

func TestBARMoveWithUnmapAndNewBaseRefaultsAtTheNewAddress(t *testing.T) {
	r := barMove(t, true, true)
	assert.True(t, r.OK(), r.Violations)
}

func TestBARMoveWithoutUnmapIsStalePTE(t *testing.T) {
	r := barMove(t, false, true)
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StalePTE, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "phys 0xe0000000 no longer belongs to gpu:bar0")
}

// A fault between the move and rescan_done maps the old aperture: faults must be blocked
// until the driver knows the new base (PCI movable BARs thread).
func TestFaultBeforeTheDriverLearnsTheNewBaseIsStalePTE(t *testing.T) {
	r := barMove(t, true, false)
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StalePTE, r.Violations[0].Kind)
}

// unplug: the app maps a TT BO, the device is unplugged at 5us, the app reads at 10us and
// exits at 20us; the driver drops its reference at 30us.
func unplug(t *testing.T, opts ttm.Options, extraPut bool) (des.Result, *mm.VMA) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, opts)
	app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
	bo, err := g.tdev.NewBO(nil, "buf", 3, ttm.PlTT)
	require.NoError(t, err)
	var vma *mm.VMA
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err = bo.Mmap(p, app, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Start))
		p.Sleep(10 * des.Microsecond)
		require.NoError(t, app.Read(p, vma.Addr(1)))
		assert.Equal(t, 3, vma.PresentCount(), "the dummy page is mapped over the whole VMA")
		assert.Contains(t, vma.Target(vma.Addr(2)), "dummy_page:app")
		if extraPut {
			g.ddev.DevPut(p) // a refcount bug: the driver's reference and a spurious one go,
			g.ddev.DevPut(p) // and with them the device and its drmm actions
			require.NoError(t, app.Read(p, vma.Addr(1)))
		}
		p.Sleep(10 * des.Microsecond)
		app.Exit(p)
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(5 * des.Microsecond)
		g.ddev.DevUnplug(p)
		g.tdev.ClearDMAMappings(p)
		p.Sleep(25 * des.Microsecond)
		bo.Put(p)
		if !extraPut {
			g.ddev.DevPut(p)
		}
	})
	return sim.Run(), vma
}

func TestUnplugMapsTheDummyPageAndNoSIGBUS(t *testing.T) {
	r, _ := unplug(t, ttm.Options{}, false)
	require.True(t, r.OK(), r.Violations)
}

// The v1 approach of the amdgpu hot-unplug v6 thread: a fault after unplug gets SIGBUS.
func TestSIGBUSAfterUnplugBreaksANoSIGBUSPromise(t *testing.T) {
	r, _ := unplug(t, ttm.Options{SIGBUSAfterUnplug: true}, false)
	require.NotEmpty(t, r.Violations)
	assert.Equal(t, oracle.SIGBUS, r.Violations[0].Kind)
}

// The dummy page is freed by a drmm action: dropping the last device reference while an
// app still maps it leaves a PTE to a freed page.
func TestDummyPageFreedWhileMappedIsStalePTE(t *testing.T) {
	r, _ := unplug(t, ttm.Options{}, true)
	require.NotEmpty(t, r.Violations)
	assert.Equal(t, oracle.StalePTE, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "dummy_page:app")
}

// A pipelined move leaves a KERNEL fence: the fault drops mmap_lock, waits and retries,
// then maps the new placement.
func TestFaultWaitsForTheMoveFenceWithRetry(t *testing.T) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	app := mm.NewMM(sim, "app", mm.Options{})
	sdma := fence.NewContext(sim, "sdma")
	bo, err := g.tdev.NewBO(nil, "buf", 2, ttm.PlTT)
	require.NoError(t, err)
	var moved *fence.Fence
	sim.Spawn("evict", des.Task, func(p *des.Proc) {
		require.NoError(t, bo.Resv.Lock(p, nil))
		moved = sdma.NewFence(p)
		require.NoError(t, bo.Move(p, ttm.PlVRAM, moved))
		bo.Resv.Unlock(p)
		assert.Equal(t, 2, g.tdev.VRAMUsedPages())
		p.Sleep(10 * des.Microsecond)
		require.NoError(t, moved.Signal(p))
		moved.Put(p)
	})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := bo.Mmap(p, app, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Start))
		assert.Equal(t, des.Time(10*des.Microsecond), p.Now())
		assert.Contains(t, vma.Target(vma.Start), "gpu:bar0")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, app.Stats().Retries)
}

// The resv is held by someone else: the fault drops mmap_lock, waits for it and retries.
func TestContendedResvRetries(t *testing.T) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	app := mm.NewMM(sim, "app", mm.Options{})
	bo, err := g.tdev.NewBO(nil, "buf", 1, ttm.PlVRAM)
	require.NoError(t, err)
	sim.Spawn("cs", des.Task, func(p *des.Proc) {
		require.NoError(t, bo.Resv.Lock(p, nil))
		p.Sleep(5 * des.Microsecond)
		bo.Resv.Unlock(p)
	})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := bo.Mmap(p, app, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Start))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, app.Stats().Retries)
}

// On a fault that may not retry, the fault waits for the KERNEL fence with mmap_lock held
// and maps, whether or not the fence signalled with an error: dma_resv_wait_timeout fails
// only when interrupted, so a force-signalled move fence is no reason for SIGBUS.
func TestFailedMoveFenceOnTheRetriedFaultStillMaps(t *testing.T) {
	for _, errno := range []fence.Errno{0, -fence.ENODEV} {
		sim := des.MustNew(des.Config{})
		g := newGPU(t, sim, ttm.Options{})
		bo, err := g.tdev.NewBO(nil, "buf", 1, ttm.PlTT)
		require.NoError(t, err)
		app := mm.NewMM(sim, "app", mm.Options{})
		var got mm.FaultResult
		sim.Spawn("fault", des.Task, func(p *des.Proc) {
			vma, err := app.Mmap(p, g.ddev.Mapping(), bo.Offset()>>mm.PageShift, 1, ttm.VMOps{}, bo)
			require.NoError(t, err)
			bo.Get(p)
			g.ddev.DevGet(p)    // the references ttm_bo_mmap_obj would take
			app.MmapReadLock(p) // the fault path's order: mmap_lock, then the resv
			require.NoError(t, bo.Resv.Lock(p, nil))
			f := fence.NewContext(sim, "sdma").NewFence(p)
			require.NoError(t, bo.Move(p, ttm.PlVRAM, f))
			sim.Spawn("sdma", des.Task, func(q *des.Proc) {
				q.Sleep(5 * des.Microsecond)
				if errno != 0 {
					f.SetError(q, errno)
				}
				_ = f.Signal(q)
			})
			vmf := &mm.VMFault{VMA: vma, Address: vma.Start, PgOff: vma.PgOff,
				Flags: mm.FaultFlagDefault | mm.FaultFlagTried}
			got = ttm.FaultReserved(p, vmf, ttm.NumPrefault)
			assert.Contains(t, vma.Target(vma.Start), "gpu:bar0", "the new placement is mapped")
			bo.Resv.Unlock(p)
			app.MmapReadUnlock(p)
			f.Put(p)
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		assert.Equal(t, mm.VMFaultNoPage, got, "errno %d", errno)
	}
}

func TestFaultPastTheEndOfTheBOIsSIGBUS(t *testing.T) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	bo, err := g.tdev.NewBO(nil, "small", 1, ttm.PlVRAM)
	require.NoError(t, err)
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, g.ddev.Mapping(), bo.Offset()>>mm.PageShift, 2, ttm.VMOps{}, bo)
		require.NoError(t, err)
		bo.Get(p)
		g.ddev.DevGet(p)
		require.NoError(t, app.Read(p, vma.Addr(0)))
		assert.ErrorIs(t, app.Read(p, vma.Addr(1)), mm.ErrSIGBUS)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// pciGPU is a GPU on a PCI host with an IOMMU: BAR0 is its VRAM.
func pciGPU(t *testing.T, sim *des.Sim) (*pci.Host, *pci.Dev, *gpu) {
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	dev, err := host.AddDevice(host.Root(), "0000:03:00.0", nil, pci.BARSpec{Index: 0, Size: 16 << 20})
	require.NoError(t, err)
	require.NoError(t, host.Boot())
	_, err = iommu.Attach(host)
	require.NoError(t, err)
	ddev := drm.DevAlloc(sim, nil, "card0", nil)
	tdev, err := ttm.NewDevice(sim, ddev, dev.BAR(0).Region(), ttm.Options{VRAMPages: 64, DMA: ttm.IOMMUMapper(dev)})
	require.NoError(t, err)
	return host, dev, &gpu{vram: dev.BAR(0).Region(), ddev: ddev, tdev: tdev}
}

// Seed 004: at remove every DMA mapping goes, pinned BOs included; pinned BOs don't move.
func TestClearDMAMappingsIncludesPinnedBOs(t *testing.T) {
	sim := des.MustNew(des.Config{})
	host, dev, g := pciGPU(t, sim)
	group := iommu.Of(host).Group(dev)
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		pinned, err := g.tdev.NewBO(p, "migrate", 2, ttm.PlTT)
		require.NoError(t, err)
		_, err = g.tdev.NewBO(p, "gtt", 3, ttm.PlTT)
		require.NoError(t, err)
		fb, err := g.tdev.NewBO(p, "fb", 1, ttm.PlVRAM)
		require.NoError(t, err)
		require.NoError(t, pinned.Resv.Lock(p, nil))
		pinned.Pin(p)
		assert.ErrorIs(t, pinned.Move(p, ttm.PlVRAM, nil), ttm.ErrBusy)
		pinned.Resv.Unlock(p)
		require.NoError(t, fb.Resv.Lock(p, nil))
		fb.Pin(p)
		assert.ErrorIs(t, fb.Evict(p, nil), ttm.ErrBusy)
		fb.Unpin(p)
		require.NoError(t, fb.Evict(p, nil))
		fb.Resv.Unlock(p)
		assert.Equal(t, 6, group.Mappings())
		assert.Equal(t, 3, g.tdev.ClearDMAMappings(p))
		assert.Zero(t, group.Mappings())
		assert.False(t, pinned.Populated())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Zero(t, g.tdev.VRAMUsedPages())
}

// Seed 004 (xe): a pinned migrate BO released by a drmm action at the final drm_dev_put
// unmaps its pages after PCI remove released the IOMMU group, unless the remove path
// cleared every DMA mapping first.
func TestDrmmReleasedBOAfterRemoveUsesTheFreedIOMMUGroup(t *testing.T) {
	for _, clear := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		host, dev, g := pciGPU(t, sim)
		sim.Spawn("probe+remove", des.Task, func(p *des.Proc) {
			migrate, err := g.tdev.NewBO(p, "migrate", 1, ttm.PlTT)
			require.NoError(t, err)
			require.NoError(t, g.ddev.DrmmAddAction(p, "xe_migrate_fini", migrate.Put))
			if clear {
				g.tdev.ClearDMAMappings(p) // in .remove, before the group goes
			}
			host.Remove(p, dev)
			g.ddev.DevPut(p) // the last reference: drmm actions run
		})
		r := sim.Run()
		if clear {
			assert.True(t, r.OK(), r.Violations)
			continue
		}
		require.Len(t, r.Violations, 1)
		assert.Equal(t, oracle.UseAfterFree, r.Violations[0].Kind)
		assert.Contains(t, r.Violations[0].Msg, "dma_debug_device_change\n")
	}
}

func TestPipelinedMoveFreesTheOldVRAMWhenTheFenceSignals(t *testing.T) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{VRAMPages: 4})
	sim.Spawn("evict", des.Task, func(p *des.Proc) {
		bo, err := g.tdev.NewBO(p, "a", 4, ttm.PlVRAM)
		require.NoError(t, err)
		_, err = g.tdev.NewBO(p, "b", 1, ttm.PlVRAM)
		assert.ErrorIs(t, err, ttm.ErrNoSpace)
		require.NoError(t, bo.Resv.Lock(p, nil))
		f := fence.NewContext(sim, "sdma").NewFence(p)
		require.NoError(t, bo.Evict(p, f))
		bo.Resv.Unlock(p)
		assert.Equal(t, 4, g.tdev.VRAMUsedPages(), "the ghost holds the old VRAM")
		require.NoError(t, f.Signal(p))
		f.Put(p)
		assert.Zero(t, g.tdev.VRAMUsedPages())
		assert.Equal(t, ttm.PlTT, bo.Placement())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestMoveWithoutTheResvHeldIsAModelBug(t *testing.T) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	sim.Spawn("evict", des.Task, func(p *des.Proc) {
		bo, err := g.tdev.NewBO(p, "a", 1, ttm.PlVRAM)
		require.NoError(t, err)
		_ = bo.Evict(p, nil)
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.Panic, r.Violations[0].Kind)
}

func TestUseOfAFreedBO(t *testing.T) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		bo, err := g.tdev.NewBO(p, "a", 1, ttm.PlTT)
		require.NoError(t, err)
		vma, err := bo.Mmap(p, app, nil)
		require.NoError(t, err)
		require.NoError(t, app.Munmap(p, vma)) // the VMA's reference goes
		bo.Put(p)                              // the creator's: freed
		assert.Empty(t, g.tdev.BOs())
		_, _ = bo.Mmap(p, app, nil)
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterFree, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "slab-use-after-free in ttm_bo_mmap_obj\n")
}

// gatedOps is a driver's vm_ops with the PCI-level rw-lock the movable-BARs thread asks for: faults hold
// it for read (trylock; if a BAR move holds it, drop mmap_lock, wait, VM_FAULT_RETRY), the
// move holds it for write from rescan_prepare to rescan_done.
type gatedOps struct {
	ttm.VMOps
	barLock *lock.RWSem
}

func (o gatedOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	if !o.barLock.DownReadTrylock(p) {
		if vmf.AllowRetryFirst() {
			vmf.MmapReadUnlock(p)
			o.barLock.DownRead(p)
			o.barLock.UpRead(p)
			return mm.VMFaultRetry
		}
		o.barLock.DownRead(p)
	}
	r := ttm.VMFault(p, vmf)
	o.barLock.UpRead(p)
	return r
}

// rescan is the BAR move: prepare (block faults, zap user mappings), move, done.
func rescan(t *testing.T, p *des.Proc, g *gpu, ops mm.VMOps, d des.Duration) {
	if gated, ok := ops.(gatedOps); ok {
		gated.barLock.DownWrite(p)
		defer gated.barLock.UpWrite(p)
	}
	for _, b := range g.tdev.BOs() {
		b.UnmapVirtual(p)
	}
	g.moveBAR(t)
	p.Sleep(d)
	g.tdev.SetAperBase(newBase)
}

// The app faults in the middle of the BAR move (at 6us; prepare at 5us, done at 8us).
func faultDuringBARMove(t *testing.T, gate bool) des.Result {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	app := mm.NewMM(sim, "app", mm.Options{})
	bo, err := g.tdev.NewBO(nil, "fb", 1, ttm.PlVRAM)
	require.NoError(t, err)
	var ops mm.VMOps
	if gate {
		ops = gatedOps{barLock: lock.NewRWSem(sim, "pci_bar_lock")}
	}
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := bo.Mmap(p, app, ops)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Start))
		p.Sleep(6 * des.Microsecond)
		require.NoError(t, app.Read(p, vma.Start))
		assert.Equal(t, des.Time(8*des.Microsecond), p.Now())
		assert.Equal(t, 1, app.Stats().Retries)
	})
	sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(5 * des.Microsecond)
		rescan(t, p, g, ops, 3*des.Microsecond)
	})
	return sim.Run()
}

func TestFaultsBlockedDuringBARMoveRefaultAtTheNewAddress(t *testing.T) {
	r := faultDuringBARMove(t, true)
	assert.True(t, r.OK(), r.Violations)
}

func TestFaultDuringBARMoveWithoutBlockingIsStalePTE(t *testing.T) {
	r := faultDuringBARMove(t, false)
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StalePTE, r.Violations[0].Kind)
}

// flakyDMA is a DMA API whose mappings fail once broken is set.
type flakyDMA struct{ broken bool }

type flakyMapping struct{}

func (flakyMapping) Unmap(*des.Proc) {}

func (d *flakyDMA) MapPage(*des.Proc, *mm.Page) (ttm.DMAMapping, error) {
	if d.broken {
		return nil, ttm.ErrNoMem
	}
	return flakyMapping{}, nil
}

// A fault that must repopulate a TT BO whose DMA mappings were cleared, and cannot map its
// pages, is VM_FAULT_SIGBUS (ttm_bo_vm_fault_reserved since v6.4; VM_FAULT_OOM before): a
// policy that promises apps no SIGBUS is broken by it.
func TestFailedPopulateOnFaultIsSIGBUS(t *testing.T) {
	for _, broken := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		dma := &flakyDMA{}
		g := newGPU(t, sim, ttm.Options{DMA: dma})
		app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
		bo, err := g.tdev.NewBO(nil, "buf", 2, ttm.PlTT)
		require.NoError(t, err)
		var readErr error
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			vma, err := bo.Mmap(p, app, nil)
			require.NoError(t, err)
			assert.Equal(t, 1, g.tdev.ClearDMAMappings(p))
			dma.broken = broken
			readErr = app.Read(p, vma.Start)
		})
		r := sim.Run()
		if !broken {
			require.NoError(t, readErr)
			assert.True(t, r.OK(), r.Violations)
			assert.True(t, bo.Populated())
			continue
		}
		require.Len(t, r.Violations, 1) // the run stops there, before Read returns
		assert.Equal(t, oracle.SIGBUS, r.Violations[0].Kind)
		assert.Equal(t, 1, app.Stats().SIGBUS)
	}
}

// prefaultOverStalePTE: the app maps a 2-page VRAM BO and touches page 1 only; the BAR
// moves at 5us (unmap: with ttm_bo_unmap_virtual first) and the driver learns the new base;
// at 10us the app touches page 0, whose fault prefaults page 1 too, then page 1.
func prefaultOverStalePTE(t *testing.T, unmap bool) des.Result {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	app := mm.NewMM(sim, "app", mm.Options{})
	bo, err := g.tdev.NewBO(nil, "fb", 2, ttm.PlVRAM)
	require.NoError(t, err)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := bo.Mmap(p, app, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Addr(1)))
		require.Equal(t, 1, vma.PresentCount())
		p.Sleep(10 * des.Microsecond)
		require.NoError(t, app.Read(p, vma.Addr(0)))
		assert.Equal(t, 2, vma.PresentCount())
		require.NoError(t, app.Read(p, vma.Addr(1)))
	})
	sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(5 * des.Microsecond)
		if unmap {
			bo.UnmapVirtual(p)
		}
		g.moveBAR(t)
		g.tdev.SetAperBase(newBase)
	})
	return sim.Run()
}

// The prefault of a later fault does not repair a PTE the mover forgot to zap:
// vmf_insert_pfn_prot leaves a present PTE alone, so the app still reads the old BAR.
func TestPrefaultLeavesAStalePTEStale(t *testing.T) {
	r := prefaultOverStalePTE(t, true)
	require.True(t, r.OK(), r.Violations)
	r = prefaultOverStalePTE(t, false)
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StalePTE, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, fmt.Sprintf("phys %#x no longer belongs", oldBase+mm.PageSize))
}

// ttm_bo_vm_dummy_page maps the dummy page over every PTE of the VMA that is not present;
// one already present (here: a racing fault's) stays as it was.
func TestDummyPageLeavesPresentPTEs(t *testing.T) {
	sim := des.MustNew(des.Config{})
	g := newGPU(t, sim, ttm.Options{})
	app := mm.NewMM(sim, "app", mm.Options{})
	bo, err := g.tdev.NewBO(nil, "buf", 3, ttm.PlVRAM)
	require.NoError(t, err)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := bo.Mmap(p, app, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Addr(2)))
		before := vma.Target(vma.Addr(2))
		vmf := &mm.VMFault{VMA: vma, Address: vma.Start, PgOff: vma.PgOff, Flags: mm.FaultFlagDefault}
		assert.Equal(t, mm.VMFaultNoPage, ttm.DummyPage(p, vmf))
		assert.Contains(t, vma.Target(vma.Addr(0)), "dummy_page:app")
		assert.Contains(t, vma.Target(vma.Addr(1)), "dummy_page:app")
		assert.Equal(t, before, vma.Target(vma.Addr(2)))
		app.Exit(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// Seed 004 with a pipelined move in flight at remove: the ghost of a TT -> VRAM move still
// owns the old TT pages. ttm_device_clear_dma_mappings unpopulates the ghost's TT too (its
// resource is on the TT LRU), so the ghost's release after the IOMMU group is gone has
// nothing left to unmap.
func TestClearDMAMappingsIncludesGhostsOfPipelinedMoves(t *testing.T) {
	sim := des.MustNew(des.Config{})
	host, dev, g := pciGPU(t, sim)
	group := iommu.Of(host).Group(dev)
	sim.Spawn("move+remove", des.Task, func(p *des.Proc) {
		bo, err := g.tdev.NewBO(p, "buf", 2, ttm.PlTT)
		require.NoError(t, err)
		require.NoError(t, bo.Resv.Lock(p, nil))
		f := fence.NewContext(sim, "sdma").NewFence(p)
		require.NoError(t, bo.Move(p, ttm.PlVRAM, f))
		bo.Resv.Unlock(p)
		assert.Equal(t, 2, group.Mappings(), "the ghost holds the old TT")
		assert.Equal(t, 1, g.tdev.ClearDMAMappings(p))
		assert.Zero(t, group.Mappings())
		host.Remove(p, dev)
		require.NoError(t, f.Signal(p)) // fini force-completes the copy: the ghost goes
		f.Put(p)
		bo.Put(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Zero(t, g.tdev.VRAMUsedPages())
}
