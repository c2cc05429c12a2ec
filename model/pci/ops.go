package pci

import (
	"errors"
	"fmt"

	"hotplugsim/des"
)

var (
	evBoot      = des.L("pci-boot")
	evRemove    = des.L("pci-stop-and-remove")
	evUnplug    = des.L("pci-surprise-down")
	evRescan    = des.L("pci-rescan")
	evPrepare   = des.L("rescan-prepare")
	evDone      = des.L("rescan-done")
	evRelease   = des.L("bar-release")
	evAssign    = des.L("bar-assign")
	evMove      = des.L("bar-move")
	evResize    = des.L("bar-resize")
	evNoBARs    = des.L("bar-disabled")
	evReplug    = des.L("pci-replug")
	evLockOp    = des.L("pci-lock")
	evUnbindOp  = des.L("pci-unbind")
	evBindOp    = des.L("pci-bind")
	evProbeAll  = des.L("pci-probe-all")
	evResizeReq = des.L("pci-resize-bar")
)

// Boot assigns every BAR the way firmware does (device order, bottom-up) and adds every
// device to the tree, before the simulation runs. Drivers bind later, with ProbeAll.
func (h *Host) Boot() error {
	if h.booted {
		return errors.New("pci: booted twice")
	}
	for _, d := range h.devs {
		d.state = stateAdded
	}
	out, err := h.plan(&planner{ord: biosOrder, boot: true})
	if err != nil {
		for _, d := range h.devs {
			d.state = statePending
		}
		return fmt.Errorf("pci: boot layout: %w", err)
	}
	h.booted = true
	h.apply(nil, out)
	h.sim.Emit(nil, evBoot, h.label, int64(len(h.devs)), 0)
	for _, d := range h.devs {
		h.notifyAdd(nil, d)
	}
	return nil
}

// ProbeAll binds every device in the tree that has a driver and is not bound, parents first.
// It returns the first probe error (the other devices are still probed). It holds
// pci_rescan_remove_lock, which driver_register does not: a simplification, see doc.go.
func (h *Host) ProbeAll(p *des.Proc) error {
	h.enter(p, evProbeAll, h.label)
	defer h.lock.unlock()
	return h.probeTree(p)
}

func (h *Host) probeTree(p *des.Proc) error {
	var first error
	for _, d := range h.treeOrder() {
		if err := h.probe(p, d); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Bind probes d's driver (a write to the driver's bind file in sysfs: bind_store takes the
// device_lock only, so it runs concurrently with a rescan or a remove of other devices).
func (h *Host) Bind(p *des.Proc, d *Dev) error {
	p.Point(evBindOp, d.label, 0, 0)
	if d.state != stateAdded {
		return ErrNoDevice
	}
	return h.probe(p, d)
}

// Unbind releases d's driver (unbind_store -> device_release_driver under the device_lock,
// not pci_rescan_remove_lock): .remove, then the devm actions. The device stays in the tree,
// its hardware untouched.
func (h *Host) Unbind(p *des.Proc, d *Dev) {
	h.beginUnplug(p)
	defer h.endUnplug(p)
	p.Point(evUnbindOp, d.label, 0, 0)
	h.releaseDriver(p, d)
}

// Unplug makes d and everything below it vanish from the link (surprise removal, before
// pciehp runs the remove): reads return ~0, IsPresent is false. p may be nil.
func (h *Host) Unplug(p *des.Proc, d *Dev) {
	h.markUnplug()
	h.sim.Emit(p, evUnplug, d.label, int64(d.id), 0)
	d.walk(func(x *Dev) { x.hw.Unplug(p) })
}

// SurpriseRemove is a surprise removal as pciehp handles it: the device is gone (Unplug),
// then pciehp unconfigures the slot (PciehpUnconfigure).
func (h *Host) SurpriseRemove(p *des.Proc, d *Dev) {
	h.Unplug(p, d)
	h.PciehpUnconfigure(p, d)
}

// PciehpUnconfigure is pciehp_unconfigure_device for the slot d sits in: if the card is no
// longer present, d and everything below it are marked disconnected first
// (pci_dev_set_disconnected: error_state = perm_failure, so IsDisconnected is true and
// config accesses fail) and only then does the remove sequence run the drivers' .remove.
func (h *Host) PciehpUnconfigure(p *des.Proc, d *Dev) { h.pciehpUnconfigure(p, d, d.hw.Present()) }

// pciehpUnconfigure is pciehp_unconfigure_device(ctrl, presence) for d: without presence (a
// surprise removal, as pciehp_disable_slot(ctrl, SURPRISE_REMOVAL) passes), d and everything
// below it are marked disconnected before the remove sequence.
func (h *Host) pciehpUnconfigure(p *des.Proc, d *Dev, presence bool) {
	if !presence {
		d.walk(func(x *Dev) {
			if x.state == stateAdded {
				x.errState = ChannelPermFailure
			}
		})
	}
	h.Remove(p, d)
}

// Remove is pci_stop_and_remove_bus_device_locked (echo 1 > .../remove): stop the subtree
// (unbind every driver, children first), then destroy it (bus notifiers' RemovedDevice,
// release the BARs). p is the remove path of every device in the subtree while it runs.
func (h *Host) Remove(p *des.Proc, d *Dev) {
	h.beginUnplug(p)
	defer h.endUnplug(p)
	h.enter(p, evRemove, d.label)
	defer h.lock.unlock()
	if d.state != stateAdded {
		return
	}
	d.walk(func(x *Dev) {
		if x.state == stateAdded {
			x.hw.BeginRemove(p)
		}
	})
	h.stop(p, d, 0)
	h.destroy(p, d, 0)
}

func (h *Host) stop(p *des.Proc, d *Dev, depth int) {
	if d.state != stateAdded {
		return
	}
	if d.sub != nil && depth < MaxDepth {
		for i := len(d.sub.devices) - 1; i >= 0; i-- {
			h.stop(p, d.sub.devices[i], depth+1)
		}
	}
	h.releaseDriver(p, d)
	d.hw.MarkRemoved(p)
}

func (h *Host) destroy(p *des.Proc, d *Dev, depth int) {
	if d.state != stateAdded {
		return
	}
	if d.sub != nil && depth < MaxDepth {
		for _, c := range d.sub.devices {
			h.destroy(p, c, depth+1)
		}
		d.sub.win.ok = false
	}
	h.notifyRemoved(p, d)
	for _, b := range d.bars {
		if b.Assigned() {
			p.Point(evRelease, d.label, int64(b.index), int64(b.Start()))
			b.region.Release()
		}
	}
	d.state, d.noBARs = stateRemoved, false
	d.hw.EndRemove(p)
}

// Replug brings back a removed device and everything that was below it (the slot's presence
// detect fired) and rescans, which assigns their BARs and probes them.
func (h *Host) Replug(p *des.Proc, d *Dev) error { return h.replug(p, d, false) }

// replug is Replug; with present, as pciehp_configure_device's scan: a device whose hardware
// is gone (a card pulled while the rescan waited for the lock) stays removed.
func (h *Host) replug(p *des.Proc, d *Dev, present bool) error {
	if d.state != stateRemoved || (d.bus.self != nil && d.bus.self.state != stateAdded) {
		p.Point(evReplug, d.label, -1, 0)
		return ErrNoDevice
	}
	h.enter(p, evReplug, d.label)
	defer h.lock.unlock()
	d.walk(func(x *Dev) {
		if x.state == stateRemoved && (!present || x.hw.Present()) {
			x.hw.Replug(p)
			x.errState, x.memOff = 0, false
			x.state = statePending
		}
	})
	_, err := h.rescan(p, nil, 0)
	return err
}

// Rescan is pci_rescan_bus on the root with movable BARs (echo 1 > /sys/bus/pci/rescan). It
// probes the devices it found; an unbound device stays unbound. Host operations hold the
// rescan/remove lock, so a driver callback that calls one deadlocks, as in the kernel.
func (h *Host) Rescan(p *des.Proc) error {
	h.enter(p, evRescan, h.label)
	defer h.lock.unlock()
	_, err := h.rescan(p, nil, 0)
	return err
}

func supports(b *BAR, size uint64) bool {
	for _, z := range b.sizes {
		if z == size {
			return true
		}
	}
	return false
}

func (h *Host) enter(p *des.Proc, kind, obj des.Label) {
	p.Point(kind, obj, 0, 0)
	h.lock.lock(p)
	p.Trace(evLockOp, obj, 1, 0)
}

// rescan runs prepare, scan, reassign, done, probe. It reports whether the resize (if any)
// was applied.
func (h *Host) rescan(p *des.Proc, resize *BAR, size uint64) (bool, error) {
	h.beginMove()
	h.prepare(p, h.root, 0)
	h.spend(p, h.cfg.ScanTime)
	fresh := h.scan(p)
	out, resized := h.replan(fresh, resize, size)
	h.apply(p, out)
	h.done(p, h.root, 0)
	h.endMove()
	var first error
	for _, d := range fresh { // pci_bus_add_devices: only what the scan added
		if err := h.probe(p, d); err != nil && first == nil {
			first = err
		}
	}
	return resized, first
}

func (h *Host) prepare(p *des.Proc, bus *Bus, depth int) {
	for _, d := range bus.devices {
		if d.state != stateAdded {
			continue
		}
		if d.sub != nil && depth < MaxDepth {
			h.prepare(p, d.sub, depth+1)
		}
		if rp, ok := d.drv.(RescanPreparer); ok && d.bound {
			h.notePrepare(d)
			p.Point(evPrepare, d.label, int64(d.id), 0)
			rp.RescanPrepare(p, d)
		}
	}
}

func (h *Host) done(p *des.Proc, bus *Bus, depth int) {
	for _, d := range bus.devices {
		if d.state != stateAdded {
			continue
		}
		if rd, ok := d.drv.(RescanDoner); ok && d.bound {
			p.Point(evDone, d.label, int64(d.id), 0)
			rd.RescanDone(p, d)
			h.observeStall(d)
		}
		if d.sub != nil && depth < MaxDepth {
			h.done(p, d.sub, depth+1)
		}
	}
}

// scan adds the devices that appeared (pending) and the ones whose BARs did not fit before.
func (h *Host) scan(p *des.Proc) []*Dev {
	var fresh []*Dev
	for _, d := range h.treeOrder() {
		switch {
		case d.state == statePending && (d.bus.self == nil || d.bus.self.state == stateAdded):
			d.state = stateAdded
			h.notifyAdd(p, d)
			fresh = append(fresh, d)
		case d.state == stateAdded && d.noBARs:
			fresh = append(fresh, d)
		}
	}
	return fresh
}

// replan tries layouts from the most to the least ambitious: with the resize and every new
// device; with the resize and as many new devices as fit, admitted one by one in tree order;
// the same without the resize; finally everything stays where it is. It reports whether the
// resize made it.
func (h *Host) replan(fresh []*Dev, resize *BAR, size uint64) (plan, bool) {
	for _, rz := range []*BAR{resize, nil} {
		if out, ok := h.tryPlan(nil, rz, size); ok {
			h.markNoBARs(fresh, nil)
			return out, rz != nil
		}
		left := append([]*Dev(nil), fresh...)
		out, ok := h.tryPlan(left, rz, size)
		for i := 0; ok && i < len(fresh); i++ {
			trial := without(left, fresh[i])
			if o, fits := h.tryPlan(trial, rz, size); fits {
				left, out = trial, o
			}
		}
		if ok {
			h.markNoBARs(fresh, left)
			return out, rz != nil
		}
		if rz == nil {
			break
		}
	}
	h.markNoBARs(fresh, fresh)
	return h.keepPlan(fresh), false
}

// tryPlan lays out without the devices in left: randomly, then in the fixed order.
func (h *Host) tryPlan(left []*Dev, resize *BAR, size uint64) (plan, bool) {
	exclude := func(d *Dev) bool { return contains(left, d) }
	for _, rnd := range []*des.Stream{h.alloc, nil} {
		if rnd != nil && h.cfg.FixedOrder {
			continue
		}
		pl := &planner{rnd: rnd, ord: kernelOrder, resize: resize, resizeTo: size, exclude: exclude}
		if out, err := h.plan(pl); err == nil {
			return out, true
		}
	}
	return plan{}, false
}

func contains(ds []*Dev, d *Dev) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

func without(ds []*Dev, d *Dev) []*Dev {
	var out []*Dev
	for _, x := range ds {
		if x != d {
			out = append(out, x)
		}
	}
	return out
}

// markNoBARs disables the BARs of the new devices left out (PCI_DEV_DISABLED_BARS) and
// enables the others'.
func (h *Host) markNoBARs(fresh, left []*Dev) {
	for _, d := range fresh {
		d.noBARs = contains(left, d)
		if d.noBARs {
			h.sim.Emit(h.sim.Current(), evNoBARs, d.label, int64(d.id), 0)
		}
	}
}

// keepPlan leaves every assigned BAR and window where it is.
func (h *Host) keepPlan(left []*Dev) plan {
	var out plan
	for _, d := range h.treeOrder() {
		if d.state != stateAdded || contains(left, d) {
			continue
		}
		if d.sub != nil && d.sub.win.ok {
			out.wins = append(out.wins, winAssign{bus: d.sub, base: uint64(d.sub.win.base), size: d.sub.win.size})
		}
		for _, b := range d.bars {
			out.bars = append(out.bars, barAssign{bar: b, base: uint64(b.Start()), size: b.Size(), fixed: true})
		}
	}
	return out
}

// apply releases every movable BAR, then assigns the plan: between the two, nothing decodes
// those ranges. p is nil at boot.
func (h *Host) apply(p *des.Proc, out plan) {
	old := make([]uint64, len(out.bars))
	for i, a := range out.bars {
		old[i] = uint64(a.bar.Start())
		if !a.fixed && a.bar.Assigned() {
			h.point(p, evRelease, a.bar.dev.label, int64(a.bar.index), int64(old[i]))
			a.bar.region.Release()
			h.spend(p, h.cfg.BARUpdateTime)
		}
	}
	for _, d := range h.treeOrder() {
		if d.sub != nil && d.state == stateAdded {
			d.sub.win.ok = false
		}
	}
	for _, w := range out.wins {
		w.bus.win = window{base: addr(w.base), size: w.size, ok: true}
	}
	for i, a := range out.bars {
		if a.fixed {
			continue
		}
		h.assign(p, a, old[i])
	}
}

func (h *Host) assign(p *des.Proc, a barAssign, old uint64) {
	b := a.bar
	if a.size != b.Size() {
		h.sim.Emit(p, evResize, b.dev.label, int64(b.index), int64(a.size))
		if err := b.region.Resize(a.size); err != nil {
			panic(err)
		}
	}
	h.point(p, evAssign, b.dev.label, int64(b.index), int64(a.base))
	if err := b.region.Claim(addr(a.base)); err != nil {
		panic(fmt.Sprintf("pci: allocator produced an overlap: %v", err))
	}
	if old != 0 && old != a.base {
		h.sim.Emit(p, evMove, b.dev.label, int64(old), int64(a.base))
	}
	h.spend(p, h.cfg.BARUpdateTime)
}

// spend lets virtual time pass in the operation's process (nothing at boot).
func (h *Host) spend(p *des.Proc, d des.Duration) {
	if p != nil && d > 0 {
		p.Sleep(d)
	}
}

func (h *Host) point(p *des.Proc, kind, obj des.Label, a, b int64) {
	if p != nil {
		p.Point(kind, obj, a, b)
		return
	}
	h.sim.Emit(nil, kind, obj, a, b)
}

// treeOrder lists every device depth-first, parents before children, in slot order.
func (h *Host) treeOrder() []*Dev {
	b := devBufs.New(h.sim) // this call's, kept for the next run
	out := b.s[:0]
	for _, d := range h.root.devices {
		out = d.appendTree(out, 0)
	}
	b.s = out
	return out
}

// appendTree appends d and the devices below it to out, in walk's order (depth-first,
// parents first) and with its depth check.
func (d *Dev) appendTree(out []*Dev, depth int) []*Dev {
	if depth > MaxDepth {
		panic("pci: bus nesting deeper than MaxDepth")
	}
	out = append(out, d)
	if d.sub != nil {
		for _, c := range d.sub.devices {
			out = c.appendTree(out, depth+1)
		}
	}
	return out
}

// devBuf is the storage of one treeOrder list.
type devBuf struct{ s []*Dev }

var devBufs = des.NewSlabKey[devBuf]()

// Recycle keeps the storage (des.Recycler).
func (b *devBuf) Recycle() { clear(b.s[:cap(b.s)]); b.s = b.s[:0] }
