package drm

import (
	"hotplugsim/des"
	"hotplugsim/model/kasan"
)

// DmaBuf is the struct dma_buf of a PRIME export (drm_gem_prime_export): a file refcount
// (each fd, each importer's attachment and the exporter's obj->dma_buf cache hold one), and
// the exported object, whose reference and device reference it holds until its release
// (drm_gem_dmabuf_release).
type DmaBuf struct {
	kasan.Obj
	obj *GEMObject
	ref int
}

var (
	evBufGet    = des.L("get_dma_buf")
	evBufPut    = des.L("dma_buf_put")
	evHandleFD  = des.L("drm_gem_prime_handle_to_fd")
	evFDHandle  = des.L("drm_gem_prime_fd_to_handle")
	evBufExport = des.L("drm_gem_prime_export")
)

// Object is the exported GEM object (dma_buf->priv).
func (b *DmaBuf) Object() *GEMObject { return b.obj }

// Refcount is the file refcount.
func (b *DmaBuf) Refcount() int { return b.ref }

// Get is get_dma_buf.
func (b *DmaBuf) Get(p *des.Proc) {
	p.Point(evBufGet, b.Label(), int64(b.ref), 0)
	if b.Use(p, "get_dma_buf") {
		b.ref++
	}
}

// Put is dma_buf_put (closing an fd is one): the last reference releases the buffer, which
// drops its object and device references.
func (b *DmaBuf) Put(p *des.Proc) {
	p.Point(evBufPut, b.Label(), int64(b.ref), 0)
	if !b.Use(p, "dma_buf_put") {
		return
	}
	b.ref--
	if b.ref == 0 {
		dev := b.obj.dev
		b.obj.Put(p)
		dev.DevPut(p)
		b.Free(p)
	}
}

// PrimeHandleToFD is drm_gem_prime_handle_to_fd: the dma-buf of the object handle h names,
// exported on first use and cached in obj->dma_buf and in f's prime table; the returned
// reference is the fd's (drop it with Put to close the fd). -ENOENT for a closed handle.
func (f *File) PrimeHandleToFD(p *des.Proc, h uint32) (*DmaBuf, error) {
	p.Point(evHandleFD, f.dev.Label(), int64(h), 0)
	o, err := f.Lookup(p, h)
	if err != nil {
		return nil, err
	}
	defer o.Put(p)
	buf := o.importOf // re-export of an import: the original dma-buf
	if buf == nil {
		buf = o.dmaBuf
	}
	if buf == nil {
		buf = exportObject(p, o)
	}
	buf.Get(p)
	f.gem.addPrime(buf, h)
	return buf, nil
}

// exportObject is drm_gem_prime_export plus export_and_register_object: the dma-buf takes
// an object and a device reference, and obj->dma_buf caches it with a reference of its own.
func exportObject(p *des.Proc, o *GEMObject) *DmaBuf {
	p.Point(evBufExport, o.Label(), 0, 0)
	buf := &DmaBuf{obj: o, ref: 1}
	buf.Alloc(o.dev.sim, p, "dma_buf:"+o.Name())
	o.Get(p)
	o.dev.DevGet(p)
	o.dmaBuf = buf
	return buf
}

// PrimeFDToHandle is drm_gem_prime_fd_to_handle: the handle of buf in f. A dma-buf f
// already has a handle for gives that handle again; one exported by f's own device gives a
// handle to the exported object itself (drm_gem_prime_import's self-import); one from
// another device is imported as a new object holding a dma-buf reference.
func (f *File) PrimeFDToHandle(p *des.Proc, buf *DmaBuf) (uint32, error) {
	p.Point(evFDHandle, f.dev.Label(), 0, 0)
	if !buf.Use(p, "drm_gem_prime_fd_to_handle") {
		return 0, ErrBadF
	}
	if h, ok := f.gem.lookupPrime(buf); ok {
		return h, nil
	}
	o := f.importBuf(p, buf)
	if o.dmaBuf == nil {
		buf.Get(p)
		o.dmaBuf = buf
	}
	h, err := f.HandleCreate(p, o)
	if err == nil {
		f.gem.addPrime(buf, h)
	}
	o.Put(p)
	return h, err
}

// importBuf is drm_gem_prime_import: a reference to the object behind buf.
func (f *File) importBuf(p *des.Proc, buf *DmaBuf) *GEMObject {
	if buf.obj.dev == f.dev {
		buf.obj.Get(p)
		return buf.obj
	}
	o := f.dev.GEMObjectInit(p, "import:"+buf.obj.Name(), buf.obj.size,
		func(p *des.Proc, o *GEMObject) { o.importOf.Put(p) }) // drm_prime_gem_destroy
	buf.Get(p) // dma_buf_attach holds the importer's file reference
	o.importOf = buf
	return o
}

func (t *gemTable) addPrime(buf *DmaBuf, h uint32) {
	if _, ok := t.lookupPrime(buf); !ok {
		t.prime = append(t.prime, primeEntry{buf: buf, handle: h})
	}
}

func (t *gemTable) lookupPrime(buf *DmaBuf) (uint32, bool) {
	if t == nil {
		return 0, false
	}
	for _, e := range t.prime {
		if e.buf == buf {
			return e.handle, true
		}
	}
	return 0, false
}

func (t *gemTable) removePrime(h uint32) {
	for i, e := range t.prime {
		if e.handle == h {
			t.prime = append(t.prime[:i], t.prime[i+1:]...)
			return
		}
	}
}
