// Package pci models one PCI domain: a root bus with the host bridge's MMIO aperture,
// bridges whose windows nest inside it, devices with memory BARs (size, prefetchable,
// resizable sizes) backed by model/mem Regions, drivers bound to devices, and the platform
// operations that run in a des process (the pciehp thread or the sysfs writer): probe, driver
// unbind, orderly remove, surprise removal, rescan with movable BARs, BAR resize and replug.
// Config space is PCI_VENDOR_ID and PCI_COMMAND's memory bit (Dev.ReadConfig16,
// WriteConfig16).
//
// Remove (pci_stop_and_remove_bus_device) stops the subtree depth-first: for each device the
// driver's Remove, then its devm actions in reverse registration order (devres_release_all),
// after which the device's hardware is marked removed (model/mem hw-after-remove); then it
// destroys the subtree: the bus notifiers' RemovedDevice (model/iommu releases the group
// there, as iommu_bus_notifier calls iommu_release_device on BUS_NOTIFY_REMOVED_DEVICE), and
// the BARs are released. The whole sequence runs as the remove path of every device in it.
// Surprise removal first makes the hardware vanish (reads ~0, IsPresent false), then pciehp
// unconfigures the slot (PciehpUnconfigure, pciehp_unconfigure_device): a card no longer
// present is marked disconnected (pci_dev_set_disconnected: error_state perm_failure,
// IsDisconnected true, config reads all ones and PCIBIOS_DEVICE_NOT_FOUND) before any driver's
// .remove runs, then the remove sequence runs.
//
// Locking: Remove, Rescan, Replug and RescanResizeBAR hold pci_rescan_remove_lock, one mutex per
// simulation as the kernel's is global; probe and driver release take the device's
// device_lock. Bind and Unbind (the driver's sysfs bind/unbind files) take only the
// device_lock, so they run concurrently with a rescan or a remove of another device; the
// rescan hooks are called without the device_lock, as in the movable-BARs patches.
//
// Lifecycle: a probe of a bound device and a driver release of an unbound one do nothing, as
// in drivers/base/dd.c (__device_attach and device_driver_attach skip a device with a driver,
// __device_release_driver one without): a driver's Probe runs only unbound, its Remove
// only bound, and a driver may assert that (model/drivers/hda does).
//
// Rescan follows the movable-BARs patches (Sergey Miroshnichenko, "PCI: Allow BAR movement
// during hotplug", v5..v9, and the amdgpu and snd_hda_intel threads on it):
// RescanPrepare on every bound driver that has it, depth-first (a bus's children before the
// bridge, as pci_bus_rescan_prepare); scan for new devices; release EVERY movable BAR and
// bridge window and lay them out again from scratch; RescanDone (the device before its
// children, as pci_bus_rescan_done); probe the new devices. A BAR is fixed (pci_dev_bar_fixed)
// if its spec says so, if the driver's BarFixed says so, or if its driver is bound and has no
// RescanPrepare; unbound devices' BARs move. The new layout generally differs from the old
// one even when nothing changed: the boot ("BIOS") layout is in device order, the kernel's
// is largest-alignment-first, with ties and the direction (bottom-up or top-down) drawn from
// the "pci-alloc" stream, so drivers must expect every rescan to move their BARs. New devices
// are admitted one by one while they fit; one that does not gets no BARs and is not probed
// (it may not steal space from working devices); a resize that does not fit is refused with
// the old size kept. A rescan takes virtual time (Config.ScanTime between the prepare and the
// reassignment, Config.BARUpdateTime per BAR released or assigned), so the window in which
// nothing may touch the moving BARs is observable. RescanResizeBAR is a resize done that way
// (a rescan in which the BAR gets its new size), as a platform event.
//
// ResizeBAR is mainline's pci_resize_resource, which a driver calls from its probe
// (amdgpu_device_resize_fb_bar): the device's memory decoding must be off (EBUSY otherwise);
// the BAR is released and gets its new size; going up from its bus, the bridge windows that
// hold nothing else are released and laid out again (pbus_reassign_bridge_resources), every
// other BAR and window stays; a size that does not fit restores the old BAR (ENOSPC). It
// takes no pci_rescan_remove_lock, so a probe run by ProbeAll may call it.
//
// A failed probe is unwound as really_probe does (device_unbind_cleanup): the devm actions
// the probe registered run newest first, so a devm_drm_dev_alloc'd drm device (model/drm)
// gets its final put at its place in that order and its drmm actions run there, newest
// first. Devres.AddActionOrReset is devm_add_action_or_reset.
//
// Error recovery (err.go): Host.ReportError is an AER/DPC report handled as pcie_do_recovery
// does: error_detected(normal or frozen) on every device below the bridge, votes merged as
// merge_result does, a link reset when frozen (model/mem: the channel reads ~0 from the error
// until then, and the reset clears the registers), mmio_enabled, slot_reset, resume. A
// recovery that fails (DISCONNECT, or a device whose driver has no ErrorHandler) disconnects
// the devices (pci_dev_is_disconnected, reads ~0), reports perm_failure and removes them.
// Dev.Link is the device as its DMA engines see it: sched.Ring.AttachHW(d.Link()) stops the
// ring while the channel is frozen or disconnected and resumes it after the link reset.
//
// Runtime PM (model/pm) is opt-in per device: EnableRuntimePM does what pci_pm_init does
// (forbid, set active, enable). From then the probe path takes pm_runtime_barrier and
// local_pci_probe's pm_runtime_get_sync before .probe and drops it with pm_runtime_put_sync
// if the probe fails (pm_request_idle if it succeeds: a runtime-PM driver drops the reference
// itself); the release path does __device_release_driver's get_sync/put_sync pair, then
// pci_device_remove's get_sync, barrier, .remove, put_noidle and the final put_sync. The bus
// callbacks are pci_pm_runtime_suspend (driver's runtime_suspend, then D3hot: MMIO is
// mmio-suspended), pci_pm_runtime_resume (D0, then the driver's) and pci_pm_runtime_idle
// (-ENOSYS for a bound driver without RuntimePMDriver). An unbound device "suspends" in D0.
//
// Hotplug slots (pciehp.go): AddSlot binds pciehp to a bridge (struct controller): Slot
// Control's Data Link Layer State Changed and Presence Detect Changed enables, Slot Status's
// latched change bits, pending_events, ON_STATE and reset_lock, with pciehp_ist in a daemon
// thread. SecondaryBusReset is pci_reset_secondary_bus: the link below goes down (the devices
// read all ones), the slot latches DLLSC and, if enabled and the port is not marked
// ignore_hotplug (IgnoreHotplug, pci_ignore_hotplug), pciehp_isr hands it to the IST, which
// turns the slot off by surprise removal (every device marked disconnected, then removed,
// with reset_lock dropped around the unbinding) and, the card being present, on again once
// the link has trained (a rescan that probes the device anew). With SlotConfig.Bwctrl the
// retrained link also raises bwctrl's Link Bandwidth Notification on the shared interrupt,
// and pciehp_isr takes whatever Slot Status holds, masked or not. ResetSlot is
// pciehp_reset_slot: under reset_lock for writing, BridgeSecondaryBusReset (the reset, then
// pci_bridge_wait_for_secondary_bus: 100 ms and pci_dev_wait) annotated with
// IgnoreLinkChange/UnignoreLinkChange (pci_hp_ignore_link_change), whose Link Down/Up
// pciehp_ist awaits and ignores unless the link is down after it; with SlotConfig.MaskOnReset
// as before 2025: mask the events, reset, clear what was latched, unmask. ResetFunction is
// pci_reset_function's bus reset: through the slot when there is one
// (pci_reset_hotplug_slot), else the parent bridge. PullCard is a card's surprise removal
// from the slot: the devices vanish, the link goes down for good, and the slot latches
// Presence Detect Changed (and DLLSC if the link was up); pciehp_ist removes the devices, at
// once or, when an annotated reset is running, after it ended (pciehp_ignore_link_change
// finds the link down and requests the events again); pci_bridge_wait_for_secondary_bus
// gives a device that stays silent with the link down PCI_RESET_WAIT, then -ENOTTY.
// TryResetFunction is pci_try_reset_function: -EAGAIN (ErrAgain) instead of waiting for a
// device_lock someone holds.
//
// Kernel sources read:
//
//   - drivers/pci/remove.c (pci_stop_and_remove_bus_device, pci_stop_dev, pci_destroy_dev,
//     pci_free_resources);
//   - drivers/pci/probe.c (pci_rescan_bus; in the YADRO-KNS movable-BARs tree
//     pci_bus_rescan_prepare/_done, pci_dev_bar_fixed, pci_dev_movable_bars_supported);
//   - drivers/pci/setup-bus.c (pbus_size_mem: sort by alignment, bridge windows 1 MiB
//     granular; "Make sure bridge windows include their fixed BARs");
//   - drivers/pci/pci.c (pci_device_is_present: false when pci_dev_is_disconnected);
//   - drivers/pci/setup-res.c (v6.18: pci_resize_resource, pci_release_resource,
//     pci_resize_is_memory_decoding_enabled) and drivers/pci/setup-bus.c
//     (pbus_reassign_bridge_resources: release the windows without children, up to the
//     root; size and assign below the topmost; restore on failure; the older
//     pci_reassign_bridge_resources), drivers/gpu/drm/amd/amdgpu/amdgpu_device.c
//     (amdgpu_device_resize_fb_bar: PCI_COMMAND_MEMORY off around the resize);
//   - drivers/pci/hotplug/pciehp_pci.c (pciehp_unconfigure_device: pci_walk_bus with
//     pci_dev_set_disconnected when the card is gone, then pci_stop_and_remove_bus_device),
//     drivers/pci/pci.h (pci_dev_set_disconnected, pci_dev_is_disconnected), drivers/pci/access.c
//     (pci_read_config_word: PCI_SET_ERROR_RESPONSE and PCIBIOS_DEVICE_NOT_FOUND when
//     disconnected);
//   - drivers/base/dd.c (__device_release_driver: .remove, then devres_release_all;
//     device_driver_attach/_detach under the device_lock);
//   - drivers/base/bus.c (bind_store, unbind_store: no pci_rescan_remove_lock);
//   - drivers/pci/pci-driver.c (v6.18: local_pci_probe, pci_device_remove, pci_pm_runtime_*;
//     since v5.16 dev->driver stays set at pci_device_remove's final put_sync, so a driver's
//     runtime_suspend can run after its .remove) and drivers/base/dd.c (__driver_probe_device:
//     pm_runtime_barrier, pm_request_idle; __device_release_driver: get_sync, put_sync);
//   - drivers/pci/pcie/err.c (v6.12-v6.16: pcie_do_recovery, report_error_detected,
//     merge_result, report_mmio_enabled/_slot_reset/_resume, report_perm_failure_detected),
//     Documentation/PCI/pci-error-recovery.rst, include/linux/pci.h (pci_channel_state_t,
//     pci_ers_result_t, pci_dev_is_disconnected);
//   - drivers/pci/hotplug/pciehp_hpc.c (v6.6-v6.12: pciehp_isr, which takes every change
//     bit of Slot Status whatever Slot Control enables, pciehp_ist, pciehp_reset_slot,
//     pcie_enable_notification, pciehp_check_link_status's "ignore link or presence changes
//     up to this point"); Lukas Wunner's "PCI: pciehp: Ignore Link Down/Up caused by Secondary
//     Bus Reset" (linux-pci, April 2025: masking only disables interrupt generation, so
//     bwctrl's shared interrupt, since v6.13-rc1, lets pciehp_isr pick up the masked events
//     mid-reset, bugzilla 219765; pci_hp_ignore_link_change, pci_hp_unignore_link_change,
//     pci_hp_spurious_link_change and pciehp_ignore_link_change replace the masking);
//     drivers/pci/hotplug/pciehp_ctrl.c (pciehp_handle_presence_or_link_change,
//     pciehp_disable_slot(SURPRISE_REMOVAL), pciehp_enable_slot); the same patch's
//     drivers/pci/hotplug/pci_hotplug_core.c (pci_hp_spurious_link_change: "a genuine link
//     change may have occurred in-between ... bringing down the slot if the link is down"),
//     and pciehp_ist calling it before it tests ON_STATE; pciehp_hpc.c's
//     pciehp_check_link_status (v6.x: no "ignore ... up to this point" unless
//     pci_bus_check_dev found the device, "No device found");
//     drivers/pci/hotplug/pciehp_pci.c (v6.18: pciehp_unconfigure_device, presence false marks
//     the bus disconnected, reset_lock released around pci_stop_and_remove_bus_device: "PCI:
//     pciehp: Fix AB-BA deadlock between reset_lock and device_lock"); Alex Williamson's "PCI:
//     pciehp: Add reset_slot() method" (2013);
//   - drivers/pci/pci.c (pci_reset_secondary_bus: msleep(2) with PCI_BRIDGE_CTL_BUS_RESET set;
//     pci_bridge_secondary_bus_reset, pci_bridge_wait_for_secondary_bus (v6.x, links up to
//     5 GT/s: msleep(delay), pci_dev_wait(child, PCI_RESET_WAIT - delay), -ENOTTY if Data
//     Link Layer Link Active is clear, else the rest of PCIE_RESET_READY_POLL_MS), pci_dev_wait,
//     pci_reset_bus_function, pci_dev_reset_slot_function, pci_reset_hotplug_slot,
//     pci_try_reset_function: "return -EAGAIN if unable to lock device", pci_dev_trylock,
//     pci_parent_bus_reset), include/linux/pci.h (pci_ignore_hotplug sets ignore_hotplug on the
//     device and its upstream bridge);
//   - drivers/base/devres.c (release_nodes: the list is moved aside, then released in
//     reverse order of registration); drivers/base/dd.c really_probe refuses a probe with
//     devres left over ("Resources present before probing", EBUSY).
//
// Simplified, one line each:
//
//   - one memory window per bridge (no separate prefetchable window, no I/O ports);
//   - a bridge window that holds a fixed BAR anywhere below it stays where it is (the
//     patches' immovable_range, coarsened);
//   - one driver per device, given when the device is added (no ID tables or matching);
//   - bus numbers and MSI are not modelled, config space is the vendor id and PCI_COMMAND's
//     memory bit; runtime PM only when enabled;
//   - memory decoding off does not stop MMIO to the BARs (only ResizeBAR reads the bit);
//   - ResizeBAR releases only the BAR it resizes (mainline v6.18 releases the device's other
//     BARs in the same window), and with one window per bridge a window that holds another
//     BAR stays, where the kernel's separate prefetchable window often frees a VRAM BAR's;
//   - a link reset restarts a ring's interrupted job from its start (the hardware's reset
//     loses it; drivers resubmit in their resume);
//   - error recovery: no AER/DPC registers, severity or correctable errors, no platform
//     (EEH) reset, no error_state transition checks; removal after a failed recovery is done
//     here, where the kernel leaves it to pciehp/DPC when the link stays down;
//   - local_pci_probe's get_sync runs before the model marks the driver bound, so resuming a
//     device runtime-suspended while unbound does not call the new driver's runtime_resume;
//   - no parent bridge runtime PM: a device's suspend never powers its bridge down (no D3cold);
//   - a replugged device reuses its Dev (a new incarnation of its hardware, fresh devres);
//   - ProbeAll (driver_register) holds pci_rescan_remove_lock, so a rescan never meets a
//     half-probed driver (drivers/base/dd.c sets dev->driver before .probe; without the lock
//     the hda scenario's modprobe races its first rescan);
//   - pciehp: a reset raises only DLLSC (presence detect stays set through it, as with
//     out-of-band presence), a pulled card PDC and DLLSC; pciehp_isr runs in the process that
//     changed the link (no hard-irq process), no attention button, power controller,
//     indicators, DPC or poll mode;
//   - a pulled card stays out (no re-insertion), its link never trains again, and a Secondary
//     Bus Reset of a link already down latches nothing;
//   - pci_bridge_wait_for_secondary_bus waits for the first device below only if it was not
//     removed, and only the up-to-5 GT/s path (no pcie_wait_for_link_delay);
//   - bwctrl is only its Link Bandwidth Notification when a link trains, which runs
//     pciehp_isr (its own handler and the bandwidth it tracks are not modelled);
//   - the link-change flags are per slot, set and tested under the Sim's single thread (no
//     barriers), and pciehp_device_replaced is not checked (a reset never replaces the card);
//   - a Secondary Bus Reset freezes the devices below (reads all ones) until the link trains,
//     SlotConfig.LinkTrainTime after the deassert, and then resets their registers;
//   - ResetFunction and TryResetFunction take the device's device_lock only, not its upstream
//     bridge's as pci_reset_function does since 2024, nor pci_cfg_access_lock;
//   - ResetFunction does not save and restore config space (pci_dev_save_and_disable,
//     pci_dev_restore): the caller restores what it needs;
//   - pciehp's re-enable waits for Link Active by polling every 10 ms (pcie_wait_for_link),
//     then SecondaryBusDelay, and replugs the devices below (pciehp_configure_device);
//   - a bind after the remove path released the driver fails with ENODEV (drivers/pci/remove.c
//     leaves a window before device_del, whose bus_remove_device would unbind it again).
package pci
