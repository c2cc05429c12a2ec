package pci

import (
	"hotplugsim/des"
)

// ChannelState is pci_channel_state_t: what error_detected is told about the link.
type ChannelState uint8

// Channel states.
const (
	ChannelNormal      ChannelState = iota + 1 // pci_channel_io_normal: MMIO still works
	ChannelFrozen                              // pci_channel_io_frozen: MMIO blocked until a reset
	ChannelPermFailure                         // pci_channel_io_perm_failure: the device is gone
)

// ERSResult is pci_ers_result_t, a driver's vote in error recovery.
type ERSResult uint8

// Error recovery results, in the kernel's numbering.
const (
	ERSNone        ERSResult = iota + 1 // PCI_ERS_RESULT_NONE: no opinion
	ERSCanRecover                       // PCI_ERS_RESULT_CAN_RECOVER: recover without a reset
	ERSNeedReset                        // PCI_ERS_RESULT_NEED_RESET: a slot reset is needed
	ERSDisconnect                       // PCI_ERS_RESULT_DISCONNECT: the device is lost
	ERSRecovered                        // PCI_ERS_RESULT_RECOVERED: working again
	ERSNoAERDriver                      // PCI_ERS_RESULT_NO_AER_DRIVER: a driver without handlers
)

var ersNames = [...]string{"", "none", "can_recover", "need_reset", "disconnect", "recovered", "no_aer_driver"}

func (r ERSResult) String() string { return ersNames[r] }

// ErrorHandler is struct pci_error_handlers. A driver without it cannot recover: an error
// on its device ends in removal (PCI_ERS_RESULT_NO_AER_DRIVER).
type ErrorHandler interface {
	ErrorDetected(p *des.Proc, d *Dev, state ChannelState) ERSResult
	MMIOEnabled(p *des.Proc, d *Dev) ERSResult
	SlotReset(p *des.Proc, d *Dev) ERSResult
	Resume(p *des.Proc, d *Dev)
}

var (
	evAER       = des.L("pcie_do_recovery")
	evDetected  = des.L("error_detected")
	evMMIOEn    = des.L("mmio_enabled")
	evSlotReset = des.L("slot_reset")
	evResume    = des.L("err_resume")
	evLinkReset = des.L("reset_subordinates")
	evRecFailed = des.L("device recovery failed")
)

// ChannelState is pci_dev->error_state (ChannelNormal unless an error is being recovered).
func (d *Dev) ChannelState() ChannelState {
	if d.errState == 0 {
		return ChannelNormal
	}
	return d.errState
}

// IsDisconnected is pci_dev_is_disconnected: the error state is perm_failure.
func (d *Dev) IsDisconnected() bool { return d.errState == ChannelPermFailure }

// mergeResult is err.c's merge_result.
func mergeResult(orig, vote ERSResult) ERSResult {
	switch {
	case vote == ERSNoAERDriver:
		return ERSNoAERDriver
	case vote == ERSNone:
		return orig
	case orig == ERSCanRecover || orig == ERSRecovered:
		return vote
	case orig == ERSDisconnect && vote == ERSNeedReset:
		return ERSNeedReset
	}
	return orig
}

// ReportError is an AER or DPC report of an uncorrectable error on d, recovered as
// pcie_do_recovery does: error_detected(state) on every device below the bridge (d if it is
// a bridge, else its upstream bridge; d alone on the root bus), a link reset if frozen
// (which unfreezes the hardware and resets its registers), mmio_enabled if all can recover,
// slot_reset if one needs a reset, then resume. If recovery fails, every device is told
// perm_failure, is disconnected (reads ~0 for good) and removed, as pciehp removes devices
// whose link stays down. It returns the final status. A frozen state freezes the hardware
// first (MMIO reads ~0 from the error on).
func (h *Host) ReportError(p *des.Proc, d *Dev, state ChannelState) ERSResult {
	devs := h.errorScope(d)
	p.Point(evAER, d.label, int64(state), int64(len(devs)))
	if state == ChannelFrozen {
		forDevs(devs, func(x *Dev) { x.hw.Freeze(p) })
	}
	forDevs(devs, func(x *Dev) { x.rpmGet(p) })
	status := ERSCanRecover
	forDevs(devs, func(x *Dev) { status = mergeResult(status, x.reportDetected(p, state)) })
	if state == ChannelFrozen {
		p.Point(evLinkReset, d.label, 0, 0)
		forDevs(devs, func(x *Dev) { x.linkReset(p) })
	}
	status = h.recoverSteps(p, devs, status)
	forDevs(devs, func(x *Dev) { x.rpmPut(p) })
	if status != ERSRecovered {
		h.recoveryFailed(p, d, devs)
	}
	return status
}

func forDevs(devs []*Dev, fn func(*Dev)) {
	for _, x := range devs {
		fn(x)
	}
}

// errorScope is what pci_walk_bridge visits: the devices below the bridge.
func (h *Host) errorScope(d *Dev) []*Dev {
	bridge := d
	if d.sub == nil {
		bridge = d.bus.self
	}
	if bridge == nil {
		return []*Dev{d}
	}
	var devs []*Dev
	for _, c := range bridge.sub.devices {
		c.walk(func(x *Dev) {
			if x.state == stateAdded {
				devs = append(devs, x)
			}
		})
	}
	return devs
}

// recoverSteps: mmio_enabled if every vote allows recovery, slot_reset if one needs a
// reset, then resume if recovered.
func (h *Host) recoverSteps(p *des.Proc, devs []*Dev, status ERSResult) ERSResult {
	if status == ERSCanRecover {
		status = ERSRecovered
		forDevs(devs, func(x *Dev) { status = mergeResult(status, x.reportStep(p, evMMIOEn)) })
	}
	if status == ERSNeedReset {
		status = ERSRecovered
		forDevs(devs, func(x *Dev) { status = mergeResult(status, x.reportStep(p, evSlotReset)) })
	}
	if status == ERSRecovered {
		forDevs(devs, func(x *Dev) { x.reportStep(p, evResume) })
	}
	return status
}

// recoveryFailed: the devices are disconnected, told error_detected(perm_failure)
// (report_perm_failure_detected), and the hotplug driver removes them.
func (h *Host) recoveryFailed(p *des.Proc, d *Dev, devs []*Dev) {
	p.Point(evRecFailed, d.label, 0, 0)
	forDevs(devs, func(x *Dev) {
		x.hw.Unplug(p)
		x.reportDetected(p, ChannelPermFailure)
	})
	for _, x := range devs {
		if x.bus.self == nil || !contains(devs, x.bus.self) {
			h.Remove(p, x)
		}
	}
}

// reportDetected is report_error_detected under the device_lock.
func (d *Dev) reportDetected(p *des.Proc, state ChannelState) ERSResult {
	d.lock.lock(p)
	defer d.lock.unlock()
	p.Point(evDetected, d.label, int64(state), 0)
	if d.IsDisconnected() {
		return ERSDisconnect
	}
	d.errState = state
	eh, ok := d.drv.(ErrorHandler)
	if d.bound && ok {
		return eh.ErrorDetected(p, d, state)
	}
	if d.sub != nil {
		return ERSNone // a bridge without handlers does not veto
	}
	return ERSNoAERDriver
}

// reportStep is report_mmio_enabled, report_slot_reset or report_resume under the
// device_lock; resume also sets the error state back to normal.
func (d *Dev) reportStep(p *des.Proc, step des.Label) ERSResult {
	d.lock.lock(p)
	defer d.lock.unlock()
	p.Point(step, d.label, 0, 0)
	eh, ok := d.drv.(ErrorHandler)
	if step == evResume && d.errState != ChannelPermFailure {
		d.errState = ChannelNormal
	}
	if !d.bound || !ok {
		return ERSNone
	}
	switch step {
	case evMMIOEn:
		return eh.MMIOEnabled(p, d)
	case evSlotReset:
		return eh.SlotReset(p, d)
	}
	eh.Resume(p, d)
	return ERSNone
}

func (d *Dev) rpmGet(p *des.Proc) {
	if d.rpm != nil {
		_ = d.rpm.GetSync(p)
	}
}

func (d *Dev) rpmPut(p *des.Proc) {
	if d.rpm != nil {
		_ = d.rpm.Put(p)
	}
}
