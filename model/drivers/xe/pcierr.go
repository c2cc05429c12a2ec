package xe

import (
	"hotplugsim/des"
	"hotplugsim/model/pci"
)

// The PCI error handlers (xe_pci_error.c, drm-xe-next): error_detected wedges the device on
// a frozen channel and asks for a reset; slot_reset re-probes (a secondary bus reset wipes
// VRAM and every hardware state), with the new instance wedged until resume.

var (
	evErrDetected = des.L("xe_pci_error_detected")
	evErrReset    = des.L("xe_pci_error_slot_reset")
	evErrResume   = des.L("xe_pci_error_resume")
)

// ErrorDetected is xe_pci_error_detected.
func (pd pciDriver) ErrorDetected(p *des.Proc, pdev *pci.Dev, state pci.ChannelState) pci.ERSResult {
	x, _ := pdev.Drvdata().(*Device)
	p.Point(evErrDetected, pd.d.label, int64(state), 0)
	switch {
	case state == pci.ChannelPermFailure:
		return pci.ERSDisconnect
	case x == nil || x.wedged: // xe_device_wedged: no recovery of a wedged device
		return pci.ERSDisconnect
	case state == pci.ChannelNormal:
		return pci.ERSCanRecover
	}
	x.errorHandling(p)
	return pci.ERSNeedReset
}

// errorHandling is xe_pci_error_handling: wedge the device (xe_gt_declare_wedged stops the
// hardware queue and signals its fences with -ENODEV).
func (x *Device) errorHandling(p *des.Proc) {
	x.wedged = true
	x.wedge(p)
}

// MMIOEnabled is xe_pci_error_mmio_enabled: no RAS error is left to process (the model has
// no RAS registers), so the device recovered.
func (pd pciDriver) MMIOEnabled(p *des.Proc, pdev *pci.Dev) pci.ERSResult {
	return pci.ERSRecovered
}

// SlotReset is xe_pci_error_slot_reset: the driver's own remove, the release of its devres
// group, and a new probe, whose instance stays wedged until resume. A failed probe is a
// disconnect.
func (pd pciDriver) SlotReset(p *des.Proc, pdev *pci.Dev) pci.ERSResult {
	p.Point(evErrReset, pd.d.label, 0, 0)
	pd.d.remove(p, pdev)
	pdev.Devm().ReleaseGroup(p)
	if err := pd.d.probe(p, pdev); err != nil {
		pdev.Devm().ReleaseGroup(p)
		return pci.ERSDisconnect
	}
	if x, _ := pdev.Drvdata().(*Device); x != nil {
		x.wedged = true
	}
	return pci.ERSRecovered
}

// Resume is xe_pci_error_resume: I/O may resume.
func (pd pciDriver) Resume(p *des.Proc, pdev *pci.Dev) {
	p.Point(evErrResume, pd.d.label, 0, 0)
	if x, _ := pdev.Drvdata().(*Device); x != nil {
		x.wedged = false
	}
}

// Wedged reports whether the instance is wedged by error recovery (xe_device_wedged).
func (x *Device) Wedged() bool { return x.wedged }
