package dmabuf

import (
	"errors"
	"slices"

	"hotplugsim/des"
)

// ErrNoMem is -ENOMEM: the exporter's MapDmaBuf returned no table and no error.
var ErrNoMem = errors.New("dmabuf: -ENOMEM")

// Device is the device an attachment maps the buffer for (attach->dev), e.g. a *pci.Dev.
type Device interface{ Name() string }

// ImporterOps is struct dma_buf_attach_ops, the importer's side of a dynamic attachment.
type ImporterOps struct {
	// AllowPeer2Peer: the importer handles peer resources without struct pages.
	AllowPeer2Peer bool
	// MoveNotify is called with the dma-buf's resv held when the buffer moves: the importer
	// must drop its mapping (UnmapAttachment) and map again before its next use.
	MoveNotify func(p *des.Proc, a *Attachment)
}

// Attachment is struct dma_buf_attachment of a dynamic importer. It holds the importer's
// current mapping (at most one): MapAttachment returns it while it exists.
type Attachment struct {
	// Peer2Peer is attach->peer2peer: set from ImporterOps.AllowPeer2Peer, the exporter's
	// Attach may clear it (e.g. after the P2P distance check).
	Peer2Peer bool
	// Priv is attach->priv, the exporter's per-attachment data.
	Priv any

	buf          *DmaBuf
	dev          Device
	importer     *ImporterOps
	importerPriv any
	sgt          SGTable
	mapped       bool
	cached       bool // the mapping made at attach (static importer): kept until Detach
	life         lifetime
}

// Buf is the attached dma-buf (attach->dmabuf).
func (a *Attachment) Buf() *DmaBuf { return a.buf }

// Dev is the importing device (attach->dev).
func (a *Attachment) Dev() Device { return a.dev }

// ImporterPriv is attach->importer_priv.
func (a *Attachment) ImporterPriv() any { return a.importerPriv }

// Mapped reports whether the attachment holds a mapping now.
func (a *Attachment) Mapped() bool { return a.mapped }

// SGT is the attachment's current mapping, nil if none (for inspection: importers use the
// one MapAttachment returns under the resv).
func (a *Attachment) SGT() SGTable { return a.sgt }

// Detached reports whether Detach ran (the attachment is freed).
func (a *Attachment) Detached() bool { return a.life.freed() }

// DynamicAttach is dma_buf_dynamic_attach: attach dev to d as a dynamic importer (ops with
// MoveNotify). The exporter's Attach runs first (it may clear Peer2Peer or refuse), then the
// attachment is listed under the resv, which the caller must not hold. Nothing is mapped yet.
// Attaching to a released dma-buf is a use-after-free; ops without MoveNotify are the
// kernel's WARN and -EINVAL.
func DynamicAttach(p *des.Proc, d *DmaBuf, dev Device, ops *ImporterOps, importerPriv any) (*Attachment, error) {
	if !d.life.use(p, "dma_buf_dynamic_attach") {
		return nil, ErrInval
	}
	if ops == nil || ops.MoveNotify == nil {
		warn(d.sim, p, d.Label(), "dma_buf_dynamic_attach", "dma_buf_dynamic_attach("+d.Label().String()+") without move_notify")
		return nil, ErrInval
	}
	return attach(p, d, dev, ops, importerPriv)
}

// Attach is dma_buf_attach: attach dev to d as a static importer (no move_notify). With a
// dynamic exporter (one with Pin) the attach pins the buffer and maps it at once, under the
// resv, and the attachment keeps that mapping until Detach (MapAttachment returns it,
// UnmapAttachment leaves it); MoveNotify skips the attachment, the pin keeps the buffer in
// place. With a static exporter nothing is mapped yet.
func Attach(p *des.Proc, d *DmaBuf, dev Device) (*Attachment, error) {
	if !d.life.use(p, "dma_buf_attach") {
		return nil, ErrInval
	}
	return attach(p, d, dev, nil, nil)
}

// attach is the body of dma_buf_dynamic_attach; ops is nil for a static importer.
func attach(p *des.Proc, d *DmaBuf, dev Device, ops *ImporterOps, importerPriv any) (*Attachment, error) {
	a := &Attachment{buf: d, dev: dev, importer: ops, importerPriv: importerPriv}
	if ops != nil {
		a.Peer2Peer = ops.AllowPeer2Peer
	}
	a.life.init(d.sim, p, "attach:"+d.Label().String()+"->"+dev.Name())
	if d.ops.Attach != nil {
		if err := d.ops.Attach(p, d, a); err != nil {
			a.life.free(p)
			return nil, err
		}
	}
	d.lock(p)
	d.atts = append(d.atts, a)
	d.resv.Unlock(p)
	if a.dynamic() || !d.dynamic() {
		return a, nil
	}
	// A static importer of a dynamic exporter: pin and map now, and cache the mapping.
	d.lock(p)
	if err := d.ops.Pin(p, a); err != nil {
		d.resv.Unlock(p)
		Detach(p, a)
		return nil, err
	}
	sgt, err := d.ops.MapDmaBuf(p, a)
	if err == nil && sgt == nil {
		err = ErrNoMem
	}
	if err != nil {
		d.ops.Unpin(p, a)
		d.resv.Unlock(p)
		Detach(p, a)
		return nil, err
	}
	a.sgt, a.mapped, a.cached = sgt, true, true
	d.resv.Unlock(p)
	return a, nil
}

// dynamic is dma_buf_attachment_is_dynamic: the importer has importer ops.
func (a *Attachment) dynamic() bool { return a.importer != nil }

// Cached reports whether the attachment holds the mapping made at attach time.
func (a *Attachment) Cached() bool { return a.cached }

// Detach is dma_buf_detach: under the resv (which the caller must not hold) unmap a mapping
// the attachment still holds and take it off the list; then the exporter's Detach. The
// attachment is freed: any later use of it is a use-after-free.
func Detach(p *des.Proc, a *Attachment) {
	if !a.life.use(p, "dma_buf_detach") {
		return
	}
	d := a.buf
	if !d.life.use(p, "dma_buf_detach") {
		return
	}
	d.lock(p)
	if a.mapped {
		a.unmap(p)
		if a.cached {
			d.ops.Unpin(p, a)
		}
		a.cached = false
	}
	d.atts = slices.DeleteFunc(d.atts, func(b *Attachment) bool { return b == a })
	d.resv.Unlock(p)
	if d.ops.Detach != nil {
		d.ops.Detach(p, d, a)
	}
	a.life.free(p)
}

// MapAttachment is dma_buf_map_attachment for a dynamic importer: with the dma-buf's resv
// held (else a lockdep assertion failure, lock-order), return the attachment's mapping,
// making it with the exporter's MapDmaBuf if there is none.
func MapAttachment(p *des.Proc, a *Attachment) (SGTable, error) {
	if !a.usable(p, "dma_buf_map_attachment") {
		return nil, ErrInval
	}
	d := a.buf
	d.assertHeld(p, "dma_buf_map_attachment")
	if a.mapped {
		return a.sgt, nil
	}
	sgt, err := d.ops.MapDmaBuf(p, a)
	if err != nil {
		return nil, err
	}
	if sgt == nil {
		return nil, ErrNoMem
	}
	a.sgt, a.mapped = sgt, true
	return sgt, nil
}

// UnmapAttachment is dma_buf_unmap_attachment: with the dma-buf's resv held (else a lockdep
// assertion failure, lock-order), give the attachment's mapping back to the exporter's
// UnmapDmaBuf; the mapping cached at attach stays (Detach unmaps it). Unmapping an
// attachment without a mapping is the kernel's WARN (no sg_table).
func UnmapAttachment(p *des.Proc, a *Attachment) {
	if !a.usable(p, "dma_buf_unmap_attachment") {
		return
	}
	a.buf.assertHeld(p, "dma_buf_unmap_attachment")
	if !a.mapped {
		warn(a.buf.sim, p, a.life.name, "dma_buf_unmap_attachment", "dma_buf_unmap_attachment("+a.life.name.String()+") without a mapping")
		return
	}
	if a.cached {
		return
	}
	a.unmap(p)
}

// Pin is dma_buf_pin: with the resv held, the exporter's Pin (if any) keeps the buffer where
// it is until Unpin.
func Pin(p *des.Proc, a *Attachment) error {
	if !a.usable(p, "dma_buf_pin") {
		return ErrInval
	}
	a.buf.assertHeld(p, "dma_buf_pin")
	if a.buf.ops.Pin != nil {
		return a.buf.ops.Pin(p, a)
	}
	return nil
}

// Unpin is dma_buf_unpin: with the resv held, the exporter's Unpin (if any).
func Unpin(p *des.Proc, a *Attachment) {
	if !a.usable(p, "dma_buf_unpin") {
		return
	}
	a.buf.assertHeld(p, "dma_buf_unpin")
	if a.buf.ops.Unpin != nil {
		a.buf.ops.Unpin(p, a)
	}
}

// usable checks that neither the attachment nor its dma-buf was freed.
func (a *Attachment) usable(p *des.Proc, what string) bool {
	return a.life.use(p, what) && a.buf.life.use(p, what)
}

// unmap forgets the mapping, then hands it to the exporter (resv held).
func (a *Attachment) unmap(p *des.Proc) {
	sgt := a.sgt
	a.sgt, a.mapped = nil, false
	a.buf.ops.UnmapDmaBuf(p, a, sgt)
}

// lock is dma_resv_lock(dmabuf->resv, NULL).
func (d *DmaBuf) lock(p *des.Proc) {
	if err := d.resv.Lock(p, nil); err != nil {
		panic("dmabuf: dma_resv_lock: " + err.Error())
	}
}
