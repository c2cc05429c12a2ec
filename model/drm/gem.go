package drm

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// GEM errors.
var (
	ErrNoEnt = errors.New("-ENOENT") // drm_gem_object_lookup found no object for the handle
	ErrNoSpc = errors.New("-ENOSPC") // idr_alloc: the handle table is full
)

// MaxHandles bounds one drm_file's handle table (object_idr).
const MaxHandles = 4096

// GEMObject is struct drm_gem_object: a refcount (kref), the number of handles naming it in
// any drm_file, the dma-buf it is exported as (obj->dma_buf, while it has handles) and, for
// an imported object, the dma-buf it was imported from. The final Put calls Free
// (obj->funcs->free) and frees the object (KASAN).
type GEMObject struct {
	kasan.Obj
	dev         *Device
	size        uint64
	ref         int
	handleCount int
	dmaBuf      *DmaBuf // obj->dma_buf
	importOf    *DmaBuf // obj->import_attach->dmabuf
	free        func(p *des.Proc, o *GEMObject)
}

var (
	evGemGet    = des.L("drm_gem_object_get")
	evGemPut    = des.L("drm_gem_object_put")
	evGemFree   = des.L("drm_gem_object_free")
	evHandle    = des.L("drm_gem_handle_create")
	evLookup    = des.L("drm_gem_object_lookup")
	evHandleDel = des.L("drm_gem_handle_delete")
)

// GEMObjectInit is drm_gem_object_init: an object of size bytes with one reference (the
// caller's). free (obj->funcs->free; may be nil) runs at the final put, before the object
// is freed. p may be nil in set-up code.
func (d *Device) GEMObjectInit(p *des.Proc, name string, size uint64, free func(p *des.Proc, o *GEMObject)) *GEMObject {
	o := &GEMObject{dev: d, size: size, ref: 1, free: free}
	o.Alloc(d.sim, p, "drm_gem_object:"+name)
	return o
}

// Dev is obj->dev.
func (o *GEMObject) Dev() *Device { return o.dev }

// Size is obj->size.
func (o *GEMObject) Size() uint64 { return o.size }

// Refcount is the kref count.
func (o *GEMObject) Refcount() int { return o.ref }

// HandleCount is obj->handle_count.
func (o *GEMObject) HandleCount() int { return o.handleCount }

// Import is the dma-buf an imported object came from (nil for a native object).
func (o *GEMObject) Import() *DmaBuf { return o.importOf }

// Get is drm_gem_object_get. A get on a freed object is KASAN's use-after-free.
func (o *GEMObject) Get(p *des.Proc) {
	p.Point(evGemGet, o.Label(), int64(o.ref), 0)
	if o.live(p, "drm_gem_object_get", "addition on 0") {
		o.ref++
	}
}

// Put is drm_gem_object_put: the final put runs drm_gem_object_free (obj->funcs->free).
func (o *GEMObject) Put(p *des.Proc) {
	p.Point(evGemPut, o.Label(), int64(o.ref), 0)
	if !o.live(p, "drm_gem_object_put", "underflow") {
		return
	}
	o.ref--
	if o.ref == 0 {
		p.Trace(evGemFree, o.Label(), 0, 0)
		if o.free != nil {
			o.free(p, o)
		}
		o.Free(p)
	}
}

// Access is a driver touching the object through a pointer it holds (obj->resv, its
// backing store): KASAN's use-after-free if the object was freed. It reports whether the
// object is live.
func (o *GEMObject) Access(p *des.Proc, what string) bool {
	p.Point(evLookup, o.Label(), int64(o.ref), 1)
	return o.Use(p, what)
}

func (o *GEMObject) live(p *des.Proc, what, how string) bool {
	if !o.Use(p, what) {
		return false
	}
	if o.ref > 0 {
		return true
	}
	refcountWarn(o.dev.sim, p, o.Label(), what, how)
	return false
}

// gemTable is the per-file part of GEM: file_priv->object_idr and file_priv->prime.
type gemTable struct {
	handles []*GEMObject // index = handle - 1; nil = free slot
	prime   []primeEntry // (dma-buf, handle) pairs, in insertion order
}

type primeEntry struct {
	buf    *DmaBuf
	handle uint32
}

// HandleCreate is drm_gem_handle_create: a new handle (the lowest free one from 1, as
// idr_alloc(1, 0)) naming o in f, holding a reference and a handle count. The caller keeps
// its own reference (and usually drops it right after).
func (f *File) HandleCreate(p *des.Proc, o *GEMObject) (uint32, error) {
	p.Point(evHandle, o.Label(), int64(o.handleCount), 0)
	if !o.live(p, "drm_gem_handle_create", "addition on 0") {
		return 0, ErrNoEnt
	}
	if f.gem == nil {
		f.gem = &gemTable{}
	}
	h, ok := f.gem.alloc(o)
	if !ok {
		return 0, ErrNoSpc
	}
	o.handleCount++
	o.ref++
	return h, nil
}

func (t *gemTable) alloc(o *GEMObject) (uint32, bool) {
	for i, x := range t.handles {
		if x == nil {
			t.handles[i] = o
			return uint32(i + 1), true
		}
	}
	if len(t.handles) >= MaxHandles {
		return 0, false
	}
	t.handles = append(t.handles, o)
	return uint32(len(t.handles)), true
}

func (t *gemTable) find(h uint32) *GEMObject {
	if t == nil || h == 0 || int(h) > len(t.handles) {
		return nil
	}
	return t.handles[h-1]
}

// Lookup is drm_gem_object_lookup: the object handle h names in f, with a reference the
// caller drops with Put; -ENOENT if there is none (a closed handle is an error, not a bug).
func (f *File) Lookup(p *des.Proc, h uint32) (*GEMObject, error) {
	p.Point(evLookup, f.dev.Label(), int64(h), 0)
	o := f.gem.find(h)
	if o == nil {
		return nil, ErrNoEnt
	}
	o.ref++ // under file_priv->table_lock, with the idr lookup: one step
	return o, nil
}

// HandleDelete is drm_gem_handle_delete (DRM_IOCTL_GEM_CLOSE): -EINVAL if h names nothing.
func (f *File) HandleDelete(p *des.Proc, h uint32) error {
	p.Point(evHandleDel, f.dev.Label(), int64(h), 0)
	o := f.gem.find(h)
	if o == nil {
		return ErrInval
	}
	f.gem.handles[h-1] = nil // idr_replace(NULL) then idr_remove, under table_lock
	f.releaseHandle(p, h, o)
	return nil
}

// releaseHandle is drm_gem_object_release_handle: forget the prime entry, drop the handle
// count (the last handle drops the cached export, obj->dma_buf) and the handle's reference.
func (f *File) releaseHandle(p *des.Proc, h uint32, o *GEMObject) {
	f.gem.removePrime(h)
	o.handleCount--
	if o.handleCount == 0 && o.dmaBuf != nil {
		buf := o.dmaBuf
		o.dmaBuf = nil
		buf.Put(p)
	}
	o.Put(p)
}

// HandleCount is the number of open handles in f.
func (f *File) HandleCount() int {
	n := 0
	if f.gem != nil {
		for _, o := range f.gem.handles {
			if o != nil {
				n++
			}
		}
	}
	return n
}

// gemRelease is drm_gem_release at close: every handle, in idr order (ascending).
func (f *File) gemRelease(p *des.Proc) {
	for i, o := range f.gem.handles {
		if o != nil {
			f.gem.handles[i] = nil
			f.releaseHandle(p, uint32(i+1), o)
		}
	}
	f.gem.prime = nil // drm_prime_destroy_file_private
}

// refcountWarn is lib/refcount.c's refcount_warn_saturate: an addition on 0 or an underflow of
// obj's kref (how), met by what while the final put is freeing obj.
func refcountWarn(sim *des.Sim, p *des.Proc, obj des.Label, what, how string) {
	s := kasan.SiteOf(sim, p)
	sim.Violate(p, oracle.UseAfterFree, obj, splat.WARN("lib/refcount.c", "refcount_warn_saturate",
		fmt.Sprintf("refcount_t: %s; use-after-free.\n%s of %s while its final put frees it", how, what, obj),
		splat.Site{Task: s.Proc.String(), PID: s.PID, Chain: []string{what}, At: s.At}))
}
