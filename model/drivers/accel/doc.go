// Package accel models a PCIe accelerator driver of the kind whose RESET_DEVICE ioctl resets
// the device with a Secondary Bus Reset of its Root Port, with pciehp bound to that port: the
// race of the scenario sbr-pciehp (workloads/sbrpciehp). Each probe makes an instance
// (struct accel_device) with a hardware context (struct accel_hw, a KASAN object kzalloc'd in
// accel_pci_probe and kfree'd in accel_pci_remove) and BAR 0 mapped; open files keep the
// instance they opened. SUBMIT runs inside drm_dev_enter (ENODEV once .remove ran, EBUSY
// during a reset) and rings a doorbell; .remove marks the instance gone, waits for the
// submissions inside, iounmaps and frees the hardware context.
//
// RESET_DEVICE checks drm_dev_enter at entry only, stops and drains submissions, resets the
// bus per policy, then sleeps through accel_hw_reinit (pci_restore_state, firmware reload,
// engine start) on the hardware context it read at entry. Done behind pciehp's back, the
// reset's Link Down is a surprise removal to pciehp_ist: .remove frees the context while the
// ioctl sleeps in the reset, and accel_hw_reinit writes it: use-after-free. The policies:
//
//   - raw-sbr (buggy -> use-after-free): the driver sets and clears PCI_BRIDGE_CTL_BUS_RESET
//     itself and waits as pci_bridge_wait_for_secondary_bus does;
//   - mask-no-clear (buggy -> use-after-free): it masks PDCE|DLLSCE in the port's Slot
//     Control around that reset, as pciehp_reset_slot does, but does not clear the PDC|DLLSC
//     the reset latched in Slot Status (pciehp_reset_slot's "clear any spurious events
//     after"): the unmask interrupts and pciehp removes the device under accel_hw_reinit;
//   - ignore-hotplug (fixed): pci_ignore_hotplug() first, so pciehp_isr drops the slot's
//     events; mainline's measure for drivers that take the link down themselves, but it is for
//     good: a real surprise removal of the card is ignored as well;
//   - reset-slot (fixed, the default): pci_reset_function(), which reaches
//     pciehp_reset_slot through pci_reset_hotplug_slot: reset_lock held for writing, events
//     masked, the reset and the wait, the stale events cleared, unmasked.
//
// Kernel sources read: drivers/pci/pci.c (pci_reset_function, pci_reset_bus_function,
// pci_dev_reset_slot_function, pci_reset_hotplug_slot, pci_parent_bus_reset,
// pci_bridge_secondary_bus_reset, pci_reset_secondary_bus, pci_dev_wait),
// drivers/pci/hotplug/pciehp_hpc.c (pciehp_reset_slot, pciehp_isr's ignore_hotplug check),
// include/linux/pci.h (pci_ignore_hotplug), drivers/gpu/drm/drm_drv.c (drm_dev_enter,
// drm_dev_unplug); the race is the one of out-of-tree accelerator drivers whose reset ioctl
// toggles the bridge's SBR bit while pciehp is bound (the 2025 linux-pci series "PCI:
// pciehp: Ignore Link Down/Up caused by Secondary Bus Reset" lists the callers that do).
//
// Simplified, one line each:
//
//   - one function per slot, one BAR, no interrupts or DMA: the race needs the reset, the
//     hardware context and the MMIO mapping;
//   - drm_dev_enter is a count of submissions in flight that .remove waits for (SRCU's
//     synchronize_srcu), not SRCU;
//   - accel_hw_reinit's pci_restore_state is one PCI_COMMAND write; the firmware reload is a
//     sleep of ReinitTime;
//   - a reset that fails (pci_dev_wait gave up) marks the context dead and returns the error.
package accel
