package dmabuf

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/fence"
)

// ErrInval is -EINVAL: a call the kernel refuses with a WARN (missing ops, a released
// dma-buf, a freed attachment).
var ErrInval = errors.New("dmabuf: -EINVAL")

// SGTable is what the exporter's MapDmaBuf returns for an attachment (struct sg_table *): the
// model keeps it opaque; the exporter defines it and the importer reads it.
type SGTable any

// Ops is struct dma_buf_ops, the exporter's callbacks. MapDmaBuf, UnmapDmaBuf and Release are
// required (dma_buf_export WARNs without them); Pin and Unpin come as a pair or not at all.
//
// Locking (the dma-buf locking convention): Attach, Detach and Release run without the
// dma-buf's resv held and may take it; Pin, Unpin, MapDmaBuf and UnmapDmaBuf run with it held.
type Ops struct {
	// Attach is dma_buf_ops.attach (optional): it may clear a.Peer2Peer or refuse the
	// attachment with an error.
	Attach func(p *des.Proc, d *DmaBuf, a *Attachment) error
	// Detach is dma_buf_ops.detach (optional), after the attachment left the list.
	Detach func(p *des.Proc, d *DmaBuf, a *Attachment)
	// Pin and Unpin are dma_buf_ops.pin/unpin (optional, both or neither).
	Pin   func(p *des.Proc, a *Attachment) error
	Unpin func(p *des.Proc, a *Attachment)
	// MapDmaBuf is dma_buf_ops.map_dma_buf: map the buffer for a.Dev.
	MapDmaBuf func(p *des.Proc, a *Attachment) (SGTable, error)
	// UnmapDmaBuf is dma_buf_ops.unmap_dma_buf: undo one MapDmaBuf.
	UnmapDmaBuf func(p *des.Proc, a *Attachment, sgt SGTable)
	// Release is dma_buf_ops.release: the last file reference is gone.
	Release func(p *des.Proc, d *DmaBuf)
}

// ExportInfo is struct dma_buf_export_info.
type ExportInfo struct {
	Name string      // names the dma-buf in traces and reports ("dmabuf:<bo>")
	Ops  *Ops        // the exporter's callbacks
	Resv *fence.Resv // the exported object's reservation object; nil: the dma-buf gets its own
	Priv any         // the exporter's object (dmabuf->priv); required, as in the kernel
}

// DmaBuf is struct dma_buf: an exported buffer with its file reference count, its
// reservation object and the list of attachments (protected by the resv).
type DmaBuf struct {
	sim  *des.Sim
	ops  *Ops
	resv *fence.Resv
	priv any
	refs int // file_count(dmabuf->file)
	atts []*Attachment
	life lifetime
}

// Export is dma_buf_export (with the dma_buf_fd of the caller folded in): the dma-buf starts
// with one file reference, the exporter's. It WARNs and returns ErrInval when Priv or a
// required op is missing or only one of Pin/Unpin is given. p may be nil (set-up code).
func Export(sim *des.Sim, p *des.Proc, info ExportInfo) (*DmaBuf, error) {
	ops := info.Ops
	if info.Priv == nil || ops == nil || ops.MapDmaBuf == nil || ops.UnmapDmaBuf == nil || ops.Release == nil {
		warn(sim, p, des.L(info.Name), "dma_buf_export", "dma_buf_export("+info.Name+") without priv, map_dma_buf, unmap_dma_buf or release")
		return nil, ErrInval
	}
	if (ops.Pin == nil) != (ops.Unpin == nil) {
		warn(sim, p, des.L(info.Name), "dma_buf_export", "dma_buf_export("+info.Name+") with only one of pin and unpin")
		return nil, ErrInval
	}
	resv := info.Resv
	if resv == nil {
		resv = fence.NewResv(sim, "resv:"+info.Name)
	}
	d := &DmaBuf{sim: sim, ops: ops, resv: resv, priv: info.Priv, refs: 1}
	d.life.init(sim, p, info.Name)
	return d, nil
}

// Label names the dma-buf in traces.
func (d *DmaBuf) Label() des.Label { return d.life.name }

// Resv is the dma-buf's reservation object (dmabuf->resv).
func (d *DmaBuf) Resv() *fence.Resv { return d.resv }

// Priv is the exporter's object (dmabuf->priv).
func (d *DmaBuf) Priv() any { return d.priv }

// Refs is the number of file references (0 once released).
func (d *DmaBuf) Refs() int { return d.refs }

// Released reports whether the last reference went and the exporter's Release ran.
func (d *DmaBuf) Released() bool { return d.life.freed() }

// Attachments returns the current attachments, oldest first.
func (d *DmaBuf) Attachments() []*Attachment { return append([]*Attachment(nil), d.atts...) }

// Get is get_dma_buf (get_file): one more file reference, e.g. an importer's dma_buf_get or
// a kernel path holding the buffer. Getting a released dma-buf is a use-after-free.
func Get(p *des.Proc, d *DmaBuf) {
	if !d.life.use(p, "get_dma_buf") {
		return
	}
	d.refs++
}

// Put is dma_buf_put (fput): the last reference releases the dma-buf: the exporter's Release
// runs (without the resv held) and the dma-buf is freed. A dma-buf released with
// attachments still listed is the kernel's WARN in dma_buf_release. Putting a released
// dma-buf is a use-after-free.
func Put(p *des.Proc, d *DmaBuf) {
	if !d.life.use(p, "dma_buf_put") {
		return
	}
	d.refs--
	if d.refs > 0 {
		return
	}
	d.life.free(p)
	d.ops.Release(p, d)
	if len(d.atts) > 0 {
		warn(d.sim, p, d.Label(), "dma_buf_release", "dma_buf_release("+d.Label().String()+") with attachments still listed")
	}
}

// MoveNotify is dma_buf_move_notify: the exporter, holding the resv, tells every attachment
// that the buffer moves; each importer's MoveNotify destroys its mappings and maps again on
// next use. Called without the resv held it is a lockdep assertion failure (lock-order).
func MoveNotify(p *des.Proc, d *DmaBuf) {
	if !d.life.use(p, "dma_buf_move_notify") {
		return
	}
	d.assertHeld(p, "dma_buf_move_notify")
	for _, a := range d.Attachments() { // a snapshot: callbacks may yield
		if a.importer != nil { // static importers hold a pinned mapping
			a.importer.MoveNotify(p, a)
		}
	}
}

// dynamic is dma_buf_is_dynamic: the exporter has pin/unpin.
func (d *DmaBuf) dynamic() bool { return d.ops.Pin != nil }
