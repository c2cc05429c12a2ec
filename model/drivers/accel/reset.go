package accel

import (
	"hotplugsim/des"
	"hotplugsim/model/pci"
)

// Reset is the RESET_DEVICE ioctl: checked inside drm_dev_enter at entry (ENODEV once .remove
// ran), submissions stopped and drained, the bus reset per policy, then accel_hw_reinit
// (pci_restore_state, firmware reload, engine start) or, if the device did not come back,
// accel_hw_mark_dead: both on the hardware context the ioctl read at entry. The buggy
// designs do not check again after the reset; with Policy.Reenter the ioctl enters
// drm_dev_enter again there (ENODEV if .remove ran during the reset, nothing touched) and
// stays inside until it is done, so a .remove started meanwhile waits for it.
func (f *File) Reset(p *des.Proc) error {
	x := f.x
	a := x.a
	p.Point(evReset, a.lbl, int64(a.resets), 0)
	if x.gone {
		return ErrNoDevice
	}
	if !x.hw.Access(p, accessReset) {
		return ErrNoDevice
	}
	x.resetting = true
	defer func() { x.resetting = false }()
	p.Point(evDrain, a.lbl, int64(x.inflight), 0)
	x.wq.Wait(p, func() bool { return x.inflight == 0 })
	if a.pol.InDevEnter {
		return x.resetInDevEnter(p)
	}
	err := a.busReset(p)
	if a.pol.Reenter {
		if x.gone {
			p.Point(evResetGone, a.lbl, 0, 0)
			return ErrNoDevice
		}
		x.inflight++
		defer x.exit()
	}
	if err != nil {
		x.hw.Access(p, accessMarkDead)
		return err
	}
	if !x.reinit(p) {
		return ErrNoDevice
	}
	a.resets++
	p.Point(evResetDone, a.lbl, int64(a.resets), 0)
	return nil
}

// resetInDevEnter is the reset of the in-dev-enter designs: drm_dev_enter once the
// submissions drained (ENODEV if .remove ran while they did) and inside it from here on
// (.remove waits for it), accel_hw_stop (QuiesceTime), the reset through the PCI core
// (pci_try_reset_function's -EAGAIN: return it, the device untouched), then mark dead or
// re-initialise.
func (x *Device) resetInDevEnter(p *des.Proc) error {
	if x.gone {
		p.Point(evResetGone, x.a.lbl, 0, 0)
		return ErrNoDevice
	}
	x.inflight++
	defer x.exit()
	if !x.hw.Access(p, accessHWStop) {
		return ErrNoDevice
	}
	p.Sleep(QuiesceTime)
	err := x.a.busReset(p)
	switch {
	case err == pci.ErrAgain:
		return err
	case err != nil:
		x.hw.Access(p, accessMarkDead)
		return err
	case !x.reinit(p):
		return ErrNoDevice
	}
	x.a.resets++
	p.Point(evResetDone, x.a.lbl, int64(x.a.resets), 0)
	return nil
}

// busReset resets the device's secondary bus as the policy says.
func (a *Accel) busReset(p *des.Proc) error {
	h, br := a.dev.Host(), a.dev.Bus().Self()
	switch {
	case a.pol.ViaCore && a.pol.Try:
		return h.TryResetFunction(p, a.dev)
	case a.pol.ViaCore:
		return h.ResetFunction(p, a.dev)
	case a.pol.Ignore:
		a.dev.IgnoreHotplug()
	}
	slot := br.Slot()
	switch {
	case slot == nil:
	case a.pol.Mask:
		slot.MaskEvents(p)
		defer slot.UnmaskEvents(p)
	case a.pol.Annotate:
		slot.IgnoreLinkChange(p)
		defer slot.UnignoreLinkChange(p)
	}
	h.SecondaryBusReset(p, br)
	return h.WaitForSecondaryBus(p, br)
}

// reinit is accel_hw_reinit: pci_restore_state (PCI_COMMAND), the hardware context
// re-initialised, the firmware reloaded (ReinitTime), the engine started.
func (x *Device) reinit(p *des.Proc) bool {
	_ = x.a.dev.WriteConfig16(p, pci.ConfigCommand, pci.CommandMemory)
	if !x.hw.Access(p, accessReinit) {
		return false
	}
	p.Sleep(ReinitTime)
	if !x.hw.Access(p, accessHWStart) {
		return false
	}
	x.regs.Write32(p, regInit, 1)
	return true
}
