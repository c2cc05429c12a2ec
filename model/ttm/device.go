package ttm

import (
	"errors"
	"slices"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
)

// Errors.
var (
	ErrNoSpace = errors.New("-ENOSPC")
	ErrBusy    = errors.New("-EBUSY")
	ErrInval   = errors.New("-EINVAL")
)

// Bounds and defaults.
const (
	MaxBOs = 4096
	// NumPrefault is TTM_BO_VM_NUM_PREFAULT.
	NumPrefault = 16
)

// DMAMapper is what TT population needs of the DMA API: dma_map_page for the device.
// IOMMUMapper adapts model/iommu; nil means none (dma-direct, nothing to tear down).
type DMAMapper interface {
	MapPage(p *des.Proc, page *mm.Page) (DMAMapping, error)
}

// DMAMapping is one mapped page; Unmap is dma_unmap_page. *iommu.Mapping is one.
type DMAMapping interface {
	Unmap(p *des.Proc)
}

// Options configure a Device.
type Options struct {
	// VRAMPages is the VRAM size in pages (0: the BAR size).
	VRAMPages int
	// DMA maps TT pages for the device (nil: no IOMMU).
	DMA DMAMapper
	// SIGBUSAfterUnplug is the v1 policy of the amdgpu hot-unplug v6 thread: a fault after unplug returns
	// VM_FAULT_SIGBUS instead of mapping the dummy page.
	SIGBUSAfterUnplug bool
	// NumPrefault bounds the PTEs one fault fills (0: NumPrefault).
	NumPrefault int
}

// Device is struct ttm_device of one GPU, with the bits of the driver the fault path reads:
// the drm_device, the VRAM BAR and the aperture base the driver believes it has.
type Device struct {
	sim      *des.Sim
	drm      *drm.Device
	vram     *mem.Region
	aperBase uint64
	opts     Options
	vramUsed []span      // allocated VRAM ranges, ordered by start
	bos      []*BO       // live BOs in creation order
	ghosts   []*ghostObj // old resources of pipelined moves, in move order
	nextNode uint64      // drm_vma_offset_manager: next free page offset in the device mapping
	nextID   int
	released *des.WaitQueue // woken when a BO's release finishes
}

// span is an allocated range of VRAM pages.
type span struct{ start, pages int }

// NewDevice makes the TTM device of a GPU whose CPU-visible VRAM is the BAR vram (claimed).
func NewDevice(sim *des.Sim, ddev *drm.Device, vram *mem.Region, opts Options) (*Device, error) {
	if ddev == nil || vram == nil || !vram.Claimed() {
		return nil, ErrInval
	}
	if opts.VRAMPages <= 0 {
		opts.VRAMPages = int(vram.Size() / mm.PageSize)
	}
	if opts.NumPrefault <= 0 {
		opts.NumPrefault = NumPrefault
	}
	d := devices.New(sim)
	d.sim, d.drm, d.vram, d.aperBase, d.opts = sim, ddev, vram, uint64(vram.Base()), opts
	d.nextNode = 0x10_0000 // DRM_FILE_PAGE_OFFSET_START-like, away from 0
	d.released = des.NewWaitQueue(sim, des.Join(sim, "ttm_bo_release:", ddev.Name()))
	return d, nil
}

var (
	devices = des.NewSlabKey[Device]()
	boSnaps = des.NewSlabKey[boSnap]()
)

// boSnap is the storage of one snapshot of a device's BOs.
type boSnap struct{ s []*BO }

// Recycle keeps the storage (des.Recycler).
func (b *boSnap) Recycle() { clear(b.s[:cap(b.s)]); b.s = b.s[:0] }

// Recycle keeps the lists' capacity (des.Recycler).
func (d *Device) Recycle() {
	clear(d.bos[:cap(d.bos)])
	clear(d.ghosts[:cap(d.ghosts)])
	*d = Device{vramUsed: d.vramUsed[:0], bos: d.bos[:0], ghosts: d.ghosts[:0]}
}

// Drm is the drm_device.
func (d *Device) Drm() *drm.Device { return d.drm }

// AperBase is the VRAM aperture base the driver uses to compute PFNs (adev->gmc.aper_base).
func (d *Device) AperBase() uint64 { return d.aperBase }

// SetAperBase records where the VRAM BAR is now (a driver's rescan_done after a BAR move).
func (d *Device) SetAperBase(base uint64) { d.aperBase = base }

// BOs returns the live BOs in creation order.
func (d *Device) BOs() []*BO { return append([]*BO(nil), d.bos...) }

// vramAlloc is a first-fit allocation of pages VRAM pages.
func (d *Device) vramAlloc(pages int) (int, error) {
	at := 0
	for i, s := range d.vramUsed {
		if s.start-at >= pages {
			d.vramUsed = slices.Insert(d.vramUsed, i, span{at, pages})
			return at, nil
		}
		at = s.start + s.pages
	}
	if d.opts.VRAMPages-at < pages {
		return 0, ErrNoSpace
	}
	d.vramUsed = append(d.vramUsed, span{at, pages})
	return at, nil
}

func (d *Device) vramFree(start int) {
	for i, s := range d.vramUsed {
		if s.start == start {
			d.vramUsed = append(d.vramUsed[:i], d.vramUsed[i+1:]...)
			return
		}
	}
	panic("ttm: freeing VRAM that is not allocated")
}

// VRAMUsedPages is how much VRAM is allocated (ghosts of pipelined moves included).
func (d *Device) VRAMUsedPages() int {
	n := 0
	for _, s := range d.vramUsed {
		n += s.pages
	}
	return n
}

func (d *Device) unlinkGhost(g *ghostObj) {
	for i, h := range d.ghosts {
		if h == g {
			d.ghosts = append(d.ghosts[:i], d.ghosts[i+1:]...)
			return
		}
	}
}

func (d *Device) unlinkBO(bo *BO) {
	for i, b := range d.bos {
		if b == bo {
			d.bos = append(d.bos[:i], d.bos[i+1:]...)
			return
		}
	}
}

// ClearDMAMappings is ttm_device_clear_dma_mappings, for the remove path (xe hot-unplug thread): every
// BO's TT is unpopulated — its pages DMA-unmapped and freed — pinned BOs and the ghosts of
// pipelined moves included, and it reports how many it unpopulated. A later CPU fault of a TT BO repopulates it (or,
// unplugged, gets the dummy page).
//
// It is safe against concurrent final puts, as ttm_device_clear_lru_dma_mappings is: it takes
// a reference on each BO while clearing it (ttm_bo_get_unless_zero; its own put may then be
// the final one), and claims the TT before unmapping, so each page is unmapped once. A BO
// whose release is already in flight (no reference to take) is waited for until its release
// has unmapped everything, as the kernel retries the list head until the release takes the
// resource off it: on return no DMA unmap of a BO that existed at the call is still to come.
func (d *Device) ClearDMAMappings(p *des.Proc) int {
	n := 0
	snap := boSnaps.New(d.sim) // this call's, kept for the next run
	snap.s = append(snap.s, d.bos...)
	for _, bo := range snap.s {
		if bo.Freed() {
			continue // released since the snapshot
		}
		if !bo.getUnlessZero(p) {
			d.released.Spin(p, bo.Freed)
			continue
		}
		if tt, dma := bo.claimTT(); tt != nil {
			bo.unpopulateDMA(p, tt, dma) // ttm_tt_unpopulate
			n++
		}
		bo.Put(p)
	}
	return n + d.clearGhostDMAMappings(p)
}

// clearGhostDMAMappings unpopulates the TT a pipelined move out of TT left to its ghost
// (ttm_bo_move_to_ghost keeps the TT on the ghost, whose resource is on the TT LRU): the
// ghost's later release finds nothing left to unmap.
func (d *Device) clearGhostDMAMappings(p *des.Proc) int {
	n := 0
	for _, g := range append([]*ghostObj(nil), d.ghosts...) {
		if tt, dma := g.claimTT(); tt != nil {
			g.bo.unpopulateDMA(p, tt, dma)
			n++
		}
	}
	return n
}
