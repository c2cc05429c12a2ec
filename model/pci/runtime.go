package pci

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/pm"
)

// RuntimePMDriver is the runtime part of the driver's dev_pm_ops (.runtime_suspend,
// .runtime_resume). A driver without it never runtime-suspends while bound: the PCI core's
// runtime_idle returns -ENOSYS for a driver without PM ops.
type RuntimePMDriver interface {
	RuntimeSuspend(p *des.Proc, d *Dev) error
	RuntimeResume(p *des.Proc, d *Dev) error
}

// ErrNoSys is what pci_pm_runtime_idle returns for a bound driver without dev_pm_ops.
var ErrNoSys = errors.New("-ENOSYS")

// EnableRuntimePM gives d runtime PM as pci_pm_init does: forbidden (usage count 1, as
// power/control "on"), active and enabled. Drivers or tests call Allow on it ("auto"), and
// from then probe and remove take and drop references as the PCI core does. p may be nil
// in set-up code. Without this call the device has no runtime PM and probe and remove are
// as before.
func (d *Dev) EnableRuntimePM(p *des.Proc) *pm.Runtime {
	if d.rpm != nil {
		return d.rpm
	}
	d.rpm = pm.Init(d.host.sim, d.name, pm.Callbacks{
		Suspend: d.runtimeSuspend, Resume: d.runtimeResume, Idle: d.runtimeIdle})
	d.rpm.Forbid(p)
	_ = d.rpm.SetActive(p)
	d.rpm.Enable(p)
	return d.rpm
}

// RuntimePM is the device's runtime PM (nil unless EnableRuntimePM was called).
func (d *Dev) RuntimePM() *pm.Runtime { return d.rpm }

// runtimeIdle is pci_pm_runtime_idle: an unbound device may "suspend" (it stays in D0); a
// bound driver without PM ops may not.
func (d *Dev) runtimeIdle(p *des.Proc) error {
	if !d.bound {
		return nil
	}
	if _, ok := d.drv.(RuntimePMDriver); !ok {
		return ErrNoSys
	}
	return nil
}

// runtimeSuspend is pci_pm_runtime_suspend: an unbound device stays in D0; otherwise the
// driver's runtime_suspend, then pci_finish_runtime_suspend puts the device in D3hot.
func (d *Dev) runtimeSuspend(p *des.Proc) error {
	if !d.bound {
		return nil
	}
	if drv, ok := d.drv.(RuntimePMDriver); ok {
		if err := drv.RuntimeSuspend(p, d); err != nil {
			return err
		}
	}
	d.hw.SetSuspended(p, true)
	return nil
}

// runtimeResume is pci_pm_runtime_resume: back to D0 first (bound or not), then the
// driver's runtime_resume.
func (d *Dev) runtimeResume(p *des.Proc) error {
	d.hw.SetSuspended(p, false)
	if !d.bound {
		return nil
	}
	if drv, ok := d.drv.(RuntimePMDriver); ok {
		return drv.RuntimeResume(p, d)
	}
	return nil
}

// rpmBeforeProbe is __driver_probe_device's pm_runtime_barrier and local_pci_probe's
// pm_runtime_get_sync: the device is in D0 while the driver probes. Both run before the
// model marks the driver bound, so a resume here does not call the driver's runtime_resume
// (the kernel sets dev->driver before local_pci_probe; see doc.go).
func (d *Dev) rpmBeforeProbe(p *des.Proc) {
	if d.rpm == nil {
		return
	}
	d.rpm.Barrier(p)
	_ = d.rpm.GetSync(p)
}

// rpmAfterProbe: local_pci_probe's pm_runtime_put_sync after a failed probe (dev->driver is
// still set), or __driver_probe_device's pm_request_idle after a successful one. A driver
// that uses runtime PM dropped local_pci_probe's reference itself (pm_runtime_put_noidle).
func (d *Dev) rpmAfterProbe(p *des.Proc, failed bool) {
	switch {
	case d.rpm == nil:
	case failed:
		_ = d.rpm.PutSync(p)
	default:
		d.rpm.RequestIdle(p)
	}
}

// rpmBeforeRemove is __device_release_driver's get_sync/put_sync pair, then
// pci_device_remove's pm_runtime_get_sync and pm_runtime_barrier before .remove.
func (d *Dev) rpmBeforeRemove(p *des.Proc) {
	if d.rpm == nil {
		return
	}
	_ = d.rpm.GetSync(p)
	_ = d.rpm.PutSync(p)
	_ = d.rpm.GetSync(p)
	d.rpm.Barrier(p)
}

// rpmAfterRemove is pci_device_remove after .remove: pm_runtime_put_noidle, then the
// pm_runtime_put_sync that undoes local_pci_probe's reference (the driver's remove took one
// back with pm_runtime_get_noresume if its probe dropped it).
func (d *Dev) rpmAfterRemove(p *des.Proc) {
	if d.rpm == nil {
		return
	}
	d.rpm.PutNoidle(p)
	_ = d.rpm.PutSync(p)
}
