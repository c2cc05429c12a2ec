// Package sbrpciehp registers the scenario "sbr-pciehp": an accelerator below a PCIe Root
// Port with pciehp bound, two apps submitting work, and a tool that issues the driver's
// RESET_DEVICE ioctl, which resets the device with a Secondary Bus Reset of the port. The
// driver model and its reset policies are in hotplugsim/model/drivers/accel, the slot, the
// link and the resets in hotplugsim/model/pci (pciehp.go); this package is the workload
// glue. Import it for its side effect.
//
// The race (drivers/pci/hotplug/pciehp_hpc.c, pciehp_ctrl.c, pciehp_pci.c,
// drivers/pci/pci.c): setting PCI_BRIDGE_CTL_BUS_RESET takes the link down; the port latches
// Data Link Layer State Changed and, the event being enabled, pciehp_isr wakes pciehp_ist,
// whose pciehp_handle_presence_or_link_change turns the slot off ("we cannot assume the card
// is the same"): pciehp_disable_slot(SURPRISE_REMOVAL) -> pciehp_unconfigure_device ->
// pci_stop_and_remove_bus_device -> the driver's .remove, which frees its hardware context,
// while the ioctl sleeps in msleep(2) and pci_bridge_wait_for_secondary_bus's 100 ms. When it
// wakes, accel_hw_reinit writes the freed context: KASAN slab-use-after-free. pciehp then
// turns the slot on again once the link is up and probes the device anew. The port's bwctrl
// (v6.13+) shares pciehp's interrupt, so the retrained link runs pciehp_isr, which takes
// Slot Status's change bits whether enabled or masked. The policies:
//
//   - raw-sbr (buggy -> use-after-free): the driver toggles the bit itself;
//   - mask-no-clear (buggy -> use-after-free): it masks the slot's events around the reset
//     but leaves them latched; pciehp_isr takes them (bwctrl, the unmask) and pciehp removes
//     the device under the ioctl;
//   - reset-slot-masked (buggy -> use-after-free): pci_reset_function() with
//     pciehp_reset_slot as it was until 2025, masking and clearing: bwctrl's interrupt
//     mid-reset hands the masked event to pciehp_ist, which acts after the reset (bugzilla
//     219765);
//   - ignore-hotplug (fixed): pci_ignore_hotplug() first: pciehp_isr drops the events, also
//     those of a real unplug, for good;
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
//     the ioctl after a delay drawn uniformly from [0, ResetSpread] (stream "reset/<device>");
//   - the apps' SUBMIT ioctl returns EBUSY during a reset (the app retries at its next
//     operation) and ENODEV once .remove ran (the app ends);
//   - one Root Port with a slot per Spec device; no real surprise removal (no unplug events):
//     the scenario is the reset's race, not pciehp's with a departing card;
//   - every port has bwctrl sharing pciehp's interrupt (v6.13+); its pciehp_reset_slot masks
//     (before 2025) under reset-slot-masked only, and annotates the reset otherwise.
package sbrpciehp
