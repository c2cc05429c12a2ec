// Package accel models a PCIe accelerator driver of the kind whose RESET_DEVICE ioctl resets
// the device with a Secondary Bus Reset of its Root Port, with pciehp bound to that port: the
// race of the scenario sbr-pciehp (workloads/sbrpciehp). Each probe makes an instance
// (struct accel_device) with a hardware context (struct accel_hw, a KASAN object kzalloc'd in
// accel_pci_probe and kfree'd in accel_pci_remove) and BAR 0 mapped; open files keep the
// instance they opened. SUBMIT runs inside drm_dev_enter (ENODEV once .remove ran, EBUSY
// during a reset) and rings a doorbell; .remove marks the instance gone, waits for the
// submissions inside, iounmaps and frees the hardware context.
//
// RESET_DEVICE checks drm_dev_enter at entry, stops and drains submissions, resets the bus
// per policy, then sleeps through accel_hw_reinit (pci_restore_state, firmware reload, engine
// start) on the hardware context it read at entry. A reset pciehp does not know about is a
// surprise removal to pciehp_ist: .remove frees the context while the ioctl sleeps in the
// reset, and accel_hw_reinit writes it: use-after-free. The scenario's port has bwctrl
// sharing pciehp's interrupt (v6.13+), so a retrained link runs pciehp_isr. The buggy designs
// check drm_dev_enter at entry only; the fixed ones (Policy.Reenter) also cope with a card
// really pulled during or after the reset: they enter drm_dev_enter again after the reset
// (ENODEV if .remove ran, nothing touched) and re-initialise, or mark the context dead when
// the reset failed (-ENOTTY: the link stayed down), inside it, so that a .remove pciehp starts
// meanwhile waits for them (without that re-entry, a card pulled during accel_hw_reinit's
// firmware reload is a use-after-free in accel_hw_start under either annotated design: 482
// of 10,000 pct:3 seeds of the default Spec, first seed 20). The policies:
//
//   - raw-sbr (buggy -> use-after-free): the driver sets and clears PCI_BRIDGE_CTL_BUS_RESET
//     itself and waits as pci_bridge_wait_for_secondary_bus does;
//   - mask-no-clear (buggy -> use-after-free): it masks PDCE|DLLSCE in the port's Slot
//     Control around that reset, as pciehp_reset_slot did, but does not clear what the reset
//     latched in Slot Status: bwctrl's interrupt (or the unmask) runs pciehp_isr, which takes
//     it, and pciehp removes the device under the ioctl;
//   - reset-slot-masked (buggy -> use-after-free): pci_reset_function() with
//     pciehp_reset_slot as it was until 2025 (mask, reset, clear, unmask, under reset_lock):
//     bwctrl's Link Bandwidth Notification runs pciehp_isr mid-reset, which takes the masked
//     DLLSC into pending_events, where the clear does not reach; pciehp_ist acts once the
//     reset drops reset_lock, under accel_hw_reinit (bugzilla 219765, a GPU torn down after
//     a VFIO reset); a card pulled before the link retrained is cleared with the reset's own
//     events, and never removed;
//   - reset-in-dev-enter (buggy -> deadlock): the ioctl stays inside the drm_dev_enter it
//     entered, stops the engine (accel_hw_stop waits QuiesceTime for it to idle), then calls
//     pci_reset_function(); a card pulled during that wait has pciehp's removal take the
//     device_lock (device_release_driver) and .remove wait for the ioctl (drm_dev_unplug's
//     synchronize_srcu), while pci_reset_function waits for that device_lock;
//   - try-reset-in-dev-enter (fixed): the same with pci_try_reset_function(), which returns
//     -EAGAIN when the device_lock is held; the ioctl returns it and leaves, .remove goes on;
//   - ignore-hotplug (fixed): pci_ignore_hotplug() first, so pciehp_isr drops the slot's
//     events; mainline's measure for drivers that take the link down themselves, but it is for
//     good: a card pulled after it is never removed (the driver stays bound to a card that is
//     gone, its apps' doorbells dropped; no oracle reports that, the scenario's tests do);
//   - ignore-link-change (fixed): the driver's own reset between pci_hp_ignore_link_change()
//     and pci_hp_unignore_link_change() on the port, which the 2025 helpers allow Endpoint
//     drivers to call: pciehp_ist awaits the section and ignores its Link Down/Up;
//   - reset-slot (fixed, the default): pci_reset_function(), which reaches pciehp_reset_slot
//     through pci_reset_hotplug_slot: under reset_lock, the reset annotated so by the PCI core.
//
// Kernel sources read: drivers/pci/pci.c (pci_reset_function, pci_reset_bus_function,
// pci_dev_reset_slot_function, pci_reset_hotplug_slot, pci_parent_bus_reset,
// pci_try_reset_function, pci_bridge_secondary_bus_reset, pci_reset_secondary_bus,
// pci_dev_wait), drivers/base/dd.c (device_release_driver under device_lock),
// drivers/gpu/drm/drm_drv.c (drm_dev_unplug's synchronize_srcu),
// drivers/pci/hotplug/pciehp_hpc.c (pciehp_reset_slot before and after the 2025 change,
// pciehp_isr's ignore_hotplug check), include/linux/pci.h (pci_ignore_hotplug), and the
// linux-pci thread of "PCI: pciehp: Ignore Link Down/Up caused by Secondary Bus Reset" (Lukas
// Wunner, 2025: the helpers "may be called both from the PCI core and from Endpoint
// drivers"). The driver is the shape of out-of-tree accelerator drivers whose reset ioctl
// toggles the bridge's SBR bit while pciehp is bound; drm_dev_enter and drm_dev_unplug are
// used as model/drm models them.
//
// Simplified, one line each:
//
//   - one function per slot, one BAR, no interrupts or DMA: the race needs the reset, the
//     hardware context and the MMIO mapping;
//   - drm_dev_enter is a count of submissions in flight that .remove waits for (SRCU's
//     synchronize_srcu), not SRCU;
//   - accel_hw_reinit's pci_restore_state is one PCI_COMMAND write; the firmware reload is a
//     sleep of ReinitTime;
//   - a reset that fails (pci_dev_wait gave up, or the link stayed down) marks the context
//     dead and returns the error; the buggy designs do so outside drm_dev_enter;
//   - only the in-dev-enter designs stop the engine before the reset (a 1 ms sleep inside
//     drm_dev_enter, the deadlock's window); the others only drain the submissions, which
//     do not sleep inside drm_dev_enter, so no pull can fall between their entry and the
//     reset's device_lock;
//   - the fixed designs' second drm_dev_enter is the model's; the kernel sources read show
//     the pattern (drm_dev_enter around each hardware access), not this driver.
package accel
