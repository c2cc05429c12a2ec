package xe

import (
	"fmt"
	"slices"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/iommu"
	"hotplugsim/model/mm"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
)

// Export is a dma-buf exported from a BO (drm_gem_prime_export with xe_dmabuf_ops). It holds
// a reference on the BO and on the exporter's drm_device; importers' jobs read its memory
// (Backing), and their fences go into the BO's dma_resv (the dma-buf's resv).
type Export struct {
	x       *Device
	c       *Client
	tbo     *ttm.BO
	backing *fence.Backing // the memory importers read; replaced when the BO moves
	buf     *dmabuf.DmaBuf // file references: the exporter's fd plus one per importer
	label   des.Label
}

// Attachment is a dynamic dma-buf attachment of an importing device (xe_gem_prime_import):
// mapped lazily, under the resv, through the importer's IOMMU group (xe_dma_buf_map maps for
// attach->dev); move_notify only marks the mapping stale, the next use unmaps and maps again
// (xe_bo_move_dmabuf), and the BO's destruction unmaps it (xe_ttm_bo_delete_mem_notify).
type Attachment struct {
	exp   *Export
	imp   *Device // the importer
	c     *Client
	att   *dmabuf.Attachment // its mapping is an *iommu.Mapping
	stale bool               // move_notify invalidated the mapping it still holds
	dead  bool               // the importer was removed (ClearMappings): never mapped again
}

var (
	evExport   = des.L("dma_buf_export")
	evImport   = des.L("dma_buf_dynamic_attach")
	evMapAtt   = des.L("dma_buf_map_attachment")
	evDetach   = des.L("dma_buf_detach")
	evDmaBufRl = des.L("dma_buf_release")
)

// xeDmaBufOps is xe_dmabuf_ops, the exporter's side.
var xeDmaBufOps = &dmabuf.Ops{Pin: xeDmaBufPin, Unpin: xeDmaBufUnpin, MapDmaBuf: xeDmaBufMap,
	UnmapDmaBuf: xeDmaBufUnmap, Release: xeDmaBufRelease}

// xeDmaBufAttachOps is xe_dma_buf_attach_ops, the importer's side.
var xeDmaBufAttachOps = &dmabuf.ImporterOps{MoveNotify: xeDmaBufMoveNotify}

// Exporter is the device that exported the dma-buf.
func (e *Export) Exporter() *Device { return e.x }

// BO is the exported buffer object.
func (e *Export) BO() *ttm.BO { return e.tbo }

// Mapped reports whether the attachment holds a DMA mapping now.
func (a *Attachment) Mapped() bool { return a.att.Mapped() }

// Export is DRM_IOCTL_PRIME_HANDLE_TO_FD: export b as a dma-buf.
func (c *Client) Export(p *des.Proc, b *BO) (*Export, error) {
	a := &exportArgs{bo: b}
	err := c.ioctl(p, IoctlPrimeExport, a)
	return a.out, err
}

type exportArgs struct {
	bo  *BO
	out *Export
}

func (x *Device) ioctlPrimeExport(p *des.Proc, f *drm.File, arg any) error {
	c, a := f.Private.(*Client), arg.(*exportArgs)
	if len(x.exports) >= MaxExports {
		return drm.ErrInval
	}
	name := "dmabuf:" + a.bo.label.String()
	e := &Export{x: x, c: c, tbo: a.bo.tbo, label: des.L(name)}
	buf, err := dmabuf.Export(p.Sim(), p, dmabuf.ExportInfo{Name: name, Ops: xeDmaBufOps, Resv: e.tbo.Resv, Priv: e})
	if err != nil {
		return err
	}
	e.buf = buf
	e.tbo.Get(p)
	x.ddev.DevGet(p)
	e.backing = fence.NewBacking(p.Sim(), p, name+"/"+e.tbo.Placement().String())
	p.Trace(evExport, e.label, int64(e.tbo.Placement()), 0)
	x.exports = append(x.exports, e)
	c.exports = append(c.exports, e)
	a.out = e
	return nil
}

// Import is DRM_IOCTL_PRIME_FD_TO_HANDLE on the importing client: a dynamic attachment with
// move_notify, not mapped yet.
func (c *Client) Import(p *des.Proc, e *Export) (*Attachment, error) {
	a := &importArgs{exp: e}
	err := c.ioctl(p, IoctlPrimeImport, a)
	return a.out, err
}

type importArgs struct {
	exp *Export
	out *Attachment
}

// ioctlPrimeImport is xe_gem_prime_import: dma_buf_get, then dma_buf_dynamic_attach for the
// importer's PCI device (under the resv).
func (x *Device) ioctlPrimeImport(p *des.Proc, f *drm.File, arg any) error {
	c, a := f.Private.(*Client), arg.(*importArgs)
	e := a.exp
	if e.buf.Refs() == 0 { // the fd is gone: dma_buf_get fails
		return drm.ErrInval
	}
	att := &Attachment{exp: e, imp: x, c: c}
	dmabuf.Get(p, e.buf)
	da, err := dmabuf.DynamicAttach(p, e.buf, x.pdev, xeDmaBufAttachOps, att)
	if err != nil {
		dmabuf.Put(p, e.buf)
		return err
	}
	att.att = da
	x.imports = append(x.imports, att)
	c.imports = append(c.imports, att)
	p.Trace(evImport, e.label, int64(x.gen), 0)
	a.out = att
	return nil
}

// exec runs a job on the importer x that reads the dma-buf (inside x's drm_dev_enter): lock
// the resv, map the attachment if move_notify unmapped it, submit, publish the job's fence in
// the resv (BOOKKEEP) and register the read on the memory.
func (a *Attachment) exec(p *des.Proc, x *Device) (*fence.Fence, error) {
	e := a.exp
	lockResv(p, e.tbo)
	defer e.tbo.Resv.Unlock(p)
	if a.dead || a.imp != x {
		return nil, drm.ErrNoDev
	}
	if a.stale && a.att.Mapped() { // xe_bo_move_dmabuf: drop the old sg before mapping
		dmabuf.UnmapAttachment(p, a.att)
	}
	a.stale = false
	if _, err := dmabuf.MapAttachment(p, a.att); err != nil {
		return nil, err
	}
	f := x.submit(p)
	if err := e.tbo.Resv.ReserveFences(p, 1); err != nil {
		panic("xe: dma_resv_reserve_fences: " + err.Error())
	}
	e.tbo.Resv.AddFence(p, f, fence.UsageBookkeep)
	e.backing.Access(p, f, false)
	return f, nil
}

// DmaBuf is the exported dma-buf (for a static importer's dma_buf_attach).
func (e *Export) DmaBuf() *dmabuf.DmaBuf { return e.buf }

// xeDmaBufPin is xe_dma_buf_pin (resv held), which dma_buf_attach runs for a static
// importer: pinning is only supported in TT, so a BO pinned elsewhere is -EINVAL; otherwise
// xe_bo_migrate to TT (move_notify to the importers, wait for idle, move) and
// xe_bo_pin_external.
func xeDmaBufPin(p *des.Proc, da *dmabuf.Attachment) error {
	e := da.Buf().Priv().(*Export)
	if e.tbo.Placement() != ttm.PlTT {
		if e.tbo.Pinned() {
			return drm.ErrInval
		}
		dmabuf.MoveNotify(p, e.buf)
		e.tbo.Resv.Wait(p, fence.UsageBookkeep)
		if err := e.tbo.Move(p, ttm.PlTT, nil); err != nil {
			return err
		}
		old := e.backing
		e.backing = fence.NewBacking(p.Sim(), p, fmt.Sprintf("%s/%s", e.label, ttm.PlTT))
		old.Free(p)
	}
	e.tbo.Pin(p)
	return nil
}

// xeDmaBufUnpin is xe_dma_buf_unpin (resv held): xe_bo_unpin_external.
func xeDmaBufUnpin(p *des.Proc, da *dmabuf.Attachment) {
	da.Buf().Priv().(*Export).tbo.Unpin(p)
}

// xeDmaBufMap is xe_dma_buf_map (resv held): DMA-map the BO for the importing device through
// its IOMMU group.
func xeDmaBufMap(p *des.Proc, da *dmabuf.Attachment) (dmabuf.SGTable, error) {
	e, pdev := da.Buf().Priv().(*Export), da.Dev().(*pci.Dev)
	gen, who := int64(0), pdev.Name()
	if a, ok := da.ImporterPriv().(*Attachment); ok { // an xe importer
		gen, who = int64(a.imp.gen), a.imp.label.String()
	}
	p.Trace(evMapAtt, e.label, gen, 0)
	m := iommu.DMAMap(p, pdev, uint64(e.tbo.Pages)*mm.PageSize, e.label.String()+"@"+who)
	if m == nil {
		return nil, drm.ErrNoDev
	}
	return m, nil
}

// xeDmaBufUnmap is xe_dma_buf_unmap (resv held).
func xeDmaBufUnmap(p *des.Proc, _ *dmabuf.Attachment, sgt dmabuf.SGTable) {
	sgt.(*iommu.Mapping).Unmap(p)
}

// xeDmaBufMoveNotify is xe_dma_buf_move_notify (resv held): it evicts the importer's BO,
// and xe_bo_move_dmabuf defers the unmap "to the next map_attachment time, or to bo destroy":
// the mapping stays, marked stale.
func xeDmaBufMoveNotify(_ *des.Proc, da *dmabuf.Attachment) {
	if da.Mapped() {
		da.ImporterPriv().(*Attachment).stale = true
	}
}

// invalidate unmaps the attachment under the resv; dead also forbids mapping it again (the
// importer is being removed).
func (a *Attachment) invalidate(p *des.Proc, dead bool) {
	if !slices.Contains(a.imp.imports, a) { // detached since the snapshot
		return
	}
	buf := a.exp.buf
	dmabuf.Get(p, buf) // hold the dma-buf while unmapping
	defer dmabuf.Put(p, buf)
	lockResv(p, a.exp.tbo)
	p.Trace(evImportClear, a.exp.label, int64(a.imp.gen), 0)
	if a.att.Mapped() {
		dmabuf.UnmapAttachment(p, a.att)
	}
	a.stale = false
	if dead {
		a.dead = true
	}
	a.exp.tbo.Resv.Unlock(p)
}

// detach is the importer dropping its GEM object: dma_buf_detach (which unmaps a mapping
// still held, under the resv), then its dma-buf reference goes.
func (a *Attachment) detach(p *des.Proc) {
	e := a.exp
	p.Trace(evDetach, e.label, int64(a.imp.gen), 0)
	dmabuf.Detach(p, a.att)
	a.imp.imports = slices.DeleteFunc(a.imp.imports, func(b *Attachment) bool { return b == a })
	a.c.imports = slices.DeleteFunc(a.c.imports, func(b *Attachment) bool { return b == a })
	dmabuf.Put(p, e.buf)
}

// xeDmaBufRelease is the last dma-buf reference going (dma_buf_release -> the GEM object
// put): the BO is destroyed once idle (ttm's delayed destroy), then the exporter's drm_device
// reference goes, which may be the final drm_dev_put.
func xeDmaBufRelease(p *des.Proc, buf *dmabuf.DmaBuf) {
	e := buf.Priv().(*Export)
	p.Trace(evDmaBufRl, e.label, 0, 0)
	e.x.exports = slices.DeleteFunc(e.x.exports, func(f *Export) bool { return f == e })
	e.c.exports = slices.DeleteFunc(e.c.exports, func(f *Export) bool { return f == e })
	e.tbo.Resv.Wait(p, fence.UsageBookkeep)
	e.backing.Free(p)
	e.x.putBO(p, e.tbo)
	e.x.ddev.DevPut(p)
}

// evictExported is the exported-VRAM part of xe_bo_pci_dev_remove_all: under the resv,
// move_notify every importer (they unmap their attachment and map again on next use), wait
// for idle, and move the BO to system memory, freeing its VRAM.
func (x *Device) evictExported(p *des.Proc) {
	for _, e := range append([]*Export(nil), x.exports...) {
		if e.buf.Refs() == 0 { // released since the snapshot
			continue
		}
		dmabuf.Get(p, e.buf) // hold the dma-buf (and BO) while evicting it, as ttm_bo_get_unless_zero
		lockResv(p, e.tbo)
		p.Trace(evMoveNotify, e.label, int64(len(e.buf.Attachments())), 0)
		dmabuf.MoveNotify(p, e.buf)
		if x.drv.opts.WaitIdle {
			e.tbo.Resv.Wait(p, fence.UsageBookkeep)
		}
		if e.tbo.Placement() == ttm.PlVRAM && !e.tbo.Pinned() {
			p.Trace(evEvict, e.label, int64(len(e.backing.Busy())), 0)
			if err := e.tbo.Move(p, ttm.PlSystem, nil); err == nil {
				old := e.backing
				e.backing = fence.NewBacking(p.Sim(), p, fmt.Sprintf("%s/%s", e.label, ttm.PlSystem))
				old.Free(p)
			}
		}
		e.tbo.Resv.Unlock(p)
		dmabuf.Put(p, e.buf)
	}
}
