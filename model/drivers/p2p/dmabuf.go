package p2p

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/mem"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
)

// Policies.
const (
	ReplaceExclusive = "replace-exclusive"
	FenceArray       = "fence-array"
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

// dmaBuf is struct dma_buf exporting a bo: its resv is the bo's, and it holds a GEM
// reference until its last file reference (the exporter's fd, each importer) is gone.
type dmaBuf struct {
	bo   *bo
	atts []*attachment
	refs int
	lbl  des.Label
}

// sgTable is what dma_buf_map_attachment returns: for a peer-to-peer VRAM mapping, bus
// addresses inside the exporter's VRAM BAR without struct pages; otherwise system pages.
type sgTable struct {
	mem   *fence.Backing
	p2p   bool
	bar   mem.Addr // exporter's VRAM BAR base, for a P2P mapping
	pages int
}

// attachment is a dynamic dma_buf_attachment of an importer GPU.
type attachment struct {
	buf      *dmaBuf
	importer *gpu
	p2p      bool // attach->peer2peer after the exporter's distance check
	sgt      *sgTable
	lbl      des.Label
}

// export is drm_gem_prime_export: the dma-buf takes a GEM reference.
func (b *bo) export(p *des.Proc) *dmaBuf {
	if b.buf == nil {
		b.get()
		b.buf = &dmaBuf{bo: b, lbl: des.L("dmabuf:" + b.name)}
	}
	b.buf.refs++
	p.Trace(evExport, b.buf.lbl, int64(b.buf.refs), 0)
	return b.buf
}

// put drops a file reference; the last one releases the dma-buf's GEM reference.
func (d *dmaBuf) put(p *des.Proc) {
	d.refs--
	if d.refs > 0 {
		return
	}
	d.bo.buf = nil
	d.bo.put(p)
}

// attach is dma_buf_dynamic_attach with peer2peer requested: the exporter clears it when
// the P2P distance between the devices is negative.
func (d *dmaBuf) attach(p *des.Proc, importer *gpu) *attachment {
	a := &attachment{buf: d, importer: importer, lbl: des.L(fmt.Sprintf("attach:%s->%s", d.bo.name, importer.name))}
	p.Trace(evAttachBegin, a.lbl, 0, 0)
	dist := P2PDistance(d.bo.g.pdev, importer.pdev)
	a.p2p = dist >= 0
	d.refs++
	resv := d.bo.tbo.Resv
	lock(p, resv)
	d.atts = append(d.atts, a)
	resv.Unlock(p)
	p.Trace(evAttachEnd, a.lbl, int64(dist), 0)
	return a
}

// detach is dma_buf_detach: unmap, forget the attachment, drop the file reference.
func (a *attachment) detach(p *des.Proc) {
	d := a.buf
	resv := d.bo.tbo.Resv
	lock(p, resv)
	a.sgt = nil
	for i, x := range d.atts {
		if x == a {
			d.atts = append(d.atts[:i], d.atts[i+1:]...)
			break
		}
	}
	resv.Unlock(p)
	d.put(p)
}

// mapLocked is dma_buf_map_attachment -> amdgpu_dma_buf_map (resv held): VRAM stays in
// VRAM only for a peer2peer importer; otherwise the buffer is migrated to GTT first.
func (a *attachment) mapLocked(p *des.Proc) {
	b := a.buf.bo
	if b.tbo.Placement() == ttm.PlVRAM && !a.p2p {
		p.Trace(evMigrateBegin, a.lbl, 0, 0)
		b.moveLocked(p, ttm.PlTT)
		p.Trace(evMigrateEnd, a.lbl, 0, 0)
	}
	a.sgt = &sgTable{mem: b.mem, pages: b.tbo.Pages}
	if b.tbo.Placement() == ttm.PlVRAM {
		a.sgt.p2p, a.sgt.bar = true, b.g.pdev.BAR(0).Start()
	}
}

// moveNotify is dma_buf_move_notify (resv held): every importer drops its mapping and maps
// again before its next use. Jobs already submitted are covered by their fences in the resv.
func (d *dmaBuf) moveNotify(p *des.Proc) {
	for _, a := range d.atts {
		p.Trace(evMoveNotifyBegin, a.lbl, 0, 0)
		a.sgt = nil // amdgpu_dma_buf_move_notify: invalidate the importer's mapping
		p.Trace(evMoveNotifyEnd, a.lbl, 0, 0)
	}
}

// installExclusive is the policy step: DMA_BUF_IOCTL_IMPORT_SYNC_FILE with a write fence f
// that did not wait for the buffer's readers (resv held).
func (d *dmaBuf) installExclusive(p *des.Proc, f *fence.Fence, policy string) {
	resv := d.bo.tbo.Resv
	if policy == FenceArray {
		// __dma_resv_make_exclusive: the new exclusive fence covers every fence already
		// there, so whoever waits for it waits for the readers too.
		var all []*fence.Fence
		for g := range resv.Fences(p, fence.UsageBookkeep) {
			all = append(all, g)
		}
		f = d.bo.g.w.fenceArray(p, append(all, f))
	}
	if err := resv.ReserveFences(p, 1); err != nil {
		panic("p2p: dma_resv_reserve_fences: " + err.Error())
	}
	resv.AddFence(p, f, fence.UsageWrite) // legacy: dma_resv_add_excl_fence drops the shared fences
}

// fenceArray is dma_fence_array_create over fences (flattened as dma_fence_unwrap does):
// a fence of its own context that signals when every component has signalled.
func (w *World) fenceArray(p *des.Proc, fences []*fence.Fence) *fence.Fence {
	var flat []*fence.Fence
	for _, f := range fences {
		if parts, ok := w.arrays[f]; ok {
			flat = append(flat, parts...)
		} else {
			flat = append(flat, f)
		}
	}
	arr := fence.NewContext(w.sim, "dma_fence_array").NewFence(p)
	w.arrays[arr] = flat
	pending := len(flat)
	for _, f := range flat {
		_, err := f.AddCallback(p, func(q *des.Proc, _ *fence.Fence) {
			pending--
			if pending == 0 {
				_ = arr.Signal(q)
			}
		})
		if err != nil {
			pending--
		}
	}
	if pending == 0 {
		_ = arr.Signal(p)
	}
	return arr
}

func lock(p *des.Proc, r *fence.Resv) {
	if err := r.Lock(p, nil); err != nil {
		panic("p2p: dma_resv_lock: " + err.Error())
	}
}
