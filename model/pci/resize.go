package pci

import (
	"errors"
	"fmt"

	"hotplugsim/des"
)

// Errors of a BAR resize.
var (
	// ErrDecoding: pci_resize_resource refuses a BAR whose device decodes memory
	// (PCI_COMMAND_MEMORY set): the caller turns decoding off first.
	ErrDecoding = errors.New("pci: memory decoding is on (EBUSY)")
	// ErrSize: the BAR does not support the size (EINVAL, or ENOTSUPP for a BAR that is not
	// resizable).
	ErrSize = errors.New("pci: BAR does not support the size (EINVAL)")
)

var (
	evResizeRes = des.L("pci_resize_resource")
	evRestore   = des.L("bar-restore")
)

// ResizeBAR is pci_resize_resource (drivers/pci/setup-res.c, v6.18) as a driver calls it
// from its probe (amdgpu_device_resize_fb_bar): the device's memory decoding must be off
// (ErrDecoding otherwise); the BAR is released, gets size, and only the bridge windows that
// held nothing else are released and laid out again (pbus_reassign_bridge_resources); every
// other BAR and window stays where it is. If the new size does not fit, the BAR and the
// windows are restored as they were (ErrNoSpace). It takes pci_bus_sem for read in the
// kernel, not pci_rescan_remove_lock, so a probe run by ProbeAll may call it; nothing here
// calls a driver hook, so a bound driver that maps the BAR must unmap it first and map the
// new range after. A fixed BAR is ErrBusy, an unsupported size ErrSize.
func (h *Host) ResizeBAR(p *des.Proc, d *Dev, bar int, size uint64) error {
	p.Point(evResizeRes, d.label, int64(bar), int64(size))
	b := d.BAR(bar)
	switch {
	case b == nil || d.state != stateAdded || !b.Assigned():
		return ErrNoDevice
	case !d.memOff:
		return ErrDecoding
	case b.fixed:
		return ErrBusy
	case !supports(b, size):
		return fmt.Errorf("%w: %s BAR %d, %#x", ErrSize, d.name, bar, size)
	}
	pl := &planner{ord: kernelOrder, pin: true, resize: b, resizeTo: size,
		exclude: func(x *Dev) bool { return x.noBARs }}
	out, err := h.plan(pl)
	if err != nil {
		h.restoreBAR(p, b)
		return fmt.Errorf("pci: %s BAR %d to %#x: %w", d.name, bar, size, ErrNoSpace)
	}
	h.apply(p, out)
	return nil
}

// restoreBAR is the restore path of a failed resize: the BAR was released, and is claimed
// again at its old place with its old size.
func (h *Host) restoreBAR(p *des.Proc, b *BAR) {
	old := b.Start()
	p.Point(evRelease, b.dev.label, int64(b.index), int64(old))
	b.region.Release()
	h.spend(p, h.cfg.BARUpdateTime)
	p.Point(evRestore, b.dev.label, int64(b.index), int64(old))
	if err := b.region.Claim(old); err != nil {
		panic(fmt.Sprintf("pci: restoring %s BAR %d: %v", b.dev.name, b.index, err))
	}
}

// RescanResizeBAR is a BAR resize as the movable-BARs series does it, from outside the
// driver (a platform event): a full rescan under pci_rescan_remove_lock in which bar gets
// size, every bound driver told with RescanPrepare and RescanDone. It fails with ErrBusy if
// the BAR is fixed, with ErrNoSpace (old size kept, the rescan still done) if the new size
// does not fit.
func (h *Host) RescanResizeBAR(p *des.Proc, d *Dev, bar int, size uint64) error {
	h.enter(p, evResizeReq, d.label)
	defer h.lock.unlock()
	b := d.BAR(bar)
	if b == nil || d.state != stateAdded || !b.Assigned() {
		return ErrNoDevice
	}
	if barFixed(b) {
		return ErrBusy
	}
	if !supports(b, size) {
		return fmt.Errorf("%w: %s BAR %d, %#x", ErrSize, d.name, bar, size)
	}
	resized, err := h.rescan(p, b, size)
	if err == nil && !resized {
		err = ErrNoSpace
	}
	return err
}
