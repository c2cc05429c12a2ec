package accel

import "hotplugsim/model/drivers/policy"

// Policy names: how the RESET_DEVICE ioctl resets the device (see the package doc).
const (
	// RawSBR is the out-of-tree driver: it toggles the Secondary Bus Reset bit in the parent
	// bridge's Bridge Control itself, behind pciehp's back.
	RawSBR = "raw-sbr"
	// MaskNoClear masks the slot's link and presence events around its own SBR, as
	// pciehp_reset_slot did, but leaves the latched Slot Status bits set.
	MaskNoClear = "mask-no-clear"
	// ResetSlotMasked resets through pci_reset_function with pciehp_reset_slot as it was
	// before 2025: events masked and cleared, while bwctrl shares the interrupt.
	ResetSlotMasked = "reset-slot-masked"
	// IgnoreHotplug marks the device with pci_ignore_hotplug before its own SBR.
	IgnoreHotplug = "ignore-hotplug"
	// IgnoreLinkChange wraps its own SBR in pci_hp_ignore_link_change and
	// pci_hp_unignore_link_change.
	IgnoreLinkChange = "ignore-link-change"
	// ResetSlot resets through the PCI core: pci_reset_function -> pciehp_reset_slot, which
	// annotates the reset with pci_hp_ignore_link_change.
	ResetSlot = "reset-slot"
	// ResetInDevEnter stops the engine and resets through pci_reset_function without leaving
	// drm_dev_enter: a .remove that holds the device_lock waits for the ioctl, which waits
	// for that device_lock.
	ResetInDevEnter = "reset-in-dev-enter"
	// TryResetInDevEnter is ResetInDevEnter with pci_try_reset_function, which returns
	// -EAGAIN instead of waiting for a device_lock someone holds.
	TryResetInDevEnter = "try-reset-in-dev-enter"
	// DefaultPolicy is the policy of a Config that names none.
	DefaultPolicy = ResetSlot
)

// Policy is one design of the RESET_DEVICE ioctl against pciehp.
type Policy struct {
	Name string
	Doc  string // one line
	// ViaCore: pci_reset_function, which reaches the slot's reset_slot method.
	ViaCore bool
	// CoreMasks: the slot's pciehp_reset_slot masks and clears the events instead of
	// annotating the reset (pci.SlotConfig.MaskOnReset); the scenario builds the slot so.
	CoreMasks bool
	// Mask: the driver masks PDCE|DLLSCE in the port's Slot Control around its SBR.
	Mask bool
	// Ignore: pci_ignore_hotplug before the SBR.
	Ignore bool
	// Annotate: pci_hp_ignore_link_change / pci_hp_unignore_link_change around the SBR.
	Annotate bool
	// Reenter: after the reset the ioctl enters drm_dev_enter again (ENODEV if .remove ran
	// meanwhile) and re-initialises or marks the context dead inside it, so a .remove that a
	// real surprise removal starts waits for it. The buggy designs check at entry only.
	Reenter bool
	// InDevEnter: the ioctl stops the engine (accel_hw_stop, QuiesceTime) and resets and
	// re-initialises without leaving the drm_dev_enter section it entered at entry.
	InDevEnter bool
	// Try: pci_try_reset_function instead of pci_reset_function (ViaCore).
	Try bool
}

// Decl returns the policy's name and doc.
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// Policies lists every policy, the buggy ones first.
var Policies = []Policy{
	{Name: RawSBR,
		Doc: "the driver sets and clears PCI_BRIDGE_CTL_BUS_RESET itself: pciehp sees Link Down, unconfigures the slot and .remove frees the hw context under the sleeping ioctl"},
	{Name: MaskNoClear, Mask: true,
		Doc: "the driver masks PDCE|DLLSCE around its SBR but does not clear the latched DLLSC: pciehp_isr picks it up (bwctrl's interrupt, the unmask) and pciehp removes the device under the ioctl"},
	{Name: ResetSlotMasked, ViaCore: true, CoreMasks: true,
		Doc: "pci_reset_function() with pciehp_reset_slot() as before 2025 (mask, reset, clear, unmask): bwctrl's Link Bandwidth Notification runs pciehp_isr mid-reset, which takes the masked DLLSC; pciehp acts once reset_lock is free (bugzilla 219765)"},
	{Name: ResetInDevEnter, ViaCore: true, InDevEnter: true,
		Doc: "the ioctl stops the engine and calls pci_reset_function() inside drm_dev_enter: a card pulled meanwhile has pciehp's .remove, under device_lock, wait for the ioctl, which waits for device_lock (deadlock)"},
	{Name: IgnoreHotplug, Ignore: true, Reenter: true,
		Doc: "pci_ignore_hotplug() before the driver's own SBR: pciehp_isr drops the slot's events (for good: a real unplug is ignored too)"},
	{Name: IgnoreLinkChange, Annotate: true, Reenter: true,
		Doc: "the driver's own SBR between pci_hp_ignore_link_change() and pci_hp_unignore_link_change(): pciehp_ist awaits the section and ignores its Link Down/Up"},
	{Name: TryResetInDevEnter, ViaCore: true, InDevEnter: true, Try: true,
		Doc: "as reset-in-dev-enter with pci_try_reset_function(): -EAGAIN when .remove holds the device_lock, and the ioctl leaves drm_dev_enter"},
	{Name: ResetSlot, ViaCore: true, Reenter: true,
		Doc: "pci_reset_function() -> pciehp_reset_slot(): reset_lock held for writing, the SBR annotated with pci_hp_ignore_link_change(), which pciehp_ist awaits and ignores"},
}

// ParsePolicy returns the policy named name.
func ParsePolicy(name string) (Policy, error) { return policy.Parse("accel", Policies, name) }
