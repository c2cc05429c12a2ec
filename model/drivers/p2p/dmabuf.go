package p2p

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/fence"
	"hotplugsim/model/mem"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
)

// P2PDistance is pci_p2pdma_distance_many for two devices: the number of hops from each
// device to their nearest common upstream bridge, summed; -1 if the path goes through the
// host bridge (no root complex is whitelisted in the model) or there is none.
func P2PDistance(a, b *pci.Dev) int {
	up := func(d *pci.Dev) []*pci.Bus {
		var path []*pci.Bus
		for bus := d.Bus(); bus != nil && len(path) <= pci.MaxDepth; bus = bus.Self().Bus() {
			path = append(path, bus)
			if bus.Self() == nil {
				break
			}
		}
		return path
	}
	pa, pb := up(a), up(b)
	for i, x := range pa {
		for j, y := range pb {
			if x != y {
				continue
			}
			if x.Self() == nil {
				return -1
			}
			return i + j + 2
		}
	}
	return -1
}

// sgTable is what the exporter's map_dma_buf returns: for a peer-to-peer VRAM mapping, bus
// addresses inside the exporter's VRAM BAR without struct pages; otherwise system pages.
type sgTable struct {
	mem   *fence.Backing
	p2p   bool
	bar   mem.Addr // exporter's VRAM BAR base, for a P2P mapping
	pages int
}

// attachment is the importer's side of a dynamic dma_buf_attachment (its importer_priv):
// the importing GPU and the label of its trace spans.
type attachment struct {
	att      *dmabuf.Attachment
	importer *gpu
	lbl      des.Label
	detached bool
}

// amdgpuDmaBufOps is amdgpu_dmabuf_ops: the exporter's side.
var amdgpuDmaBufOps = &dmabuf.Ops{
	Attach:      dmaBufAttach,
	Pin:         dmaBufPin,
	Unpin:       dmaBufUnpin,
	MapDmaBuf:   dmaBufMap,
	UnmapDmaBuf: func(*des.Proc, *dmabuf.Attachment, dmabuf.SGTable) {}, // nothing to free
	Release:     dmaBufRelease,
}

// amdgpuDmaBufAttachOps is amdgpu_dma_buf_attach_ops: the importer's side.
var amdgpuDmaBufAttachOps = &dmabuf.ImporterOps{AllowPeer2Peer: true, MoveNotify: dmaBufMoveNotify}

// export is drm_gem_prime_export: the dma-buf takes a GEM reference; exporting again returns
// the same dma-buf with one more file reference.
func (b *bo) export(p *des.Proc) *dmabuf.DmaBuf {
	if b.buf == nil {
		b.get()
		d, err := dmabuf.Export(b.g.w.sim, p, dmabuf.ExportInfo{Name: "dmabuf:" + b.name, Ops: amdgpuDmaBufOps,
			Resv: b.tbo.Resv, Priv: b})
		if err != nil {
			panic("p2p: dma_buf_export: " + err.Error())
		}
		b.buf = d
	} else {
		dmabuf.Get(p, b.buf)
	}
	p.Trace(evExport, b.buf.Label(), int64(b.buf.Refs()), 0)
	return b.buf
}

// dmaBufRelease is the dma-buf's release: its GEM reference goes.
func dmaBufRelease(p *des.Proc, d *dmabuf.DmaBuf) {
	b := d.Priv().(*bo)
	b.buf = nil
	b.put(p)
}

// attach is the importer's dma_buf_get and dma_buf_dynamic_attach with peer2peer requested:
// the exporter clears it when the P2P distance between the devices is negative.
func attach(p *des.Proc, d *dmabuf.DmaBuf, importer *gpu) *attachment {
	b := d.Priv().(*bo)
	a := &attachment{importer: importer, lbl: des.L(fmt.Sprintf("attach:%s->%s", b.name, importer.name))}
	spAttach.Begin(p, a.lbl, 0, 0)
	dmabuf.Get(p, d)
	att, err := dmabuf.DynamicAttach(p, d, importer.pdev, amdgpuDmaBufAttachOps, a)
	if err != nil {
		panic("p2p: dma_buf_dynamic_attach: " + err.Error())
	}
	a.att = att
	spAttach.End(p, a.lbl, int64(P2PDistance(b.g.pdev, importer.pdev)), 0)
	return a
}

// dmaBufAttach is amdgpu_dma_buf_attach: peer2peer only if the P2P distance allows it.
func dmaBufAttach(_ *des.Proc, d *dmabuf.DmaBuf, a *dmabuf.Attachment) error {
	if P2PDistance(d.Priv().(*bo).g.pdev, a.Dev().(*pci.Dev)) < 0 {
		a.Peer2Peer = false
	}
	return nil
}

// detach is dma_buf_detach (the mapping goes with it), then the importer's dma_buf_put.
func (a *attachment) detach(p *des.Proc) {
	if a.detached {
		invalid(a.lbl.String(), "detach twice")
	}
	a.detached = true
	d := a.att.Buf()
	dmabuf.Detach(p, a.att)
	dmabuf.Put(p, d)
}

// dmaBufPin is amdgpu_dma_buf_pin (resv held), which dma_buf_attach runs for a static
// importer: pin in VRAM only if every attachment can do peer to peer, else migrate to GTT
// first; the pinned buffer is neither evicted nor migrated until the last unpin.
func dmaBufPin(p *des.Proc, a *dmabuf.Attachment) error {
	b := a.Buf().Priv().(*bo)
	vram := true
	for _, o := range a.Buf().Attachments() {
		vram = vram && o.Peer2Peer
	}
	if b.tbo.Placement() == ttm.PlVRAM && !vram {
		if b.tbo.Pinned() { // amdgpu_bo_pin: a pinned BO cannot move to another domain
			return dmabuf.ErrInval
		}
		b.moveLocked(p, ttm.PlTT).Put(p)
	}
	b.tbo.Pin(p)
	return nil
}

// dmaBufUnpin is amdgpu_dma_buf_unpin (resv held): amdgpu_bo_unpin.
func dmaBufUnpin(p *des.Proc, a *dmabuf.Attachment) {
	a.Buf().Priv().(*bo).tbo.Unpin(p)
}

// dmaBufMap is amdgpu_dma_buf_map (resv held): VRAM stays in VRAM only for a peer2peer
// importer; otherwise the buffer is migrated to GTT first, unless it is pinned (then a
// non-peer2peer importer gets -EINVAL, as amdgpu_dma_buf_map only validates unpinned BOs).
func dmaBufMap(p *des.Proc, a *dmabuf.Attachment) (dmabuf.SGTable, error) {
	b := a.Buf().Priv().(*bo)
	lbl := b.lbl
	if imp, ok := a.ImporterPriv().(*attachment); ok {
		lbl = imp.lbl
	}
	if b.tbo.Placement() == ttm.PlVRAM && !a.Peer2Peer && b.tbo.Pinned() {
		return nil, dmabuf.ErrInval
	}
	if b.tbo.Placement() == ttm.PlVRAM && !a.Peer2Peer {
		spMigrate.Begin(p, lbl, 0, 0)
		b.moveLocked(p, ttm.PlTT).Put(p)
		spMigrate.End(p, lbl, 0, 0)
	}
	sgt := &sgTable{mem: b.mem, pages: b.tbo.Pages}
	if b.tbo.Placement() == ttm.PlVRAM {
		sgt.p2p, sgt.bar = true, b.g.pdev.BAR(0).Start()
	}
	return sgt, nil
}

// dmaBufMoveNotify is amdgpu_dma_buf_move_notify (resv held): the importer drops its
// mapping and maps again before its next use. Jobs already submitted are covered by their
// fences in the resv.
func dmaBufMoveNotify(p *des.Proc, att *dmabuf.Attachment) {
	a := att.ImporterPriv().(*attachment)
	spMoveNotify.Begin(p, a.lbl, 0, 0)
	if att.Mapped() {
		dmabuf.UnmapAttachment(p, att)
	}
	spMoveNotify.End(p, a.lbl, 0, 0)
}

// installExclusive is the policy step: DMA_BUF_IOCTL_IMPORT_SYNC_FILE on b's dma-buf with a
// write fence f that did not wait for the buffer's readers (resv held).
func (b *bo) installExclusive(p *des.Proc, f *fence.Fence, pol Policy) {
	resv := b.buf.Resv()
	if pol.FenceArray {
		// __dma_resv_make_exclusive: the new exclusive fence covers every fence already
		// there, so whoever waits for it waits for the readers too.
		var all []*fence.Fence
		for g := range resv.Fences(p, fence.UsageBookkeep) {
			all = append(all, g)
		}
		f = b.g.w.fenceArray(p, append(all, f))
	}
	if err := resv.ReserveFences(p, 1); err != nil {
		panic("p2p: dma_resv_reserve_fences: " + err.Error())
	}
	resv.AddFence(p, f, fence.UsageWrite) // legacy: dma_resv_add_excl_fence drops the shared fences
	if pol.FenceArray {
		f.Put(p) // the resv holds the array now: __dma_resv_make_exclusive's dma_fence_put
	}
}

// fenceArray is dma_fence_array_create over fences (flattened as dma_fence_unwrap does) with
// signalling enabled at once: a fence of its own context that signals when every component
// has signalled. The array holds a reference on every component and drops them at its
// release; each pending component callback holds a reference on the array. The last
// component's callback (dma_fence_array_cb_func) does not signal the array itself: it queues
// an irq_work, and irq_dma_fence_array_work signals the array and drops that callback's
// reference, in hard-irq context, a moment later.
func (w *World) fenceArray(p *des.Proc, fences []*fence.Fence) *fence.Fence {
	var flat []*fence.Fence
	for _, f := range fences {
		if parts, ok := w.arrays[f]; ok {
			flat = append(flat, parts...)
		} else {
			flat = append(flat, f)
		}
	}
	for _, f := range flat {
		f.Get(p) // dma_fence_unwrap_merge passes the array a reference on each component
	}
	arr := fence.NewContext(w.sim, "dma_fence_array").NewFence(p)
	w.arrays[arr] = flat
	arr.SetRelease(func(q *des.Proc, a *fence.Fence) { // dma_fence_array_release
		for _, f := range w.arrays[a] {
			f.Put(q)
		}
		delete(w.arrays, a)
	})
	pending := len(flat)
	work := func(q *des.Proc) { // irq_dma_fence_array_work
		_ = arr.Signal(q)
		arr.Put(q)
	}
	for _, f := range flat { // dma_fence_array_enable_signaling
		arr.Get(p)
		_, err := f.AddCallback(p, func(q *des.Proc, _ *fence.Fence) { // dma_fence_array_cb_func
			pending--
			if pending == 0 {
				w.sim.Spawn("irq_work/dma_fence_array", des.IRQ, work) // irq_work_queue
				return
			}
			arr.Put(q)
		})
		if err != nil { // already signalled
			arr.Put(p)
			pending--
		}
	}
	if pending == 0 { // enable_signaling returned false: the core signals the array
		_ = arr.Signal(p)
	}
	return arr
}

func lock(p *des.Proc, r *fence.Resv) {
	if err := r.Lock(p, nil); err != nil {
		panic("p2p: dma_resv_lock: " + err.Error())
	}
}
