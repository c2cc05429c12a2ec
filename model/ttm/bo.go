package ttm

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/kasan"
	"hotplugsim/model/mm"
)

// Placement is where a BO's memory is (TTM_PL_*).
type Placement uint8

// Placements.
const (
	PlSystem Placement = iota // TTM_PL_SYSTEM: system pages, not GPU-mapped
	PlTT                      // TTM_PL_TT (GTT): system pages DMA-mapped for the GPU
	PlVRAM                    // TTM_PL_VRAM: device memory, CPU-visible through the BAR
)

func (pl Placement) String() string {
	return [...]string{"SYSTEM", "TT", "VRAM"}[pl]
}

// BO is struct ttm_buffer_object with its GEM base: a size, a dma_resv, a resource (the
// placement and where in it), a refcount and a KASAN lifetime.
type BO struct {
	kasan.Obj
	dev   *Device
	Pages int
	Resv  *fence.Resv
	place Placement
	vram  int          // first VRAM page, while in VRAM
	tt    []*mm.Page   // populated pages (TT/SYSTEM), nil until populated
	dma   []DMAMapping // their DMA mappings (TT with a DMAMapper)
	pin   int
	ref   int
	node  uint64 // drm_vma_node start: page offset in the device mapping
	name  string // "bo:<name>", label's text
	label des.Label
}

var (
	bos     = des.NewSlabKey[BO]()
	ttBufs  = des.NewSlabKey[ttBuf]()
	dmaBufs = des.NewSlabKey[dmaBuf]()
)

// ttBuf and dmaBuf are the backing arrays of one population's page and mapping lists; a sweep
// worker's next run reuses them, one per population as before.
type (
	ttBuf  struct{ s []*mm.Page }
	dmaBuf struct{ s []DMAMapping }
)

// Recycle keeps the capacity (des.Recycler).
func (b *ttBuf) Recycle() { clear(b.s[:cap(b.s)]); b.s = b.s[:0] }

// Recycle keeps the capacity (des.Recycler).
func (b *dmaBuf) Recycle() { clear(b.s[:cap(b.s)]); b.s = b.s[:0] }

var (
	evMove    = des.L("ttm_bo_move")
	evPin     = des.L("ttm_bo_pin")
	evUnmapVM = des.L("ttm_bo_unmap_virtual")
	evBOPut   = des.L("ttm_bo_put")
)

// NewBO is ttm_bo_init_validate: a BO of pages pages placed in place, with one reference.
func (d *Device) NewBO(p *des.Proc, name string, pages int, place Placement) (*BO, error) {
	if pages <= 0 || place > PlVRAM {
		return nil, ErrInval
	}
	if len(d.bos) >= MaxBOs {
		return nil, ErrNoSpace
	}
	d.nextID++
	full := des.Join(d.sim, "bo:", name)
	bo := bos.New(d.sim)
	bo.dev, bo.Pages, bo.ref, bo.node, bo.name, bo.label = d, pages, 1, d.nextNode, full, des.L(full)
	bo.Resv = fence.NewResv(d.sim, des.Join(d.sim, "resv:", name))
	if err := bo.place0(p, place); err != nil {
		return nil, err
	}
	bo.Alloc(d.sim, p, full)
	d.nextNode += uint64(pages)
	d.bos = append(d.bos, bo)
	return bo, nil
}

// place0 gives the BO a fresh resource in place.
func (bo *BO) place0(p *des.Proc, place Placement) error {
	bo.place = place
	if place == PlVRAM {
		start, err := bo.dev.vramAlloc(bo.Pages)
		bo.vram = start
		return err
	}
	return bo.populate(p)
}

// Placement is the BO's current placement.
func (bo *BO) Placement() Placement { return bo.place }

// Pinned reports whether the BO is pinned.
func (bo *BO) Pinned() bool { return bo.pin > 0 }

// Populated reports whether the BO has its TT pages.
func (bo *BO) Populated() bool { return bo.tt != nil }

// Offset is drm_vma_node_offset_addr: the mmap offset of the BO in the device's file.
func (bo *BO) Offset() uint64 { return bo.node << mm.PageShift }

// Get is ttm_bo_get. p may be nil in set-up code.
func (bo *BO) Get(p *des.Proc) {
	if bo.Access(p, boGet) {
		bo.ref++
	}
}

// Put is ttm_bo_put: the final put unmaps the BO from user space, releases its resource,
// drops the references its dma_resv holds (dma_resv_fini) and frees it. The release claims
// the TT (bo->ttm) before unmapping its pages, so a concurrent ttm_device_clear_dma_mappings
// finds nothing left to unmap.
func (bo *BO) Put(p *des.Proc) {
	if !bo.Access(p, boPut) {
		return
	}
	p.Point(evBOPut, bo.label, int64(bo.ref), 0)
	bo.ref--
	if bo.ref > 0 {
		return
	}
	bo.UnmapVirtual(p)
	tt, dma := bo.claimTT()
	bo.releaseResource(p, bo.place, bo.vram, tt, dma)
	bo.dev.unlinkBO(bo)
	bo.Resv.Fini(p) // drm_gem_object_release -> dma_resv_fini: the resv's fence references go
	bo.FreeIn(p, boFreeChain...)
	bo.dev.released.WakeAll()
}

// The BO's reference count accesses (kref on a 4-byte refcount_t) and its free's call chain,
// as KASAN prints them.
var (
	boGet       = kasan.Access{Func: "ttm_bo_get", Size: 4, Write: true}
	boPut       = kasan.Access{Func: "ttm_bo_put", Size: 4, Write: true}
	boFreeChain = []string{"ttm_bo_release", "ttm_bo_put"}
)

// getUnlessZero is ttm_bo_get_unless_zero: a reference, unless the final put already
// dropped the last one (the release is in flight).
func (bo *BO) getUnlessZero(p *des.Proc) bool {
	if bo.ref == 0 || !bo.Use(p, "ttm_bo_get_unless_zero") {
		return false
	}
	bo.ref++
	return true
}

// claimTT takes the populated pages and their DMA mappings off the BO, for the caller to
// unpopulate: whoever claims them unmaps them, once, and the BO reads as unpopulated while
// the unmapping yields.
func (bo *BO) claimTT() ([]*mm.Page, []DMAMapping) {
	tt, dma := bo.tt, bo.dma
	bo.tt, bo.dma = nil, nil
	return tt, dma
}

// assertHeld is dma_resv_assert_held.
func (bo *BO) assertHeld(p *des.Proc, what string) {
	if bo.Resv.Holder() != p {
		panic(fmt.Sprintf("ttm: %s of %s without its dma_resv held", what, bo.Name()))
	}
}

// Pin is ttm_bo_pin (resv held): the BO may not move or be evicted.
func (bo *BO) Pin(p *des.Proc) {
	bo.assertHeld(p, "ttm_bo_pin")
	bo.Use(p, "ttm_bo_pin")
	p.Point(evPin, bo.label, 1, 0)
	bo.pin++
}

// Unpin is ttm_bo_unpin (resv held).
func (bo *BO) Unpin(p *des.Proc) {
	bo.assertHeld(p, "ttm_bo_unpin")
	bo.Use(p, "ttm_bo_unpin")
	p.Point(evPin, bo.label, 0, 0)
	if bo.pin == 0 {
		panic("ttm: unpin of an unpinned BO")
	}
	bo.pin--
}

// UnmapVirtual is ttm_bo_unmap_virtual: zap every CPU mapping of the BO in every process.
func (bo *BO) UnmapVirtual(p *des.Proc) int {
	p.Trace(evUnmapVM, bo.label, int64(bo.node), int64(bo.Pages))
	return mm.UnmapMappingPages(p, bo.dev.drm.Mapping(), bo.node, uint64(bo.Pages))
}

// Move is ttm_bo_validate -> ttm_bo_handle_move_mem to placement to (resv held): zap the
// CPU mappings, take the new resource, and hand the old one to a ghost freed when
// moveFence (the copy; nil: a synchronous move) signals. moveFence is added to the resv
// as a KERNEL fence, which CPU faults wait for. A pinned BO cannot move (-EBUSY).
func (bo *BO) Move(p *des.Proc, to Placement, moveFence *fence.Fence) error {
	bo.assertHeld(p, "ttm_bo_move")
	if !bo.Use(p, "ttm_bo_move") {
		return ErrInval
	}
	if bo.pin > 0 {
		return ErrBusy
	}
	if to == bo.place || to > PlVRAM {
		return nil
	}
	p.Point(evMove, bo.label, int64(bo.place), int64(to))
	oldPlace, oldVRAM, oldTT, oldDMA := bo.place, bo.vram, bo.tt, bo.dma
	bo.tt, bo.dma = nil, nil
	if err := bo.place0(p, to); err != nil {
		bo.place, bo.vram, bo.tt, bo.dma = oldPlace, oldVRAM, oldTT, oldDMA
		return err
	}
	bo.UnmapVirtual(p)
	bo.ghost(p, moveFence, oldPlace, oldVRAM, oldTT, oldDMA)
	return nil
}

// ghostObj is the ghost BO of ttm_bo_move_to_ghost: it owns the old resource (and, moving
// out of TT, the old TT) until the move fence signals. Its resource stays on its manager's
// LRU, so ttm_device_clear_dma_mappings unpopulates its TT as any BO's.
type ghostObj struct {
	bo    *BO
	place Placement
	vram  int
	tt    []*mm.Page
	dma   []DMAMapping
}

// ghost is ttm_bo_move_accel_cleanup: the old resource lives until the move fence signals.
func (bo *BO) ghost(p *des.Proc, f *fence.Fence, place Placement, vram int, tt []*mm.Page, dma []DMAMapping) {
	if f == nil {
		bo.releaseResource(p, place, vram, tt, dma)
		return
	}
	if err := bo.Resv.ReserveFences(p, 1); err != nil {
		panic("ttm: dma_resv_reserve_fences: " + err.Error())
	}
	bo.Resv.AddFence(p, f, fence.UsageKernel)
	g := &ghostObj{bo: bo, place: place, vram: vram, tt: tt, dma: dma}
	bo.dev.ghosts = append(bo.dev.ghosts, g)
	_, err := f.AddCallback(p, func(q *des.Proc, _ *fence.Fence) { g.release(q) })
	if err != nil { // already signalled
		g.release(p)
	}
}

// release is the ghost's delayed delete once the move fence signalled.
func (g *ghostObj) release(p *des.Proc) {
	g.bo.dev.unlinkGhost(g)
	tt, dma := g.claimTT()
	g.bo.releaseResource(p, g.place, g.vram, tt, dma)
}

// claimTT is BO.claimTT for the ghost's TT.
func (g *ghostObj) claimTT() ([]*mm.Page, []DMAMapping) {
	tt, dma := g.tt, g.dma
	g.tt, g.dma = nil, nil
	return tt, dma
}

// Evict is ttm_bo_evict as amdgpu's evict_flags place it: VRAM goes to TT (resv held).
func (bo *BO) Evict(p *des.Proc, moveFence *fence.Fence) error {
	if bo.place != PlVRAM {
		return nil
	}
	return bo.Move(p, PlTT, moveFence)
}

// releaseResource frees a resource: VRAM pages back to the manager, TT pages unpopulated.
func (bo *BO) releaseResource(p *des.Proc, place Placement, vram int, tt []*mm.Page, dma []DMAMapping) {
	if place == PlVRAM {
		bo.dev.vramFree(vram)
		return
	}
	bo.unpopulateDMA(p, tt, dma)
}

// populate is ttm_tt_populate: allocate the pages and, for TT, DMA-map them.
func (bo *BO) populate(p *des.Proc) error {
	if bo.tt != nil {
		return nil
	}
	sim := bo.dev.sim
	tb := ttBufs.New(sim)
	if cap(tb.s) < bo.Pages {
		tb.s = make([]*mm.Page, bo.Pages)
	}
	tt := tb.s[:bo.Pages]
	page := des.Join(sim, bo.name, ".page")
	for i := range tt {
		tt[i] = mm.AllocPage(sim, p, des.JoinN(sim, page, uint64(i)))
	}
	var dma []DMAMapping
	if bo.place == PlTT && bo.dev.opts.DMA != nil {
		db := dmaBufs.New(sim)
		dma = db.s
		for _, pg := range tt {
			a, err := bo.dev.opts.DMA.MapPage(p, pg)
			if err != nil {
				db.s = dma[:0]
				bo.unpopulateDMA(p, tt, dma)
				return err
			}
			dma = append(dma, a)
		}
		db.s = dma[:0] // keep what the appends grew for the next run
	}
	bo.tt, bo.dma = tt, dma
	return nil
}

// unpopulateDMA is ttm_tt_unpopulate: DMA-unmap, then free the pages.
func (bo *BO) unpopulateDMA(p *des.Proc, tt []*mm.Page, dma []DMAMapping) {
	for _, m := range dma {
		m.Unmap(p)
	}
	for _, pg := range tt {
		pg.Free(p)
	}
}
