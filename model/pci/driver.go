package pci

import (
	"fmt"

	"hotplugsim/des"
)

// Driver is a struct pci_driver: Probe binds the device, Remove unbinds it. The optional
// movable-BARs hooks are separate interfaces, found with type assertions.
type Driver interface {
	Name() string
	Probe(p *des.Proc, d *Dev) error
	Remove(p *des.Proc, d *Dev)
}

// BarFixer is the optional .bar_fixed hook: whether BAR bar must stay where it is during a
// rescan. Without it, a driver with RescanPrepare has all BARs movable.
type BarFixer interface {
	BarFixed(d *Dev, bar int) bool
}

// RescanPreparer is the optional .rescan_prepare hook: stop touching the device and iounmap
// everything; its BARs may move until RescanDone. A driver without it keeps its BARs fixed.
type RescanPreparer interface {
	RescanPrepare(p *des.Proc, d *Dev)
}

// RescanDoner is the optional .rescan_done hook: ioremap the (maybe moved) BARs and resume.
type RescanDoner interface {
	RescanDone(p *des.Proc, d *Dev)
}

// Notifier is a bus notifier (bus_register_notifier): AddDevice runs when a device enters
// the device tree (BUS_NOTIFY_ADD_DEVICE; p is nil at Boot), RemovedDevice when it has
// left it, after its driver was unbound and its devm actions ran
// (BUS_NOTIFY_REMOVED_DEVICE). Either may be nil.
type Notifier struct {
	Name          string
	AddDevice     func(p *des.Proc, d *Dev)
	RemovedDevice func(p *des.Proc, d *Dev)
}

// RegisterNotifier adds n after the notifiers already registered and calls its AddDevice for
// every device already in the tree (as bus_iommu_probe does for an IOMMU registered late).
func (h *Host) RegisterNotifier(n Notifier) error {
	if len(h.notifiers) >= MaxNotifier {
		return fmt.Errorf("pci: more than %d notifiers", MaxNotifier)
	}
	h.notifiers = append(h.notifiers, n)
	if n.AddDevice == nil {
		return nil
	}
	for _, d := range h.devs {
		if d.state == stateAdded {
			n.AddDevice(h.sim.Current(), d)
		}
	}
	return nil
}

var (
	evAdd      = des.L("pci-add-device")
	evRemoved  = des.L("pci-removed-device")
	evProbe    = des.L("pci-probe")
	evBound    = des.L("pci-bound")
	evProbeErr = des.L("pci-probe-failed")
	evUnbind   = des.L("pci-remove-driver")
	evUnbound  = des.L("pci-unbound")
)

func (h *Host) notifyAdd(p *des.Proc, d *Dev) {
	h.sim.Emit(p, evAdd, d.label, int64(d.id), 0)
	for _, n := range h.notifiers {
		if n.AddDevice != nil {
			n.AddDevice(p, d)
		}
	}
}

func (h *Host) notifyRemoved(p *des.Proc, d *Dev) {
	p.Point(evRemoved, d.label, int64(d.id), 0)
	for _, n := range h.notifiers {
		if n.RemovedDevice != nil {
			n.RemovedDevice(p, d)
		}
	}
}

// probe is device_attach -> really_probe under the device_lock: bind, call Probe, undo the
// devres of a failed probe. A device whose driver the remove path already released is not
// probed again (ENODEV; the kernel's short window before device_del is not modelled).
func (h *Host) probe(p *des.Proc, d *Dev) error {
	if d.drv == nil || d.bound || d.state != stateAdded || d.noBARs {
		return nil
	}
	d.lock.lock(p)
	defer d.lock.unlock()
	if d.state != stateAdded || d.hw.Removed() {
		return ErrNoDevice
	}
	if d.bound {
		return nil
	}
	if d.devres.Len() > 0 {
		return fmt.Errorf("pci: %s: %w", d.name, ErrResourcesPresent)
	}
	p.Point(evProbe, d.label, int64(d.id), 0)
	d.rpmBeforeProbe(p)
	d.bound = true
	if err := d.drv.Probe(p, d); err != nil {
		d.rpmAfterProbe(p, true)
		d.devres.releaseAll(p)
		d.bound, d.drvdata = false, nil
		p.Trace(evProbeErr, d.label, int64(d.id), 0)
		return fmt.Errorf("pci: %s: probe of %s failed: %w", d.drv.Name(), d.name, err)
	}
	d.rpmAfterProbe(p, false)
	p.Trace(evBound, d.label, int64(d.id), 0)
	return nil
}

// releaseDriver is device_release_driver: under the device_lock, .remove, then
// devres_release_all.
func (h *Host) releaseDriver(p *des.Proc, d *Dev) {
	if !d.bound {
		return
	}
	d.lock.lock(p)
	defer d.lock.unlock()
	if !d.bound {
		return
	}
	p.Point(evUnbind, d.label, int64(d.id), 0)
	d.rpmBeforeRemove(p)
	d.drv.Remove(p, d)
	d.rpmAfterRemove(p)
	h.observeRemove(p)
	d.devres.releaseAll(p)
	d.bound, d.drvdata = false, nil
	p.Trace(evUnbound, d.label, int64(d.id), 0)
}

// barFixed is pci_dev_bar_fixed for a device that is in the tree.
func barFixed(b *BAR) bool {
	d := b.dev
	switch {
	case b.fixed && b.Assigned():
		return true
	case !b.Assigned():
		return false
	case !d.hw.Present():
		return true // nothing to reprogram on a device that is gone
	case !d.bound:
		return false
	}
	if f, ok := d.drv.(BarFixer); ok {
		return f.BarFixed(d, b.index)
	}
	_, movable := d.drv.(RescanPreparer)
	return !movable
}
