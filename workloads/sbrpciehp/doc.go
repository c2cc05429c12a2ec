// Package sbrpciehp registers the scenario "sbr-pciehp": an accelerator below a PCIe Root
// Port with pciehp bound, two apps submitting work, a tool that issues the driver's
// RESET_DEVICE ioctl, which resets the device with a Secondary Bus Reset of the port, and the
// card's surprise removal from the slot, before, during or after the reset. The
// driver model and its reset policies are in hotplugsim/model/drivers/accel, the slot, the
// link and the resets in hotplugsim/model/pci (pciehp.go); this package is the workload
// glue. Import it for its side effect.
//
// The reset's race (drivers/pci/hotplug/pciehp_hpc.c, pciehp_ctrl.c, pciehp_pci.c,
// drivers/pci/pci.c): setting PCI_BRIDGE_CTL_BUS_RESET takes the link down; the port latches
// Data Link Layer State Changed and, the event being enabled, pciehp_isr wakes pciehp_ist,
// whose pciehp_handle_presence_or_link_change turns the slot off ("we cannot assume the card
// is the same"): pciehp_disable_slot(SURPRISE_REMOVAL) -> pciehp_unconfigure_device ->
// pci_stop_and_remove_bus_device -> the driver's .remove, which frees its hardware context,
// while the ioctl sleeps in msleep(2) and pci_bridge_wait_for_secondary_bus's 100 ms. When it
// wakes, accel_hw_reinit writes the freed context: KASAN slab-use-after-free. pciehp then
// turns the slot on again once the link is up and probes the device anew. The port's bwctrl
// (v6.13+) shares pciehp's interrupt, so the retrained link runs pciehp_isr, which takes
// Slot Status's change bits whether enabled or masked.
//
// The surprise removal (pciehp_hpc.c and pci_hotplug_core.c since "PCI: pciehp: Ignore Link
// Down/Up caused by Secondary Bus Reset", pci.c): a card pulled while an annotated reset runs
// raises Presence Detect Changed (and the Link Down if the link was up); pciehp_ist awaits
// the section in pci_hp_spurious_link_change and ignores the Link Down/Up, but
// pciehp_ignore_link_change finds the link down after it and requests the events again, so
// the slot is brought down then; the reset meanwhile fails, pci_bridge_wait_for_secondary_bus
// giving the silent device PCI_RESET_WAIT and, the link being down, returning -ENOTTY. A
// fixed driver's ioctl must then cope with a device that is really gone: it enters
// drm_dev_enter again after the reset (ENODEV if .remove ran) and marks the context dead or
// re-initialises it inside, so .remove waits for it. The policies:
//
//   - raw-sbr (buggy -> use-after-free): the driver toggles the bit itself;
//   - mask-no-clear (buggy -> use-after-free): it masks the slot's events around the reset
//     but leaves them latched; pciehp_isr takes them (bwctrl, the unmask) and pciehp removes
//     the device under the ioctl;
//   - reset-slot-masked (buggy -> use-after-free): pci_reset_function() with
//     pciehp_reset_slot as it was until 2025, masking and clearing: bwctrl's interrupt
//     mid-reset hands the masked event to pciehp_ist, which acts after the reset (bugzilla
//     219765); a card pulled before the link retrained is cleared with the reset's events
//     and never removed;
//   - reset-in-dev-enter (buggy -> deadlock): the ioctl stops the engine and calls
//     pci_reset_function() without leaving drm_dev_enter: a card pulled while it stops the
//     engine (1 ms) has pciehp's .remove, under the device_lock, wait for the ioctl, which
//     waits for the device_lock;
//   - try-reset-in-dev-enter (fixed): the same with pci_try_reset_function(), mainline's
//     answer: -EAGAIN when the device_lock is held, and the ioctl leaves;
//   - ignore-hotplug (fixed): pci_ignore_hotplug() first: pciehp_isr drops the events, also
//     those of a real unplug, for good: a card pulled after the reset began is never
//     removed, the driver stays bound to it (no oracle reports that: no step hangs and
//     nothing is freed; the package's tests check it);
//   - ignore-link-change (fixed): the driver annotates its own reset with
//     pci_hp_ignore_link_change()/pci_hp_unignore_link_change();
//   - reset-slot (fixed, the default): pci_reset_function() -> pci_reset_hotplug_slot ->
//     pciehp_reset_slot as mainline has it since "PCI: pciehp: Ignore Link Down/Up caused by
//     Secondary Bus Reset" (Lukas Wunner, 2025): the reset annotated with those helpers, its
//     Link Down/Up awaited and ignored by pciehp_ist.
//
// Simplified, one line each:
//
//   - the reset is a scenario event (reset-ioctl), whose process opens the device and issues
//     the ioctl after a delay in [0, ResetSpread] (des.Proc.SleepRange, stream
//     "reset/<device>": drawn uniformly under fifo, explored by the other strategies);
//   - the apps' SUBMIT ioctl returns EBUSY during a reset (the app retries at its next
//     operation) and ENODEV once .remove ran (the app ends);
//   - the surprise-removal event pulls the card after a delay in [0, PullSpread]
//     (SleepRange, stream "unplug/<device>"), so that a pull during the reset's 1 ms inside
//     drm_dev_enter is tried, not left to a uniform draw; the card is never re-inserted;
//   - one Root Port with a slot per Spec device;
//   - every port has bwctrl sharing pciehp's interrupt (v6.13+); its pciehp_reset_slot masks
//     (before 2025) under reset-slot-masked only, and annotates the reset otherwise.
package sbrpciehp
