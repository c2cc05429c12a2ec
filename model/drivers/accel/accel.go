package accel

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/mem"
	"hotplugsim/model/pci"
)

// DriverName is the driver's name in a Spec.
const DriverName = "accel"

// The PCI layout and the times of the driver.
const (
	// HostBase and HostSize are the host bridge aperture of the scenario's domain.
	HostBase = 0xc000_0000
	HostSize = 1 << 30
	// BARSize is BAR 0, the register file.
	BARSize = 64 << 10
	// ReinitTime is accel_hw_reinit's firmware reload and ring set-up after a reset.
	ReinitTime = 10 * des.Millisecond
	// QuiesceTime is accel_hw_stop's wait for the engine to go idle before a reset (the
	// in-dev-enter designs).
	QuiesceTime = des.Millisecond
	regInit     = 0x0
	regDoor     = 0x100
)

// BAR returns the device's BAR 0 as pci.Host.AddDevice takes it.
func BAR() pci.BARSpec { return pci.BARSpec{Index: 0, Size: BARSize} }

// Errors the file operations return.
var (
	ErrNoDevice = errors.New("accel: device gone (ENODEV)")
	ErrBusy     = errors.New("accel: reset in progress (EBUSY)")
)

// Call chains of the hw context's KASAN object and of the accesses to it, innermost first.
var (
	chainHWInit    = []string{"accel_hw_init", "accel_pci_probe", "local_pci_probe"}
	chainHWFini    = []string{"accel_hw_fini", "accel_pci_remove", "pci_device_remove", "device_release_driver"}
	chainHWPciehp  = []string{"accel_hw_fini", "accel_pci_remove", "pci_device_remove", "device_release_driver", "pci_stop_and_remove_bus_device", "pciehp_unconfigure_device", "pciehp_disable_slot", "pciehp_handle_presence_or_link_change", "pciehp_ist"}
	callersIoctl   = []string{"accel_ioctl", "__x64_sys_ioctl"}
	callersReset   = []string{"accel_ioctl_reset", "accel_ioctl", "__x64_sys_ioctl"}
	accessSubmit   = kasan.Access{Func: "accel_ioctl_submit", Callers: callersIoctl}
	accessReset    = kasan.Access{Func: "accel_ioctl_reset", Callers: callersIoctl}
	accessReinit   = kasan.Access{Func: "accel_hw_reinit", Callers: callersReset, Write: true}
	accessHWStart  = kasan.Access{Func: "accel_hw_start", Callers: append([]string{"accel_hw_reinit"}, callersReset...)}
	accessMarkDead = kasan.Access{Func: "accel_hw_mark_dead", Callers: callersReset, Write: true}
	accessHWStop   = kasan.Access{Func: "accel_hw_stop", Callers: callersReset, Write: true}
)

var (
	evOpen      = des.L("accel_open")
	evSubmit    = des.L("accel_ioctl_submit")
	evReset     = des.L("accel_ioctl_reset")
	evResetDone = des.L("accel_ioctl_reset: done")
	evDrain     = des.L("accel: wait for ioctls")
	evResetGone = des.L("accel_ioctl_reset: device gone")
)

// Config names one device's driver instance.
type Config struct {
	Name   string // the device's name in the Spec
	Policy string // "" means DefaultPolicy
}

// Accel is the driver of one accelerator function: the pci.Driver, and the instance of its
// current binding (nil while unbound). An open file pins the instance it opened, not the
// hardware context, which .remove frees.
type Accel struct {
	sim    *des.Sim
	cfg    Config
	pol    Policy
	lbl    des.Label
	hwName string
	dev    *pci.Dev
	cur    *Device
	probes int
	resets int
	stats  Stats
}

// Stats counts the SUBMIT ioctls: done, refused with EBUSY during a reset, and done after a
// completed reset.
type Stats struct {
	Submitted, Busy, AfterReset int
}

var _ pci.Driver = (*Accel)(nil)

// Device is struct accel_device, one per probe: the hardware context (struct accel_hw, a
// KASAN object kzalloc'd in probe and kfree'd in .remove), the register mapping, and the
// state the ioctls share. Open files keep it; .remove marks it gone.
type Device struct {
	a         *Accel
	hw        kasan.Obj
	regs      *mem.IOMem
	gone      bool // .remove ran (drm_dev_unplug)
	resetting bool // RESET_DEVICE is running: submissions get EBUSY
	inflight  int  // submissions inside drm_dev_enter
	wq        *des.WaitQueue
	seq       uint32
}

var devices = des.NewSlabKey[Device]()

// Recycle empties the instance (des.Recycler).
func (x *Device) Recycle() { *x = Device{} }

// New makes the driver of the device cfg names.
func New(sim *des.Sim, cfg Config) (*Accel, error) {
	if cfg.Policy == "" {
		cfg.Policy = DefaultPolicy
	}
	pol, err := ParsePolicy(cfg.Policy)
	if err != nil {
		return nil, err
	}
	return &Accel{sim: sim, cfg: cfg, pol: pol, lbl: des.L(cfg.Name), hwName: "accel_hw:" + cfg.Name}, nil
}

// Name is the driver name.
func (a *Accel) Name() string { return DriverName }

// Policy is the driver's reset policy.
func (a *Accel) Policy() Policy { return a.pol }

// Bound reports whether an instance is bound.
func (a *Accel) Bound() bool { return a.cur != nil }

// Probes is how many times the driver was probed (a re-enumeration probes it again).
func (a *Accel) Probes() int { return a.probes }

// Resets is how many RESET_DEVICE ioctls completed.
func (a *Accel) Resets() int { return a.resets }

// Stats returns the SUBMIT counts.
func (a *Accel) Stats() Stats { return a.stats }

// Probe is accel_pci_probe: a new instance, its hardware context (accel_hw_init), BAR 0
// mapped and the engine initialised.
func (a *Accel) Probe(p *des.Proc, d *pci.Dev) error {
	x := devices.New(a.sim)
	x.a = a
	x.wq = des.NewWaitQueue(a.sim, des.Join(a.sim, "accel-ioctls:", a.cfg.Name))
	if x.regs = d.Iomap(p, 0); x.regs == nil {
		return pci.ErrNoDevice
	}
	x.hw.AllocIn(a.sim, p, a.hwName, chainHWInit...)
	x.regs.Write32(p, regInit, 1)
	a.dev, a.cur = d, x
	d.SetDrvdata(x)
	a.probes++
	return nil
}

// Remove is accel_pci_remove: mark the instance gone and wait for the submissions inside
// drm_dev_enter (drm_dev_unplug), iounmap, free the hardware context (accel_hw_fini).
func (a *Accel) Remove(p *des.Proc, d *pci.Dev) {
	x := a.cur
	a.cur = nil
	x.gone = true
	x.wq.Wait(p, func() bool { return x.inflight == 0 })
	x.regs.Iounmap(p)
	chain := chainHWFini
	if br := d.Bus().Self(); br != nil && br.Slot() != nil && br.Slot().IST() == p {
		chain = chainHWPciehp
	}
	x.hw.FreeIn(p, chain...)
}

// File is an open /dev/accel file: it keeps the instance it opened.
type File struct{ x *Device }

// Open opens the device: ENODEV while no instance is bound.
func (a *Accel) Open(p *des.Proc) (*File, error) {
	p.Point(evOpen, a.lbl, 0, 0)
	if a.cur == nil {
		return nil, ErrNoDevice
	}
	return &File{x: a.cur}, nil
}

// Submit is the SUBMIT ioctl: inside drm_dev_enter (ENODEV once .remove ran), EBUSY during a
// reset, else a doorbell write.
func (f *File) Submit(p *des.Proc) error {
	x := f.x
	p.Point(evSubmit, x.a.lbl, int64(x.seq), 0)
	switch {
	case x.gone:
		return ErrNoDevice
	case x.resetting:
		x.a.stats.Busy++
		return ErrBusy
	}
	x.inflight++
	defer x.exit()
	if !x.hw.Access(p, accessSubmit) {
		return ErrNoDevice
	}
	x.seq++
	x.regs.Write32(p, regDoor, x.seq)
	x.a.stats.Submitted++
	if x.a.resets > 0 {
		x.a.stats.AfterReset++
	}
	return nil
}

func (x *Device) exit() {
	x.inflight--
	x.wq.WakeAll()
}
