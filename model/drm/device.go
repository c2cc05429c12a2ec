package drm

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/kasan"
	"hotplugsim/model/mm"
)

// Errors the DRM core returns.
var (
	ErrNoDev = errors.New("-ENODEV")
	ErrInval = errors.New("-EINVAL")
	ErrBadF  = errors.New("-EBADF")
	ErrMFile = errors.New("-EMFILE")
	ErrNoMem = errors.New("-ENOMEM")
)

// Bounds.
const (
	MaxActions = 4096 // drmm actions per device
	MaxFiles   = 1024 // open drm_files per device
)

// Driver is the part of struct drm_driver the model runs: hooks (all optional) and the
// ioctl table.
type Driver struct {
	Name      string
	Open      func(p *des.Proc, f *File) error // drm_driver.open
	Postclose func(p *des.Proc, f *File)       // drm_driver.postclose
	Lastclose func(p *des.Proc, d *Device)     // drm_driver.lastclose
	Release   func(p *des.Proc, d *Device)     // drm_driver.release, before drmm actions
	Ioctls    []IoctlDesc                      // indexed by ioctl number
	// IoctlsFailAfterUnplug is the promise that an ioctl after drm_dev_unplug fails with
	// -ENODEV; breaking it is oracle.IoctlAfterUnplug.
	IoctlsFailAfterUnplug bool
}

// action is one drmm-managed release action.
type action struct {
	name string
	fn   func(p *des.Proc)
}

// Device is struct drm_device. It is freed (KASAN) when the last reference is dropped,
// which may be long after the PCI device is gone.
type Device struct {
	kasan.Obj
	sim          *des.Sim
	drv          *Driver
	ref          int
	unplugged    bool
	unplugSynced bool // drm_dev_unplug's synchronize_srcu returned
	registered   bool
	openCount    int
	files        []*File
	managed      []action // registration order
	mapping      *mm.Mapping
	lUnplug      des.Label
	rec          *metrics.Recorder // nil: metrics off
	ioctlMetric  []string          // metrics.Ioctl(name) per ioctl number (metrics on)
	unplugAt     des.Time          // when the unplug of this device began (metrics on)
	unplugKnown  bool
	devPut       func(p *des.Proc) // d.DevPut, made once per address
}

var (
	evDevGet     = des.L("drm_dev_get")
	evDevPut     = des.L("drm_dev_put")
	evRelease    = des.L("drm_dev_release")
	evDrmm       = des.L("drmm_release")
	evUnplug     = des.L("drm_dev_unplug")
	evUnplugD    = des.L("drm_dev_unplugged")
	evRegister   = des.L("drm_dev_register")
	evUnregister = des.L("drm_dev_unregister")
)

// DevAlloc is drm_dev_alloc: a device with one reference (the caller's), its anon inode
// mapping, and drm_dev_init_release as its first drmm action. p may be nil in set-up code.
func DevAlloc(sim *des.Sim, p *des.Proc, name string, drv *Driver) *Device {
	if drv == nil {
		drv = &Driver{Name: name}
	}
	d := devices.New(sim)
	d.sim, d.drv, d.ref, d.lUnplug = sim, drv, 1, des.L(des.Join(sim, name, ".unplug"))
	d.initMetrics()
	d.Alloc(sim, p, des.Join(sim, "drm_device:", name))
	d.mapping = mm.NewMapping(sim, des.Join(sim, name, ".anon_inode"))
	d.managed = append(d.managed, action{"drm_dev_init_release", func(*des.Proc) {}})
	return d
}

var (
	devices = des.NewSlabKey[Device]()
	files   = des.NewSlabKey[File]()
)

// Recycle keeps the capacity of the file and action lists and the DevPut method value, which
// binds the same address (des.Recycler).
func (d *Device) Recycle() {
	clear(d.files[:cap(d.files)])
	clear(d.managed[:cap(d.managed)])
	*d = Device{files: d.files[:0], managed: d.managed[:0], devPut: d.devPut}
}

// Devres is what devm-managed allocation needs of the parent device: devm_add_action.
// model/pci.Devres (released at driver unbind, right after .remove) satisfies it.
type Devres interface {
	AddAction(name string, fn func(p *des.Proc)) error
}

// DevmDrmDevAlloc is devm_drm_dev_alloc: DevAlloc plus a devm action on parent that drops
// the initial reference at unbind. The device lives on while files or others hold refs.
func DevmDrmDevAlloc(sim *des.Sim, p *des.Proc, parent Devres, name string, drv *Driver) (*Device, error) {
	d := DevAlloc(sim, p, name, drv)
	if d.devPut == nil {
		d.devPut = d.DevPut
	}
	if err := parent.AddAction("devm_drm_dev_init_release", d.devPut); err != nil {
		d.DevPut(p)
		return nil, err
	}
	return d, nil
}

// Mapping is dev->anon_inode->i_mapping: every BO mmap of the device maps it.
func (d *Device) Mapping() *mm.Mapping { return d.mapping }

// Driver is dev->driver.
func (d *Device) Driver() *Driver { return d.drv }

// Refcount is the kref count.
func (d *Device) Refcount() int { return d.ref }

// OpenCount is dev->open_count.
func (d *Device) OpenCount() int { return d.openCount }

// Unplugged reads dev->unplugged without SRCU (tests, oracles).
func (d *Device) Unplugged() bool { return d.unplugged }

// DevGet is drm_dev_get. p may be nil in set-up code. Like every access below, it is checked
// after its scheduling point, where it touches the kref: a final put in that window is a
// use-after-free.
func (d *Device) DevGet(p *des.Proc) {
	if p != nil {
		p.Point(evDevGet, d.Label(), int64(d.ref), 0)
	}
	if !d.krefLive(p, "drm_dev_get", "addition on 0") {
		return
	}
	d.ref++
}

// minorAcquire is the drm_dev_get inside drm_minor_acquire: taken under drm_minor_lock with
// the minor lookup, so it is traced but is not a scheduling point.
func (d *Device) minorAcquire(p *des.Proc) {
	p.Trace(evDevGet, d.Label(), int64(d.ref), 0)
	d.ref++
}

// DevPut is drm_dev_put: the final put runs drm_dev_release (driver release, then the drmm
// actions in reverse order) and frees the device.
func (d *Device) DevPut(p *des.Proc) {
	p.Point(evDevPut, d.Label(), int64(d.ref), 0)
	if !d.krefLive(p, "drm_dev_put", "underflow") {
		return
	}
	d.ref--
	if d.ref == 0 {
		d.release(p)
	}
}

// krefLive checks an access to the kref: the device must not be freed (KASAN), nor on its
// way there (ref 0, drm_dev_release running: lib/refcount.c warns "refcount_t: <how>;
// use-after-free" and the object is then freed under the caller).
func (d *Device) krefLive(p *des.Proc, what, how string) bool {
	if !d.Use(p, what) {
		return false
	}
	if d.ref > 0 {
		return true
	}
	refcountWarn(d.sim, p, d.Label(), what, how)
	return false
}

func (d *Device) release(p *des.Proc) {
	p.Trace(evRelease, d.Label(), 0, 0)
	d.registered = false // drm_minor_free (a drmm action): the minor table no longer finds it
	d.observeRelease(p)
	if d.drv.Release != nil {
		d.drv.Release(p, d)
	}
	d.managedRelease(p)
	d.Free(p)
}

// managedRelease is drm_managed_release: newest action first. An action that adds another
// one (it should not) gets it run too, within the bound.
func (d *Device) managedRelease(p *des.Proc) {
	for n := 0; n < MaxActions && len(d.managed) > 0; n++ {
		a := d.managed[len(d.managed)-1]
		d.managed = d.managed[:len(d.managed)-1]
		p.Point(evDrmm, d.Label(), int64(len(d.managed)), 0)
		a.fn(p)
	}
}

// DrmmAddAction is drmm_add_action: fn runs at the final DevPut, newest first.
func (d *Device) DrmmAddAction(p *des.Proc, name string, fn func(p *des.Proc)) error {
	if !d.Use(p, "drmm_add_action") {
		return ErrNoDev
	}
	if len(d.managed) >= MaxActions {
		return errors.New("-ENOMEM")
	}
	d.managed = append(d.managed, action{name, fn})
	return nil
}

// DrmmAddActionOrReset is drmm_add_action_or_reset: if the action cannot be registered, it
// runs at once and the error is returned.
func (d *Device) DrmmAddActionOrReset(p *des.Proc, name string, fn func(p *des.Proc)) error {
	err := d.DrmmAddAction(p, name, fn)
	if err != nil {
		fn(p)
	}
	return err
}

// DrmmActions lists the pending drmm actions in the order they would run.
func (d *Device) DrmmActions() []string {
	out := make([]string, 0, len(d.managed))
	for i := len(d.managed) - 1; i >= 0; i-- {
		out = append(out, d.managed[i].name)
	}
	return out
}

// DevRegister is drm_dev_register: the device can be opened. p may be nil in set-up code.
// Registering a registered device panics: drm_minor_register would device_add its minors a
// second time, which fails (drm_drv.c).
//
// Registration can fail part way, at the fault site SiteMinorRegister (des.Config.Faults):
// drm_dev_register registers the render minor first, which drm_open finds at once, then the
// primary; when the primary's drm_minor_register fails, err_minors unregisters the render
// minor again and the error (-ENOMEM) goes back to the probe. An open that came in between
// keeps its file and its device reference while the probe unwinds.
func (d *Device) DevRegister(p *des.Proc) error {
	if p != nil {
		p.Point(evRegister, d.Label(), 1, 0)
	}
	if !d.Use(p, "drm_dev_register") {
		return ErrNoDev
	}
	if d.registered {
		panic(fmt.Sprintf("drm: drm_dev_register of %s: registered -> register: already registered", d.Name()))
	}
	if p != nil && d.sim.Fault(p, SiteMinorRegister) {
		d.registered = true                  // the render minor: drm_minor_acquire finds it from here
		p.Point(evRegister, d.Label(), 2, 0) // drm_minor_register(dev, DRM_MINOR_PRIMARY) fails
		d.registered = false                 // err_minors: drm_minor_unregister of both minors
		p.Trace(evUnregister, d.Label(), 0, 0)
		return ErrNoMem
	}
	d.registered = true
	return nil
}

// SiteMinorRegister is the fault site of drm_dev_register's second drm_minor_register (the
// primary node): see DevRegister.
const SiteMinorRegister = "drm_minor_register"

// DevUnregister is drm_dev_unregister: no new opens. It may run on a device that is not
// registered (never, or no longer: drm_dev_unplug unregisters, and drivers unregister after
// it): drm_minor_unregister returns early for a minor that is not registered (drm_drv.c).
func (d *Device) DevUnregister(p *des.Proc) {
	p.Point(evUnregister, d.Label(), 0, 0)
	if !d.Use(p, "drm_dev_unregister") {
		return
	}
	d.registered = false
}

func (d *Device) String() string { return fmt.Sprintf("drm_device(%s)", d.Name()) }
