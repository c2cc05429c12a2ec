// Package pm models runtime power management of one device (the runtime part of struct
// dev_pm_info): the usage count, the states active / suspending / suspended / resuming, the
// runtime_suspend / runtime_resume / runtime_idle callbacks, asynchronous requests run by
// dev->power.work on pm_wq (model/workqueue), and autosuspend with its suspend timer
// (model/timer). The API has the kernel's names: GetSync, ResumeAndGet, Get, GetNoresume, Put,
// PutSync, PutNoidle, PutAutosuspend, MarkLastBusy, UseAutosuspend, Allow, Forbid, Enable,
// Disable, Barrier, SetActive. model/pci wires it to a PCI device the way the PCI core does
// (D3hot after a runtime suspend, references around probe and remove).
//
// Oracles:
//
//   - rpm-underflow: a put (Put, PutSync, PutAutosuspend, Allow) with usage count 0, which the
//     kernel reports as dev_warn "Runtime PM usage count underflow!" (rpm_drop_usage_count),
//     and PutNoidle with usage count 0, which the kernel's atomic_add_unless silently ignores:
//     both are a put without its get.
//   - mmio-suspended (model/mem, set by model/pci): MMIO to a device in D3hot.
//
// Kernel sources read (mainline v6.16-v6.18):
//
//   - drivers/base/power/runtime.c: rpm_check_suspend_allowed, rpm_idle (no callback: go on to
//     rpm_suspend with RPM_AUTO), rpm_suspend (RPM_AUTO arms the suspend timer at the autosuspend
//     expiration; RPM_ASYNC queues a request; a concurrent suspend is waited for),
//     rpm_resume (cancels pending requests, leaves an autosuspend timer running, waits for a
//     transition, then rpm_idle(RPM_ASYNC)), rpm_callback (runtime_error for errors other than
//     -EAGAIN/-EBUSY), pm_runtime_work, pm_suspend_timer_fn, rpm_drop_usage_count,
//     __pm_runtime_barrier, pm_runtime_allow / pm_runtime_forbid, pm_runtime_autosuspend_expiration;
//   - include/linux/pm_runtime.h: the get/put helpers and their RPM_* flags,
//     pm_runtime_put_noidle (atomic_add_unless(-1, 0)), pm_runtime_resume_and_get, and (v6.17)
//     pm_runtime_put_autosuspend marking the device busy;
//   - drivers/base/dd.c (__device_release_driver: get_sync, put_sync, then device_remove) and
//     drivers/pci/pci-driver.c (local_pci_probe, pci_device_remove, pci_pm_runtime_suspend /
//     _resume / _idle) for the bus side, modelled in model/pci.
//
// Simplified, one line each:
//
//   - no parent/child or supplier links: a device's suspend never waits for, or triggers, another's;
//   - no deferred_resume: a resume that finds a suspend in progress waits for it (or returns
//     -EINPROGRESS when asynchronous) instead of being replayed after it;
//   - no irq_safe devices: callbacks run with power.lock dropped and may sleep;
//   - the suspend timer is a model/timer (softirq) where the kernel uses an hrtimer (hardirq);
//   - no negative autosuspend delay and no update_autosuspend idle check when the delay changes;
//   - no system sleep (suspend/hibernate), no power.no_callbacks, no accounting or sysfs.
package pm
