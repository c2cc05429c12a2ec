package xe

import (
	"errors"
	"fmt"
	"slices"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/mm"
	"hotplugsim/model/ttm"
	"hotplugsim/model/workqueue"
)

// Ioctl numbers of the xe drm_driver table.
const (
	IoctlGemCreate = iota
	IoctlGemClose
	IoctlExec
	IoctlUserptr
	IoctlPin
	IoctlPrimeExport
	IoctlPrimeImport
	numIoctls
)

// MaxBOPages bounds one BO (the model needs a few pages to tell mappings apart, not sizes).
const MaxBOPages = 4

var ioctlNames = [numIoctls]string{"XE_GEM_CREATE", "GEM_CLOSE", "XE_EXEC", "XE_VM_BIND_USERPTR",
	"XE_PIN", "PRIME_HANDLE_TO_FD", "PRIME_FD_TO_HANDLE"}

var (
	ioctlLabels = labelsOf(ioctlNames[:])
	spIoctl     = des.NewSpan("ioctl")
	spFault     = des.NewSpan("fault")
	spClose     = des.NewSpan("close")
	spWait      = des.NewSpan("wait")
)

func labelsOf(names []string) (l [numIoctls]des.Label) {
	for i, n := range names {
		l[i] = des.L(n)
	}
	return l
}

// drmDriver is the xe drm_driver, postclose tearing the file's objects down. Its ioctls run as
// xe_drm_ioctl runs them: drm_ioctl refuses an unplugged device at entry, and the handler runs
// outside drm_dev_enter; Options.IoctlDevEnter wraps every handler in drm_dev_enter.
func (x *Device) drmDriver() *drm.Driver {
	fns := [numIoctls]drm.IoctlFunc{x.ioctlGemCreate, x.ioctlGemClose, x.ioctlExec, x.ioctlUserptr,
		x.ioctlPin, x.ioctlPrimeExport, x.ioctlPrimeImport}
	drv := &drm.Driver{Name: "xe", IoctlsFailAfterUnplug: true,
		Postclose: func(p *des.Proc, f *drm.File) { f.Private.(*Client).release(p) },
		Release:   x.destroy}
	var flags drm.IoctlFlags
	if x.drv.opts.IoctlDevEnter {
		flags = drm.IoctlDevEnter
	}
	for i, fn := range fns {
		drv.Ioctls = append(drv.Ioctls, drm.IoctlDesc{Name: ioctlNames[i], Func: fn, Flags: flags})
	}
	return drv
}

// Client is one open of an xe device (struct xe_file) by a user process, with the objects it
// created: GEM handles, userptrs, dma-bufs it exported and attachments it imported.
type Client struct {
	x        *Device
	file     *drm.File
	mm       *mm.MM
	name     string
	label    des.Label
	bos      []*BO
	userptrs []*Userptr
	exports  []*Export
	imports  []*Attachment
	nbo      int
}

// BO is a GEM handle of a client on a TTM BO.
type BO struct {
	c      *Client
	tbo    *ttm.BO
	vma    *mm.VMA
	pinned bool
	label  des.Label
}

// TTM is the BO's ttm_buffer_object.
func (b *BO) TTM() *ttm.BO { return b.tbo }

// Pinned reports whether the client pinned the BO.
func (b *BO) Pinned() bool { return b.pinned }

// Open opens the bound instance (drm_open): ErrNoDev if the driver is unbound or the device
// unplugged.
func (d *Driver) Open(p *des.Proc, name string) (*Client, error) {
	x := d.cur
	if x == nil {
		return nil, ErrNoDev
	}
	return x.Open(p, name)
}

// Open opens this instance (drm_open). While it runs, the remove path does not drop the
// device's last reference: drm_minor_acquire looks the minor up and takes its reference
// under drm_minor_lock, which drm_dev_unregister also takes (see openers).
func (x *Device) Open(p *des.Proc, name string) (*Client, error) {
	x.openers++
	f, err := x.ddev.Open(p, name)
	if x.openers--; x.openers == 0 {
		x.openWQ.WakeAll()
	}
	if err != nil {
		return nil, err
	}
	c := &Client{x: x, file: f, name: name, label: des.L(name + "@" + x.label.String())}
	f.Private = c
	return c, nil
}

// Device is the instance the client opened.
func (c *Client) Device() *Device { return c.x }

// Closed reports whether the client's file was closed.
func (c *Client) Closed() bool { return c.file.Closed() }

// BOs returns the client's GEM handles.
func (c *Client) BOs() []*BO { return append([]*BO(nil), c.bos...) }

// ioctl runs ioctl nr through drm_ioctl inside the "ioctl" span.
func (c *Client) ioctl(p *des.Proc, nr int, arg any) error {
	spIoctl.Begin(p, ioctlLabels[nr], int64(nr), int64(c.x.gen))
	err := c.file.Ioctl(p, nr, arg)
	var ret int64
	switch {
	case errors.Is(err, drm.ErrNoDev):
		ret = -19 // -ENODEV
	case err != nil:
		ret = -1
	}
	spIoctl.End(p, ioctlLabels[nr], ret, int64(c.x.gen))
	return err
}

type gemCreateArgs struct {
	pages int
	place ttm.Placement
	out   *BO
}

// CreateBO is DRM_IOCTL_XE_GEM_CREATE: a BO of pages pages (capped at MaxBOPages) in place;
// TT pages are DMA-mapped through the device's IOMMU group.
func (c *Client) CreateBO(p *des.Proc, pages int, place ttm.Placement) (*BO, error) {
	a := &gemCreateArgs{pages: min(max(pages, 1), MaxBOPages), place: place}
	err := c.ioctl(p, IoctlGemCreate, a)
	return a.out, err
}

func (x *Device) ioctlGemCreate(p *des.Proc, f *drm.File, arg any) error {
	c, a := f.Private.(*Client), arg.(*gemCreateArgs)
	c.nbo++
	name := fmt.Sprintf("%s.%d", c.name, c.nbo)
	tbo, err := x.ttm.NewBO(p, name+"@"+x.label.String(), a.pages, a.place)
	if err != nil {
		return err
	}
	a.out = &BO{c: c, tbo: tbo, label: tbo.Label()}
	c.bos = append(c.bos, a.out)
	return nil
}

// CloseBO is DRM_IOCTL_GEM_CLOSE: the app unmaps the BO, then drops the handle (unpinning it).
func (c *Client) CloseBO(p *des.Proc, b *BO) error {
	if b.vma != nil && !b.vma.Removed() {
		if err := c.mm.Munmap(p, b.vma); err != nil {
			return err
		}
	}
	b.vma = nil
	return c.ioctl(p, IoctlGemClose, b)
}

func (x *Device) ioctlGemClose(p *des.Proc, f *drm.File, arg any) error {
	c, b := f.Private.(*Client), arg.(*BO)
	i := slices.Index(c.bos, b)
	if i < 0 {
		return drm.ErrInval
	}
	c.bos = slices.Delete(c.bos, i, i+1)
	c.dropBO(p, b)
	return nil
}

// dropBO releases a handle: unpin, then put (the final put unmaps the TT pages).
func (c *Client) dropBO(p *des.Proc, b *BO) {
	if b.pinned {
		lockResv(p, b.tbo)
		b.tbo.Unpin(p)
		b.tbo.Resv.Unlock(p)
		b.pinned = false
	}
	c.x.putBO(p, b.tbo)
}

type pinArgs struct {
	bo  *BO
	pin bool
}

// Pin pins (or unpins) a BO, as a scanout pin does: pinned BOs are skipped by eviction and
// must still lose their DMA mappings at remove.
func (c *Client) Pin(p *des.Proc, b *BO, pin bool) error {
	return c.ioctl(p, IoctlPin, &pinArgs{bo: b, pin: pin})
}

func (x *Device) ioctlPin(p *des.Proc, _ *drm.File, arg any) error {
	a := arg.(*pinArgs)
	if a.bo.pinned == a.pin {
		return nil
	}
	lockResv(p, a.bo.tbo)
	if a.pin {
		a.bo.tbo.Pin(p)
	} else {
		a.bo.tbo.Unpin(p)
	}
	a.bo.tbo.Resv.Unlock(p)
	a.bo.pinned = a.pin
	return nil
}

// Touch is a user CPU store to page page of the BO through its mmap (made on first use): a
// page fault when the PTE is not there, inside the "fault" span.
func (c *Client) Touch(p *des.Proc, b *BO, page int) error {
	if c.mm == nil {
		c.mm = mm.NewMM(p.Sim(), c.name, mm.Options{NoSIGBUS: true}) // the dummy page: no SIGBUS after unplug
		c.file.MM = c.mm                                             // the ioctls' user copies from here on
	}
	if b.vma == nil {
		v, err := b.tbo.Mmap(p, c.mm, nil)
		if err != nil {
			return err
		}
		b.vma = v
	}
	spFault.Begin(p, b.label, int64(page), 0)
	err := c.mm.Write(p, b.vma.Addr(page%b.vma.Pages))
	spFault.End(p, b.label, int64(page), 0)
	return err
}

type execArgs struct {
	imp *Attachment
	out *fence.Fence
}

// Exec is DRM_IOCTL_XE_EXEC: submit a job (a no-op batch, or one reading an imported dma-buf)
// and return its fence, with a reference the caller owns (its out-syncobj's) and puts.
func (c *Client) Exec(p *des.Proc, imp *Attachment) (*fence.Fence, error) {
	a := &execArgs{imp: imp}
	err := c.ioctl(p, IoctlExec, a)
	return a.out, err
}

// ExecWait is Exec, then a wait for the job's fence outside the ioctl (a syncobj wait), then
// the syncobj's destruction (drm_syncobj_free: dma_fence_put). It returns the fence's error
// (-ENODEV when the device went away under the job) as an error.
func (c *Client) ExecWait(p *des.Proc, imp *Attachment) error {
	f, err := c.Exec(p, imp)
	if err != nil {
		return err
	}
	defer f.Put(p)
	spWait.Begin(p, f.Label(), 0, 0)
	f.Wait(p)
	spWait.End(p, f.Label(), int64(f.Status()), 0)
	if f.Status() < 0 {
		return fmt.Errorf("job fence: %v", f.Error())
	}
	return nil
}

func (x *Device) ioctlExec(p *des.Proc, _ *drm.File, arg any) error {
	a := arg.(*execArgs)
	if a.imp == nil {
		a.out = x.submit(p)
		return nil
	}
	f, err := a.imp.exec(p, x)
	a.out = f
	return err
}

// submit rings the doorbell and emits a job on the ring (inside drm_dev_enter).
func (x *Device) submit(p *des.Proc) *fence.Fence {
	x.doorbell++
	x.regs.Write32(p, regDoorbell, x.doorbell)
	f := x.ring.Submit(p, x.drv.jobTime, false)
	// drm_sched_job_begin -> drm_sched_start_timeout: mod_delayed_work on the system
	// workqueue (xe passes no timeout_wq), a full timeout from this job on.
	workqueue.ModDelayedWork(p, workqueue.SystemWQ(x.drv.sim), x.tdr, JobTimeout)
	return f
}

// Close closes the client's file (drm_release): the app unmaps its BOs first, as exit_mm
// runs before exit_files; the driver's postclose then drops everything the file holds.
func (c *Client) Close(p *des.Proc) error {
	if c.file.Closed() {
		return drm.ErrBadF
	}
	spClose.Begin(p, c.label, 0, int64(c.x.gen))
	for _, b := range c.bos {
		if b.vma != nil && !b.vma.Removed() {
			if err := c.mm.Munmap(p, b.vma); err != nil && !errors.Is(err, mm.ErrKilled) {
				return err
			}
		}
		b.vma = nil
	}
	err := c.file.Close(p)
	spClose.End(p, c.label, 0, int64(c.x.gen))
	return err
}

// release is xe_file_close plus drm_gem_release: userptrs, imported attachments, exported
// dma-bufs, then the GEM handles.
func (c *Client) release(p *des.Proc) {
	for _, u := range append([]*Userptr(nil), c.userptrs...) {
		u.destroy(p)
	}
	for _, a := range append([]*Attachment(nil), c.imports...) {
		a.detach(p)
	}
	for _, e := range append([]*Export(nil), c.exports...) {
		dmabuf.Put(p, e.buf)
	}
	c.exports = nil
	for _, b := range c.bos {
		c.dropBO(p, b)
	}
	c.bos = nil
}
