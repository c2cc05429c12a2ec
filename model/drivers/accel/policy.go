package accel

import "hotplugsim/model/drivers/policy"

// Policy names: how the RESET_DEVICE ioctl resets the device (see the package doc).
const (
	// RawSBR is the out-of-tree driver: it toggles the Secondary Bus Reset bit in the parent
	// bridge's Bridge Control itself, behind pciehp's back.
	RawSBR = "raw-sbr"
	// MaskNoClear masks the slot's link and presence events around its own SBR, as
	// pciehp_reset_slot does, but leaves the latched Slot Status bits set.
	MaskNoClear = "mask-no-clear"
	// IgnoreHotplug marks the device with pci_ignore_hotplug before its own SBR.
	IgnoreHotplug = "ignore-hotplug"
	// ResetSlot resets through the PCI core: pci_reset_function -> pciehp_reset_slot.
	ResetSlot = "reset-slot"
	// DefaultPolicy is the policy of a Config that names none.
	DefaultPolicy = ResetSlot
)

// Policy is one design of the RESET_DEVICE ioctl against pciehp.
type Policy struct {
	Name string
	Doc  string // one line
	// ViaCore: pci_reset_function, which reaches the slot's reset_slot method.
	ViaCore bool
	// Mask: the driver masks PDCE|DLLSCE in the port's Slot Control around its SBR.
	Mask bool
	// Clear: ... and clears the latched PDC|DLLSC before unmasking.
	Clear bool
	// Ignore: pci_ignore_hotplug before the SBR.
	Ignore bool
}

// Decl returns the policy's name and doc.
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// Policies lists every policy, the buggy ones first.
var Policies = []Policy{
	{Name: RawSBR,
		Doc: "the driver sets and clears PCI_BRIDGE_CTL_BUS_RESET itself: pciehp sees Link Down, unconfigures the slot and .remove frees the hw context under the sleeping ioctl"},
	{Name: MaskNoClear, Mask: true,
		Doc: "the driver masks PDCE|DLLSCE around its SBR but does not clear the latched PDC|DLLSC: the unmask interrupts and pciehp removes the device under the ioctl's re-init"},
	{Name: IgnoreHotplug, Ignore: true,
		Doc: "pci_ignore_hotplug() before the driver's own SBR: pciehp_isr drops the slot's events (for good: a real unplug is ignored too)"},
	{Name: ResetSlot, ViaCore: true,
		Doc: "pci_reset_function() -> pciehp_reset_slot(): reset_lock held for writing, events masked, SBR, stale events cleared, unmasked"},
}

// ParsePolicy returns the policy named name.
func ParsePolicy(name string) (Policy, error) { return policy.Parse("accel", Policies, name) }
