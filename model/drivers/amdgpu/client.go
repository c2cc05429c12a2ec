package amdgpu

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/mm"
	"hotplugsim/model/sched"
	"hotplugsim/model/ttm"
)

// Ioctl numbers of the modelled amdgpu ioctl table.
const (
	IoctlGemCreate = iota // DRM_AMDGPU_GEM_CREATE
	IoctlCS               // DRM_AMDGPU_CS
	IoctlWaitCS           // DRM_AMDGPU_WAIT_CS
	IoctlInfo             // DRM_AMDGPU_INFO (AMDGPU_INFO_TIMESTAMP: reads the GPU clock)
	IoctlExport           // DRM_IOCTL_PRIME_HANDLE_TO_FD
	IoctlImport           // DRM_IOCTL_PRIME_FD_TO_HANDLE
	numIoctls
)

var ioctlNames = [numIoctls]string{"AMDGPU_GEM_CREATE", "AMDGPU_CS", "AMDGPU_WAIT_CS", "AMDGPU_INFO",
	"PRIME_HANDLE_TO_FD", "PRIME_FD_TO_HANDLE"}

// Trace spans (Kind ends in :begin / :end, same Obj).
var (
	spIoctl     = des.NewSpan("ioctl")
	spFault     = des.NewSpan("fault")
	ioctlLabels [numIoctls]des.Label
	evBODestroy = des.L("amdgpu_bo_destroy")
	evPostclose = des.L("amdgpu_driver_postclose_kms")
	spOpen      = des.NewSpan("open")
	spClose     = des.NewSpan("close")
)

func init() {
	for i, n := range ioctlNames {
		ioctlLabels[i] = des.L(n)
	}
}

// Errors besides drm.ErrNoDev.
var (
	ErrClosed = errors.New("amdgpu: client closed")
	ErrNoBO   = errors.New("amdgpu: no such BO")
)

// Client is one open of the render node (struct drm_file with amdgpu_fpriv): a scheduler
// entity (its context), its VM's entity (page-table updates), its GEM handles, imported
// dma-bufs and the process's address space.
type Client struct {
	a       *adevice
	file    *drm.File
	name    string
	MM      *mm.MM
	entity  *sched.Entity
	vm      *sched.Entity // amdgpu_vm's entity (amdgpu_vm_init_entities)
	bos     []*BO
	imports []*DmaBuf
	vmas    []*mm.VMA
	last    *fence.Fence
	closed  bool
	closeFn func(p *des.Proc) // c.Close, kept by a recycled Client
}

// Recycle keeps the lists' capacity and the Close method value, which binds the same
// address (des.Recycler).
func (c *Client) Recycle() {
	clear(c.bos[:cap(c.bos)])
	clear(c.imports[:cap(c.imports)])
	clear(c.vmas[:cap(c.vmas)])
	*c = Client{bos: c.bos[:0], imports: c.imports[:0], vmas: c.vmas[:0], closeFn: c.closeFn}
}

// BO is a GEM buffer object of amdgpu (amdgpu_bo over a ttm BO). Its GEM refcount counts
// handles and dma-bufs; the final put is amdgpu_bo_destroy, which uses the amdgpu_device.
type BO struct {
	a    *adevice
	TTM  *ttm.BO
	refs int
}

// DmaBuf is an exported BO (drm_gem_dmabuf_export): it holds the BO and a drm_device
// reference until its last reference goes (drm_gem_dmabuf_release).
type DmaBuf struct {
	bo   *BO
	ddev *drm.Device
	refs int
}

type createArg struct {
	name  string
	pages int
	place ttm.Placement
	out   *BO
}

type csArg struct {
	dur  des.Duration
	deps []*fence.Fence
	out  *fence.Fence
}

type importArg struct{ buf *DmaBuf }

// drmDriver is amdgpu's struct drm_driver for one incarnation.
func (a *adevice) drmDriver() *drm.Driver {
	dev := drm.IoctlFlags(0)
	if a.feat.guards {
		dev = drm.IoctlDevEnter
	}
	wait := drm.IoctlFlags(0)
	if a.feat.waitInEnter {
		wait = drm.IoctlDevEnter
	}
	fn := a.fns
	fn.ioctls = [numIoctls]drm.IoctlDesc{
		IoctlGemCreate: {Name: ioctlNames[IoctlGemCreate], Func: fn.gemCreate, Flags: dev},
		IoctlCS:        {Name: ioctlNames[IoctlCS], Func: fn.cs, Flags: dev},
		IoctlWaitCS:    {Name: ioctlNames[IoctlWaitCS], Func: fn.wait, Flags: wait},
		IoctlInfo:      {Name: ioctlNames[IoctlInfo], Func: fn.info, Flags: dev},
		IoctlExport:    {Name: ioctlNames[IoctlExport], Func: fn.export, Flags: dev},
		IoctlImport:    {Name: ioctlNames[IoctlImport], Func: fn.imp, Flags: dev},
	}
	fn.drv = drm.Driver{
		Name:                  "amdgpu",
		Open:                  fn.openHook,
		Postclose:             fn.postclose,
		Lastclose:             fn.lastclose,
		Ioctls:                fn.ioctls[:],
		IoctlsFailAfterUnplug: a.feat.promise,
	}
	return &fn.drv
}

// openHook is amdgpu_driver_open_kms: the file's VM (amdgpu_vm_init, its entity) and
// context (one entity).
func (a *adevice) openHook(p *des.Proc, f *drm.File) error {
	if !a.Use(p, "amdgpu_driver_open_kms") {
		return drm.ErrNoDev
	}
	slot := openKey.Get(p, func(p *des.Proc) *openSlot { return slots.New(p.Sim()) })
	c := slot.c
	if c == nil {
		return drm.ErrInval
	}
	f.Private = c
	c.entity = sched.NewEntity(a.g.sim, c.name, a.sched)
	c.vm = sched.NewEntity(a.g.sim, des.Join(a.g.sim, c.name, ".vm"), a.sched)
	a.clients = append(a.clients, c)
	return nil
}

// postclose is amdgpu_driver_postclose_kms (after drm_file_free's drm_syncobj_release dropped
// the out-fence and drm_gem_release the handles): destroy the context entity
// (amdgpu_ctx_mgr_fini), finalise the VM (amdgpu_vm_fini), forget the client.
func (a *adevice) postclose(p *des.Proc, f *drm.File) {
	c := f.Private.(*Client)
	if c.last != nil { // drm_syncobj_release
		c.last.Put(p)
		c.last = nil
	}
	for _, b := range c.bos { // drm_gem_release
		b.put(p)
	}
	clear(c.bos)
	c.bos = c.bos[:0]
	for _, d := range c.imports {
		d.put(p)
	}
	clear(c.imports)
	c.imports = c.imports[:0]
	p.Point(evPostclose, a.label, 0, 0)
	if !a.Use(p, "amdgpu_driver_postclose_kms") {
		return
	}
	sched.EntityDestroy(p, c.entity, entityFlushTimeout)
	a.vmFini(p, c)
	for i, x := range a.clients {
		if x == c {
			a.clients = append(a.clients[:i], a.clients[i+1:]...)
			break
		}
	}
}

func (a *adevice) gemCreateIoctl(p *des.Proc, f *drm.File, arg any) error {
	c, req := f.Private.(*Client), arg.(*createArg)
	if !a.Use(p, "amdgpu_gem_create_ioctl") {
		return drm.ErrNoDev
	}
	tbo, err := a.tdev.NewBO(p, req.name, req.pages, req.place)
	if err != nil {
		return err
	}
	req.out = bos.New(a.g.sim)
	*req.out = BO{a: a, TTM: tbo, refs: 1}
	c.bos = append(c.bos, req.out)
	return nil
}

// csIoctl is amdgpu_cs_ioctl: init, arm and push a job on the client's entity, under the
// rw_sem that the remove path takes to reject new jobs.
func (a *adevice) csIoctl(p *des.Proc, f *drm.File, arg any) error {
	c, req := f.Private.(*Client), arg.(*csArg)
	if !a.Use(p, "amdgpu_cs_ioctl") {
		return drm.ErrNoDev
	}
	if a.feat.finalise {
		a.pushSem.DownRead(p)
		defer a.pushSem.UpRead(p)
		if a.finalised {
			return drm.ErrNoDev
		}
	}
	j, err := sched.JobInit(p, c.entity, c.name)
	if err != nil {
		return drm.ErrNoDev
	}
	jd := jobDatas.New(a.g.sim)
	jd.dur = req.dur
	j.Payload = jd
	for _, d := range req.deps {
		// amdgpu_cs_process_fence_dep -> amdgpu_sync_fence, then amdgpu_sync_push_to_job:
		// dma_fence_get for drm_sched_job_add_dependency, which consumes it.
		j.AddDependency(p, d.Get(p))
	}
	j.Arm(p)
	// amdgpu_cs_submit: p->fence = dma_fence_get(&leader->base.s_fence->finished) before the
	// push, after which the scheduler may free the job; the reference becomes the caller's
	// out-fence (AMDGPU_CHUNK_ID_SYNCOBJ_OUT's drm_syncobj_replace_fence).
	req.out = j.Finished().Get(p)
	sched.PushJob(p, j)
	return nil
}

// waitIoctl is amdgpu_cs_wait_ioctl. In v6 the wait is outside any drm_dev_enter scope and
// the result is read under one; in v6-wait-in-enter the whole ioctl is (the open TODO).
func (a *adevice) waitIoctl(p *des.Proc, _ *drm.File, arg any) error {
	f := arg.(*fence.Fence).Get(p) // amdgpu_ctx_get_fence
	defer f.Put(p)
	f.Wait(p)
	if !a.feat.waitInEnter && a.feat.guards {
		idx, ok := a.ddev.DevEnter(p)
		if !ok {
			return drm.ErrNoDev
		}
		drm.DevExit(p, idx)
	}
	if f.Error() == -fence.ENODEV {
		return drm.ErrNoDev
	}
	return nil
}

// infoIoctl is AMDGPU_INFO_TIMESTAMP: amdgpu_gfx_get_gpu_clock_counter reads two registers.
func (a *adevice) infoIoctl(p *des.Proc, _ *drm.File, _ any) error {
	if !a.Use(p, "amdgpu_info_ioctl") {
		return drm.ErrNoDev
	}
	a.rmmio.Read32(p, regClockLo)
	a.rmmio.Read32(p, regClockHi)
	return nil
}

// exportIoctl is drm_gem_prime_handle_to_fd -> drm_gem_dmabuf_export (drm_dev_get).
func (a *adevice) exportIoctl(p *des.Proc, _ *drm.File, arg any) error {
	req := arg.(*importArg)
	b := req.buf.bo
	b.refs++
	a.ddev.DevGet(p)
	req.buf.ddev = a.ddev
	req.buf.refs = 1
	return nil
}

// importIoctl is drm_gem_prime_fd_to_handle on another device: the import holds the dma-buf.
func (a *adevice) importIoctl(p *des.Proc, f *drm.File, arg any) error {
	c, req := f.Private.(*Client), arg.(*importArg)
	if !a.Use(p, "amdgpu_gem_prime_import") {
		return drm.ErrNoDev
	}
	req.buf.refs++
	c.imports = append(c.imports, req.buf)
	return nil
}

// put drops a GEM reference; the last one is amdgpu_bo_destroy.
func (b *BO) put(p *des.Proc) {
	b.refs--
	if b.refs > 0 {
		return
	}
	p.Point(evBODestroy, b.a.label, 0, 0)
	if !b.a.Use(p, "amdgpu_bo_destroy") { // the amdgpu_device the BO belongs to
		return
	}
	// No driver lock against amdgpu_device_fini_hw's ttm_device_clear_dma_mappings: TTM
	// takes its own reference there (ttm_bo_get_unless_zero under bdev->lru_lock,
	// ttm_device_clear_lru_dma_mappings in ttm_device.c), as model/ttm does.
	b.TTM.Put(p)
}

// put drops a dma-buf reference; the last one is drm_gem_dmabuf_release.
func (d *DmaBuf) put(p *des.Proc) {
	d.refs--
	if d.refs > 0 {
		return
	}
	d.bo.put(p)
	d.ddev.DevPut(p)
}

// ioctl runs one ioctl with its trace span.
func (c *Client) ioctl(p *des.Proc, nr int, arg any) error {
	if c.closed {
		return ErrClosed
	}
	l := ioctlLabels[nr]
	spIoctl.Begin(p, l, int64(nr), 0)
	err := c.file.Ioctl(p, nr, arg)
	spIoctl.End(p, l, errCode(err), 0)
	return err
}

func errCode(err error) int64 {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, drm.ErrNoDev):
		return -19
	default:
		return -1
	}
}

// CreateBO allocates a BO of pages pages in place (AMDGPU_GEM_CREATE).
func (c *Client) CreateBO(p *des.Proc, name string, pages int, place ttm.Placement) (*BO, error) {
	sim := c.a.g.sim
	req := creates.New(sim)
	*req = createArg{name: des.Join(sim, des.Join(sim, c.name, "."), name), pages: pages, place: place}
	if err := c.ioctl(p, IoctlGemCreate, req); err != nil {
		return nil, err
	}
	return req.out, nil
}

// Mmap maps a BO of this client into its process (drm_gem_mmap -> ttm_bo_mmap_obj).
func (c *Client) Mmap(p *des.Proc, b *BO) (*mm.VMA, error) {
	if c.closed {
		return nil, ErrClosed
	}
	v, err := b.TTM.Mmap(p, c.MM, nil)
	if err == nil {
		c.vmas = append(c.vmas, v)
	}
	return v, err
}

// Touch is a user CPU store to page i of a mapping, with its fault span. It returns the
// error that killed the process (SIGBUS), if any.
func (c *Client) Touch(p *des.Proc, v *mm.VMA, i int) error {
	spFault.Begin(p, c.faultLabel(v), int64(i), 0)
	err := c.MM.Write(p, v.Addr(i%v.Pages))
	spFault.End(p, c.faultLabel(v), 0, 0)
	return err
}

func (c *Client) faultLabel(v *mm.VMA) des.Label {
	if b, ok := v.Private.(*ttm.BO); ok {
		return b.Label()
	}
	return des.Label{}
}

// Submit pushes a job running dur on the ring after deps (AMDGPU_CS) and returns its
// finished fence. The client holds a reference on it, its out-syncobj, until its next Submit
// replaces it (drm_syncobj_replace_fence puts the old fence) or the file closes
// (drm_syncobj_release): a returned fence stays valid until then, and a caller that keeps it
// longer takes its own reference (a sync_file's); the caller's deps must be valid during the
// call.
func (c *Client) Submit(p *des.Proc, dur des.Duration, deps ...*fence.Fence) (*fence.Fence, error) {
	req := css.New(c.a.g.sim)
	*req = csArg{dur: dur, deps: deps}
	if err := c.ioctl(p, IoctlCS, req); err != nil {
		return nil, err
	}
	if c.last != nil {
		c.last.Put(p)
	}
	c.last = req.out
	return req.out, nil
}

// SubmitNoop pushes an empty job (the IGT health check's no-op).
func (c *Client) SubmitNoop(p *des.Proc) (*fence.Fence, error) { return c.Submit(p, 0) }

// Wait waits for f (AMDGPU_WAIT_CS); -ENODEV if the device went away.
func (c *Client) Wait(p *des.Proc, f *fence.Fence) error {
	if f == nil {
		return nil
	}
	return c.ioctl(p, IoctlWaitCS, f)
}

// Last is the finished fence of the client's last submission (nil if none, or closed).
func (c *Client) Last() *fence.Fence { return c.last }

// Info is AMDGPU_INFO_TIMESTAMP.
func (c *Client) Info(p *des.Proc) error { return c.ioctl(p, IoctlInfo, nil) }

// Export exports a BO as a dma-buf; the caller holds its one reference (the fd).
func (c *Client) Export(p *des.Proc, b *BO) (*DmaBuf, error) {
	sim := c.a.g.sim
	req, buf := imports.New(sim), dmaBufs.New(sim)
	buf.bo = b
	req.buf = buf
	if err := c.ioctl(p, IoctlExport, req); err != nil {
		return nil, err
	}
	return req.buf, nil
}

// Import imports a dma-buf into this client (another device's BO).
func (c *Client) Import(p *des.Proc, d *DmaBuf) error {
	req := imports.New(c.a.g.sim)
	req.buf = d
	return c.ioctl(p, IoctlImport, req)
}

// Release drops the caller's reference to a dma-buf (close of the fd).
func (d *DmaBuf) Release(p *des.Proc) { d.put(p) }

// Closed reports whether the client was closed.
func (c *Client) Closed() bool { return c.closed }

// Device reports the incarnation of the GPU the client opened (1 for the first probe).
func (c *Client) Device() int { return c.a.gen }

// Close closes the file (drm_release): its mappings of this device are unmapped first
// (munmap), then handles, context and VM go (postclose).
func (c *Client) Close(p *des.Proc) {
	if c.closed {
		return
	}
	c.closed = true
	spClose.Begin(p, c.a.label, 0, 0)
	defer spClose.End(p, c.a.label, 0, 0)
	if !c.MM.Dead() {
		for _, v := range c.vmas {
			if !v.Removed() {
				_ = c.MM.Munmap(p, v)
			}
		}
	}
	clear(c.vmas)
	c.vmas = c.vmas[:0]
	_ = c.file.Close(p)
}
