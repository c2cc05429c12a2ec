// Package pci models one PCI domain: a root bus with the host bridge's MMIO aperture,
// bridges whose windows nest inside it, devices with memory BARs (size, prefetchable,
// resizable sizes) backed by model/mem Regions, drivers bound to devices, and the platform
// operations that run in a des process (the pciehp thread or the sysfs writer): probe, driver
// unbind, orderly remove, surprise removal, rescan with movable BARs, BAR resize and replug.
//
// Remove (pci_stop_and_remove_bus_device) stops the subtree depth-first: for each device the
// driver's Remove, then its devm actions in reverse registration order (devres_release_all),
// after which the device's hardware is marked removed (model/mem hw-after-remove); then it
// destroys the subtree: the bus notifiers' RemovedDevice (model/iommu releases the group
// there, as iommu_bus_notifier calls iommu_release_device on BUS_NOTIFY_REMOVED_DEVICE), and
// the BARs are released. The whole sequence runs as the remove path of every device in it.
// Surprise removal first makes the hardware vanish (reads ~0, IsPresent false), then removes.
//
// Locking: Remove, Rescan, Replug and ResizeBAR hold pci_rescan_remove_lock, one mutex per
// simulation as the kernel's is global; probe and driver release take the device's
// device_lock. Bind and Unbind (the driver's sysfs bind/unbind files) take only the
// device_lock, so they run concurrently with a rescan or a remove of another device; the
// rescan hooks are called without the device_lock, as in the movable-BARs patches.
//
// Rescan follows the movable-BARs patches (Sergey Miroshnichenko, "PCI: Allow BAR movement
// during hotplug", v5..v9, and the amdgpu/hda threads in ../../../shared/seeds/000 and 001):
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
// nothing may touch the moving BARs is observable.
//
// Kernel sources read:
//
//   - drivers/pci/remove.c (pci_stop_and_remove_bus_device, pci_stop_dev, pci_destroy_dev,
//     pci_free_resources);
//   - drivers/pci/probe.c (pci_rescan_bus; in the YADRO-KNS movable-BARs tree
//     pci_bus_rescan_prepare/_done, pci_dev_bar_fixed, pci_dev_movable_bars_supported);
//   - drivers/pci/setup-bus.c (pbus_size_mem: sort by alignment, bridge windows 1 MiB
//     granular; "Make sure bridge windows include their fixed BARs");
//   - drivers/pci/pci.c (pci_device_is_present, pci_resize_resource);
//   - drivers/base/dd.c (__device_release_driver: .remove, then devres_release_all;
//     device_driver_attach/_detach under the device_lock);
//   - drivers/base/bus.c (bind_store, unbind_store: no pci_rescan_remove_lock);
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
//   - bus numbers, config space, MSI, runtime PM and AER are not modelled;
//   - a replugged device reuses its Dev (a new incarnation of its hardware, fresh devres);
//   - ProbeAll (driver_register) holds pci_rescan_remove_lock, so a rescan never meets a
//     half-probed driver (drivers/base/dd.c sets dev->driver before .probe; without the lock
//     the hda scenario's modprobe races its first rescan);
//   - a bind after the remove path released the driver fails with ENODEV (drivers/pci/remove.c
//     leaves a window before device_del, whose bus_remove_device would unbind it again).
package pci
