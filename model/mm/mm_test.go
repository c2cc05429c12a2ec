package mm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
)

// bar is a BAR window whose base can move (the model/mem owned range, reduced).
type bar struct {
	base, size uint64
}

func (b *bar) Owns(phys uint64) bool { return phys >= b.base && phys < b.base+b.size }
func (b *bar) Name() string          { return "bar0" }

// iomemOps maps page i of the mapping at bar.base + i pages, as ttm does for VRAM.
type iomemOps struct {
	bar    *bar
	closed int
}

func (o *iomemOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	return vmf.VMA.InsertPFN(p, vmf.Address, o.bar.base+vmf.PgOff*mm.PageSize, o.bar)
}

func (o *iomemOps) Close(p *des.Proc, vma *mm.VMA) { o.closed++ }

// pageOps maps every page at one system page.
type pageOps struct{ page *mm.Page }

func (o *pageOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	return vmf.VMA.InsertPage(p, vmf.Address, o.page)
}

type resultOps struct{ r mm.FaultResult }

func (o resultOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult { return o.r }

func newBar() *bar { return &bar{base: 0xe000_0000, size: 16 * mm.PageSize} }

func TestFaultFillsPTEThenAccessHitsIt(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b := newBar()
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "glxgears", mm.Options{})
	ops := &iomemOps{bar: b}
	sim.Spawn("glxgears", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mapping, 2, 4, ops, nil)
		require.NoError(t, err)
		require.NoError(t, app.Write(p, vma.Addr(1)))
		assert.True(t, vma.Present(vma.Addr(1)))
		assert.Contains(t, vma.Target(vma.Addr(1)), "pfn 0xe0003")
		require.NoError(t, app.Read(p, vma.Addr(1)))
		app.Exit(p)
		assert.Equal(t, 1, ops.closed)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, mm.Stats{Accesses: 2, Faults: 1}, app.Stats())
}

// The BAR moves; without a zap the PTE still points at the old address.
func TestStalePTEAfterBARMoveWithoutZap(t *testing.T) {
	r := barMove(t, false)
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, oracle.StalePTE, v.Kind)
	assert.Contains(t, v.Msg, "phys 0xe0000000 no longer belongs to bar0")
}

// With unmap_mapping_range before the move, the next access refaults at the new address.
func TestZapBeforeBARMoveRefaultsAtNewAddress(t *testing.T) {
	r := barMove(t, true)
	assert.True(t, r.OK(), r.Violations)
}

func barMove(t *testing.T, zap bool) des.Result {
	sim := des.MustNew(des.Config{})
	b := newBar()
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mapping, 0, 2, &iomemOps{bar: b}, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Start))
		p.Sleep(10 * des.Microsecond)
		require.NoError(t, app.Read(p, vma.Start))
		if zap {
			assert.Contains(t, vma.Target(vma.Start), "pfn 0xc0000")
		}
	})
	sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(5 * des.Microsecond)
		if zap {
			assert.Equal(t, 1, mm.UnmapMappingRange(p, mapping, 0, 0))
		}
		b.base = 0xc000_0000
	})
	return sim.Run()
}

func TestStalePTEToFreedPage(t *testing.T) {
	for _, zap := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		page := mm.AllocPage(sim, nil, "dummy_page")
		ops := &pageOps{page: page}
		mapping := mm.NewMapping(sim, "card0")
		app := mm.NewMM(sim, "app", mm.Options{})
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			vma, err := app.Mmap(p, mapping, 0, 1, ops, nil)
			require.NoError(t, err)
			require.NoError(t, app.Read(p, vma.Start))
			if zap {
				mm.UnmapMappingRange(p, mapping, 0, 0)
				ops.page = mm.AllocPage(sim, p, "dummy_page2")
			}
			page.Free(p)
			require.NoError(t, app.Read(p, vma.Start))
		})
		r := sim.Run()
		if zap {
			assert.True(t, r.OK(), r.Violations)
			continue
		}
		require.Len(t, r.Violations, 1)
		assert.Equal(t, oracle.StalePTE, r.Violations[0].Kind)
		assert.Contains(t, r.Violations[0].Msg, "page dummy_page was freed by app")
	}
}

func TestSIGBUSKillsTheProcessAndClosesItsFiles(t *testing.T) {
	sim := des.MustNew(des.Config{})
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{})
	var order []string
	app.AtExit(func(p *des.Proc) { order = append(order, "drm_release") })
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mapping, 0, 1, resultOps{mm.VMFaultSIGBUS}, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, app.Read(p, vma.Start), mm.ErrSIGBUS)
		assert.True(t, vma.Removed(), "exit_mm ran before exit_files")
		assert.True(t, app.Dead())
		assert.ErrorIs(t, app.Read(p, vma.Start), mm.ErrKilled)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"drm_release"}, order)
	assert.Equal(t, 1, app.Stats().SIGBUS)
}

func TestNoSIGBUSPolicyReportsASIGBUS(t *testing.T) {
	for _, res := range []mm.FaultResult{mm.VMFaultNoPage, mm.VMFaultSIGBUS} {
		sim := des.MustNew(des.Config{})
		b := newBar()
		mapping := mm.NewMapping(sim, "card0")
		app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
		var ops mm.VMOps = &iomemOps{bar: b}
		if res == mm.VMFaultSIGBUS {
			ops = resultOps{res}
		}
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			vma, err := app.Mmap(p, mapping, 0, 1, ops, nil)
			require.NoError(t, err)
			_ = app.Read(p, vma.Start)
		})
		r := sim.Run()
		if res == mm.VMFaultNoPage {
			assert.True(t, r.OK(), r.Violations)
			continue
		}
		require.Len(t, r.Violations, 1)
		assert.Equal(t, oracle.SIGBUS, r.Violations[0].Kind)
		assert.Contains(t, r.Violations[0].Msg, "potentially unexpected fatal signal 7.")
	}
}

// retryOps drops mmap_lock and waits on the first attempt, as ttm_bo_vm_reserve does when
// the resv is contended; the second attempt (FAULT_FLAG_TRIED) maps.
type retryOps struct {
	bar  *bar
	busy *des.Completion
}

func (o *retryOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	if !o.busy.Done() && vmf.AllowRetryFirst() {
		vmf.MmapReadUnlock(p)
		o.busy.Wait(p)
		return mm.VMFaultRetry
	}
	return vmf.VMA.InsertPFN(p, vmf.Address, o.bar.base, o.bar)
}

func TestRetryDropsMmapLockSoOthersCanMmap(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b := newBar()
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{})
	ops := &retryOps{bar: b, busy: des.NewCompletion(sim, "resv")}
	var vma *mm.VMA
	sim.Spawn("thread1", des.Task, func(p *des.Proc) {
		var err error
		vma, err = app.Mmap(p, mapping, 0, 1, ops, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Start))
	})
	sim.Spawn("thread2", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		_, err := app.Mmap(p, mapping, 1, 1, ops, nil) // needs mmap_lock for write
		require.NoError(t, err)
		ops.busy.CompleteAll()
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, app.Stats().Retries)
	assert.True(t, vma.Present(vma.Start))
}

type badRetryOps struct{}

func (badRetryOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult { return mm.VMFaultRetry }

func TestRetryWithMmapLockHeldIsAModelBug(t *testing.T) {
	sim := des.MustNew(des.Config{})
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mm.NewMapping(sim, "m"), 0, 1, badRetryOps{}, nil)
		require.NoError(t, err)
		_ = app.Read(p, vma.Start)
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.Panic, r.Violations[0].Kind)
}

func TestFaultThatNeverMapsIsBounded(t *testing.T) {
	sim := des.MustNew(des.Config{})
	app := mm.NewMM(sim, "app", mm.Options{MaxFaultsPerAccess: 8})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mm.NewMapping(sim, "m"), 0, 1, resultOps{mm.VMFaultNoPage}, nil)
		require.NoError(t, err)
		_ = app.Read(p, vma.Start)
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.Progress, r.Violations[0].Kind)
}

func TestAccessOutsideAnyVMAIsSIGSEGV(t *testing.T) {
	sim := des.MustNew(des.Config{})
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		assert.ErrorIs(t, app.Write(p, 0x1000), mm.ErrSEGV)
	})
	r := sim.Run()
	assert.True(t, r.OK(), r.Violations)
}

// unmap_mapping_range zaps every VMA of the mapping, in every process, that overlaps the
// range, and nothing else.
func TestUnmapMappingRangeZapsOverlappingVMAsOfEveryProcess(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b := newBar()
	mapping := mm.NewMapping(sim, "card0")
	other := mm.NewMapping(sim, "card1")
	a, c := mm.NewMM(sim, "a", mm.Options{}), mm.NewMM(sim, "c", mm.Options{})
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		ops := &iomemOps{bar: b}
		va, _ := a.Mmap(p, mapping, 0, 4, ops, nil) // pages 0-3
		vc, _ := c.Mmap(p, mapping, 4, 4, ops, nil) // pages 4-7
		vo, _ := a.Mmap(p, other, 0, 4, ops, nil)   // another file
		vb, _ := c.Mmap(p, mapping, 2, 2, ops, nil) // pages 2-3 again
		for _, v := range []*mm.VMA{va, vc, vo, vb} {
			for i := 0; i < v.Pages; i++ {
				require.NoError(t, v.MM().Read(p, v.Addr(i)))
			}
		}
		// pages 3..4 (bytes 3*4096 .. 5*4096-1)
		assert.Equal(t, 3, mm.UnmapMappingRange(p, mapping, 3*mm.PageSize, 2*mm.PageSize))
		assert.Equal(t, 3, va.PresentCount())
		assert.False(t, va.Present(va.Addr(3)))
		assert.Equal(t, 3, vc.PresentCount())
		assert.False(t, vc.Present(vc.Addr(0)))
		assert.Equal(t, 1, vb.PresentCount())
		assert.Equal(t, 4, vo.PresentCount())
		assert.Equal(t, 3+3+1, mm.UnmapMappingRange(p, mapping, 0, 0))
		assert.Equal(t, 4, vo.PresentCount())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestMunmapClosesAndUnlinks(t *testing.T) {
	sim := des.MustNew(des.Config{})
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{MaxVMAs: 1})
	ops := &iomemOps{bar: newBar()}
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		v, err := app.Mmap(p, mapping, 0, 1, ops, nil)
		require.NoError(t, err)
		_, err = app.Mmap(p, mapping, 1, 1, ops, nil)
		assert.ErrorIs(t, err, mm.ErrNoMem)
		require.NoError(t, app.Munmap(p, v))
		assert.ErrorIs(t, app.Munmap(p, v), mm.ErrInval)
		assert.Empty(t, mapping.VMAs())
		assert.Equal(t, 1, ops.closed)
		assert.ErrorIs(t, app.Read(p, v.Start), mm.ErrSEGV)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestRegionOwnerFollowsTheBAR(t *testing.T) {
	sim := des.MustNew(des.Config{})
	space := mem.SpaceOf(sim)
	gpu := space.NewOwner("gpu")
	vram := gpu.NewRegion("bar0", 4*mm.PageSize)
	require.NoError(t, vram.Claim(0xe000_0000))
	o := mm.RegionOwner(vram)
	assert.True(t, o.Owns(0xe000_1000))
	assert.False(t, o.Owns(0xe000_4000))
	assert.Equal(t, "gpu:bar0", o.Name())
	vram.Release()
	require.NoError(t, vram.Claim(0xc000_0000))
	assert.False(t, o.Owns(0xe000_1000), "the BAR moved")
	assert.True(t, mm.RegionOwner(vram).Owns(0xc000_1000))
}

// TestInsertLeavesAPresentPTEAlone: a fault handler that prefaults a neighbour whose PTE is
// still present (a BAR move that forgot to zap) does not repair it, as insert_pfn does not:
// the stale PTE is still there for the next access to hit. An absent PTE is filled.
func TestInsertLeavesAPresentPTEAlone(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b := newBar()
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, mapping, 0, 2, &iomemOps{bar: b}, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Start))
		stale := vma.Target(vma.Start)
		b.base = 0xc000_0000 // moved, not zapped
		assert.Equal(t, mm.VMFaultNoPage, vma.InsertPFN(p, vma.Start, b.base, b))
		assert.Equal(t, stale, vma.Target(vma.Start), "a present PTE is not replaced")
		assert.Equal(t, mm.VMFaultNoPage, vma.InsertPage(p, vma.Start, mm.AllocPage(sim, p, "other")))
		assert.Equal(t, stale, vma.Target(vma.Start), "nor by a page")
		assert.Equal(t, mm.VMFaultNoPage, vma.InsertPFN(p, vma.Addr(1), b.base+mm.PageSize, b))
		assert.Contains(t, vma.Target(vma.Addr(1)), "pfn 0xc0001", "an absent PTE is filled")
		require.NoError(t, app.Read(p, vma.Start))
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StalePTE, r.Violations[0].Kind)
}
