package pci

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/mem"
	"hotplugsim/model/pm"
)

type devState uint8

const (
	statePending devState = iota // hardware present, not found by a scan yet
	stateAdded                   // in the device tree (pci_dev_is_added)
	stateRemoved                 // removed; may come back with Replug
)

// Dev is a PCI function: an endpoint with BARs, or a bridge with a subordinate bus.
type Dev struct {
	host     *Host
	id       int
	name     string
	label    des.Label
	bus      *Bus
	sub      *Bus
	bars     []*BAR
	hw       *mem.Owner
	drv      Driver
	bound    bool
	state    devState
	noBARs   bool // a scan could not fit its BARs: not probed (PCI_DEV_DISABLED_BARS)
	devres   Devres
	lock     *mutex // device_lock: probe and driver release
	drvdata  any
	stall    string   // metrics.BarMoveStall(name), metrics on
	prepAt   des.Time // when rescan_prepare was called (metrics on)
	prepped  bool
	rpm      *pm.Runtime    // nil: no runtime PM (EnableRuntimePM)
	errState ChannelState   // pci_dev->error_state; 0: never reported (normal)
	memOff   bool           // PCI_COMMAND_MEMORY cleared by the driver (ReadConfig16)
	resetWQ  *des.WaitQueue // woken when a reset ends a frozen channel (Link)
	refs     int            // get_device references beyond the bus's own
	slot     *Slot          // a bridge's pciehp slot (AddSlot), nil if none
	linkDown bool           // a bridge's link below is down (Secondary Bus Reset until trained)
	linkGen  int            // a bridge's Secondary Bus Resets so far
	// ignoreHotplug is pci_dev->ignore_hotplug (IgnoreHotplug)
	ignoreHotplug bool
}

// AddDevice adds an endpoint on bus with its BARs and the driver that will bind it (nil: no
// driver). Before Boot it is part of the boot topology; after, it is new hardware a Rescan
// finds (a hot-added device).
func (h *Host) AddDevice(bus *Bus, name string, drv Driver, bars ...BARSpec) (*Dev, error) {
	if err := h.checkAdd(bus, name); err != nil {
		return nil, err
	}
	d := h.newDev(bus, name, drv)
	seen := [MaxBARs]bool{}
	for _, s := range bars {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if seen[s.Index] {
			return nil, fmt.Errorf("pci: %s: BAR %d twice", name, s.Index)
		}
		seen[s.Index] = true
		b := barObjs.New(h.sim)
		b.dev, b.index, b.pref, b.fixed = d, s.Index, s.Prefetchable, s.Fixed
		b.sizes = append(b.sizes[:0], s.Sizes...)
		b.region = d.hw.NewRegion(des.JoinN(h.sim, "bar", uint64(s.Index)), s.Size)
		d.bars = append(d.bars, b)
	}
	sortBARs(d.bars)
	h.attach(d)
	return d, nil
}

// AddBridge adds a bridge on bus with its port driver (nil: none) and returns it; its
// secondary bus is Subordinate().
func (h *Host) AddBridge(bus *Bus, name string, drv Driver) (*Dev, error) {
	if err := h.checkAdd(bus, name); err != nil {
		return nil, err
	}
	if bus.depth+1 > MaxDepth {
		return nil, fmt.Errorf("pci: %s: bridges nested deeper than %d", name, MaxDepth)
	}
	d := h.newDev(bus, name, drv)
	d.sub = &Bus{host: h, name: name + ":bus", self: d, depth: bus.depth + 1}
	h.attach(d)
	return d, nil
}

func (h *Host) checkAdd(bus *Bus, name string) error {
	if bus == nil || bus.host != h {
		return errors.New("pci: bus of another host")
	}
	if name == "" {
		return errors.New("pci: device needs a name")
	}
	if len(h.devs) >= MaxDevices {
		return fmt.Errorf("pci: more than %d devices", MaxDevices)
	}
	for _, d := range h.devs {
		if d.name == name {
			return fmt.Errorf("pci: device %s twice", name)
		}
	}
	return nil
}

func (h *Host) newDev(bus *Bus, name string, drv Driver) *Dev {
	d := devs.New(h.sim)
	d.host, d.id, d.name, d.label, d.bus, d.drv = h, len(h.devs), name, des.L(name), bus, drv
	d.hw = h.space.NewOwner(name)
	d.lock = newMutex(h.sim, des.Join(h.sim, "device_lock:", name))
	d.devres.dev = d
	if h.rec.On() {
		d.stall = metrics.BarMoveStall(name)
	}
	return d
}

func (h *Host) attach(d *Dev) {
	h.devs = append(h.devs, d)
	d.bus.devices = append(d.bus.devices, d)
}

func sortBARs(bs []*BAR) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].index < bs[j-1].index; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}

// Name is the device name (its BDF, e.g. "0000:09:00.0").
func (d *Dev) Name() string { return d.name }

func (d *Dev) String() string { return d.name }

// Label is the name as a trace label.
func (d *Dev) Label() des.Label { return d.label }

// Host is the domain the device is in.
func (d *Dev) Host() *Host { return d.host }

// Bus is the bus the device sits on.
func (d *Dev) Bus() *Bus { return d.bus }

// Subordinate is a bridge's secondary bus (nil for endpoints).
func (d *Dev) Subordinate() *Bus { return d.sub }

// BAR returns BAR i, or nil if the device has none with that index.
func (d *Dev) BAR(i int) *BAR {
	for _, b := range d.bars {
		if b.index == i {
			return b
		}
	}
	return nil
}

// BARs returns the device's BARs by index.
func (d *Dev) BARs() []*BAR { return append([]*BAR(nil), d.bars...) }

// HW is the device's hardware (its owner in the address space).
func (d *Dev) HW() *mem.Owner { return d.hw }

// Driver is the device's driver (nil if it has none).
func (d *Dev) Driver() Driver { return d.drv }

// Bound reports whether the driver is bound (probe succeeded, not yet unbound).
func (d *Dev) Bound() bool { return d.bound }

// Added reports whether the device is in the device tree (found by a scan, not removed).
func (d *Dev) Added() bool { return d.state == stateAdded }

// Removed reports whether the device was removed (and not replugged since).
func (d *Dev) Removed() bool { return d.state == stateRemoved }

// SetDrvdata is pci_set_drvdata.
func (d *Dev) SetDrvdata(v any) { d.drvdata = v }

// Drvdata is pci_get_drvdata.
func (d *Dev) Drvdata() any { return d.drvdata }

var (
	evGetDevice = des.L("get_device")
	evPutDevice = des.L("put_device")
)

// GetDevice is get_device(&pdev->dev): a reference that keeps the struct device, not its
// driver's data, past a remove (model/firmware's RequestNowait holds one for the load).
func (d *Dev) GetDevice(p *des.Proc) {
	p.Trace(evGetDevice, d.label, int64(d.refs), 0)
	d.refs++
}

// PutDevice is put_device. A put without its get panics, as kobject_put's refcount
// underflow is a WARN the kernel follows with a use-after-free.
func (d *Dev) PutDevice(p *des.Proc) {
	if d.refs == 0 {
		panic(fmt.Sprintf("pci: put_device of %s without get_device", d.name))
	}
	d.refs--
	p.Trace(evPutDevice, d.label, int64(d.refs), 0)
}

// DeviceRefs is how many GetDevice references are held.
func (d *Dev) DeviceRefs() int { return d.refs }

// DeviceLock is device_lock(&pdev->dev): the mutex the driver core holds across probe and
// remove, and that a child's probe takes as its parent's (driver_probe_device with the bus's
// need_parent_lock, as the HD-audio codec bus sets it).
func (d *Dev) DeviceLock(p *des.Proc) {
	p.Trace(evDeviceLock, d.label, int64(d.id), 0)
	d.lock.lock(p)
}

// DeviceUnlock is device_unlock. Unlocking a lock p does not hold panics (a mutex released
// by another task is a kernel bug).
func (d *Dev) DeviceUnlock(p *des.Proc) {
	if d.lock.owner != p {
		panic(fmt.Sprintf("pci: device_unlock of %s by %v, which does not hold it", d.name, p))
	}
	p.Trace(evDeviceUnlock, d.label, int64(d.id), 0)
	d.lock.unlock()
}

// Devm is the device's devres list (devm_add_action and friends).
func (d *Dev) Devm() *Devres { return &d.devres }

var (
	evDeviceLock   = des.L("device_lock")
	evDeviceUnlock = des.L("device_unlock")
	evIsPresent    = des.L("pci_device_is_present")
	evIomap        = des.L("pci_iomap")
)

// IsPresent is pci_device_is_present (a scheduling point): false for a disconnected device
// (without touching the link), else a config read of the vendor id, false once the
// hardware is gone.
func (d *Dev) IsPresent(p *des.Proc) bool {
	p.Point(evIsPresent, d.label, 0, 0)
	return !d.IsDisconnected() && d.hw.Present()
}

// Iomap is pci_iomap(dev, bar, 0): an ioremap of the BAR's current range, or nil if the BAR
// does not exist or is unassigned.
func (d *Dev) Iomap(p *des.Proc, bar int) *mem.IOMem {
	b := d.BAR(bar)
	if b == nil || !b.Assigned() {
		if p != nil {
			p.Point(evIomap, d.label, int64(bar), -1)
		}
		return nil
	}
	return d.host.space.Ioremap(p, b.Start(), b.Size())
}

// walk calls fn on d and every device below it, parents first; bounded by MaxDepth.
func (d *Dev) walk(fn func(*Dev)) { d.walkDepth(fn, 0) }

func (d *Dev) walkDepth(fn func(*Dev), depth int) {
	if depth > MaxDepth {
		panic("pci: bus nesting deeper than MaxDepth")
	}
	fn(d)
	if d.sub != nil {
		for _, c := range d.sub.devices {
			c.walkDepth(fn, depth+1)
		}
	}
}

// Devres is a device's list of managed resources; actions run in reverse order of
// registration when the driver unbinds (devres_release_all), also after a failed probe.
type Devres struct {
	dev     *Dev
	actions []devmAction
	buf     []devmAction // the storage actions grew last, kept for recycling after a release drops it
}

type devmAction struct {
	name des.Label
	fn   func(p *des.Proc)
}

// AddAction is devm_add_action: fn runs on driver unbind, in the unbinding process.
func (r *Devres) AddAction(name string, fn func(p *des.Proc)) error {
	if len(r.actions) >= MaxDevm {
		return fmt.Errorf("pci: %s: more than %d devm actions", r.dev.name, MaxDevm)
	}
	r.actions = append(r.actions, devmAction{name: des.L(name), fn: fn})
	r.buf = r.actions
	return nil
}

// AddActionOrReset is devm_add_action_or_reset: if the action cannot be registered, it runs
// at once (in p) and the error is returned, so a probe can fail without leaking it.
func (r *Devres) AddActionOrReset(p *des.Proc, name string, fn func(p *des.Proc)) error {
	err := r.AddAction(name, fn)
	if err != nil {
		fn(p)
	}
	return err
}

// Len is the number of registered actions.
func (r *Devres) Len() int { return len(r.actions) }

var evDevm = des.L("devm-release")

// releaseAll is devres_release_all: release_nodes moves the list aside first, then runs it
// newest first, so an action registered by a release callback stays for the next release.
func (r *Devres) releaseAll(p *des.Proc) {
	todo := r.actions
	r.actions = nil
	for i := len(todo) - 1; i >= 0; i-- {
		p.Point(evDevm, todo[i].name, int64(r.dev.id), int64(i))
		todo[i].fn(p)
	}
}

// mutex is a sleeping lock (pci_rescan_remove_lock, device_lock); model/lock is not a
// dependency of pci.
type mutex struct {
	wq      *des.WaitQueue
	owner   *des.Proc
	ownerFn func() *des.Proc // m.owner; kept by a recycled mutex, whose address it binds
}

var (
	devs    = des.NewSlabKey[Dev]()
	barObjs = des.NewSlabKey[BAR]()
	hosts   = des.NewSlabKey[Host]()
	buses   = des.NewSlabKey[Bus]()
	mutexes = des.NewSlabKey[mutex]()
)

// Recycle keeps the capacity of the BAR and devres lists (des.Recycler).
func (d *Dev) Recycle() {
	clear(d.bars[:cap(d.bars)])
	clear(d.devres.buf[:cap(d.devres.buf)])
	*d = Dev{bars: d.bars[:0], devres: Devres{actions: d.devres.buf[:0], buf: d.devres.buf[:0]}}
}

// Recycle keeps the capacity of the sizes (des.Recycler).
func (b *BAR) Recycle() { *b = BAR{sizes: b.sizes[:0]} }

// Recycle keeps the capacity of the device lists (des.Recycler).
func (h *Host) Recycle() {
	clear(h.devs[:cap(h.devs)])
	clear(h.notifiers[:cap(h.notifiers)])
	*h = Host{devs: h.devs[:0], notifiers: h.notifiers[:0]}
}

// Recycle keeps the capacity of the device list (des.Recycler).
func (b *Bus) Recycle() {
	clear(b.devices[:cap(b.devices)])
	*b = Bus{devices: b.devices[:0]}
}

// Recycle keeps the owner function, which reads the same mutex (des.Recycler).
func (m *mutex) Recycle() { *m = mutex{ownerFn: m.ownerFn} }

func newMutex(sim *des.Sim, name string) *mutex {
	m := mutexes.New(sim)
	m.wq = des.NewWaitQueue(sim, name)
	if m.ownerFn == nil {
		m.ownerFn = func() *des.Proc { return m.owner }
	}
	m.wq.SetOwner(m.ownerFn)
	return m
}

var rescanRemoveKey = des.NewSimKey[mutex]()

// rescanRemoveLock is pci_rescan_remove_lock: one mutex for the whole simulation, as the
// kernel's is one static mutex for every domain (drivers/pci/probe.c).
func rescanRemoveLock(sim *des.Sim) *mutex {
	return rescanRemoveKey.Get(sim, func(sim *des.Sim) *mutex { return newMutex(sim, "pci_rescan_remove_lock") })
}

func (m *mutex) lock(p *des.Proc) {
	m.wq.Wait(p, func() bool { return m.owner == nil })
	m.owner = p
}

func (m *mutex) unlock() {
	m.owner = nil
	m.wq.WakeOne()
}
