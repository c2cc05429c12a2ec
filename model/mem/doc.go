// Package mem models the physical address space of one simulation and kernel MMIO on it:
// devices (Owner) decode physical ranges (Region: a PCI BAR while it is assigned), drivers map
// them with Ioremap and access registers with Read8..Read64 / Write8..Write64 (readb..readq,
// writeb..writeq) through the returned IOMem, and each access checks three oracles:
//
//   - use-after-unmap: the IOMem was iounmapped;
//   - hw-after-remove: the device was removed (its driver unbound by the PCI remove path) and
//     the access comes from anything but the remove path (the process between
//     Owner.BeginRemove and Owner.EndRemove), or the mapping belongs to an earlier
//     incarnation of a replugged device;
//   - stale-mmio: the mapped physical range now decodes to another Region, to nothing, or
//     to the same Region at another base (the BAR was released or moved, e.g. by a rescan
//     with movable BARs; a move by less than the BAR's size still decodes the old address).
//
// A fourth oracle, mmio-suspended, fires on an access to hardware in a low-power state
// (Owner.SetSuspended: PCI D3hot after a runtime suspend, set by model/pci): the read
// completes with ~0 and the write is lost, as a function in D3hot does not decode memory.
//
// While the channel is frozen by an uncorrectable error (Owner.Freeze, until Owner.Reset, which
// also clears the registers), reads return all-ones and writes are dropped, counted as below.
//
// After surprise removal (Owner.Unplug) reads return all-ones of the access width and writes
// are dropped, as on x86 when a device is gone from the link; each is counted and traced
// ("mmio-allones", "mmio-dropped"), not reported: drivers are expected to see ~0 and cope.
// A driver model can opt in to a check that they do (Owner.SetGoneCheck(n), off by default):
// while the hardware is gone (after Unplug, until Replug; a frozen channel is not gone), more
// than n consecutive all-ones reads of the same register by one process (a poll loop that
// never notices the device is gone, from the remove path too), or a write to it by anything
// but the remove path once the driver declared the device unplugged (Owner.MarkUnplugged,
// after drm_dev_unplug), is reported as hw-after-remove. A write before that is the window
// no driver can close (the link went down without warning) and one by the remove path is
// its teardown (amdgpu's hw_fini programs the IPs unchecked; posted writes to an absent
// device are dropped harmlessly): both are only counted. drivers/pci/pci.c's
// pci_device_is_present and include/linux/pci.h's
// pci_dev_is_disconnected (pci_channel_io_perm_failure, set by pci_dev_set_disconnected from
// drivers/pci/pci.h on surprise removal, e.g. by pciehp) are how a driver learns it should
// stop touching the hardware. An access already reported (to
// removed hardware outside the remove path, or through a stale mapping) is not reported
// twice.
//
// Every access is a scheduling point (p.Point with kind readb..writeq, object the mapping,
// a = offset, b = width for reads, value for writes) taken before the access.
//
// Kernel sources read:
//
//   - arch/x86/mm/ioremap.c (__ioremap_caller, iounmap): a mapping is page tables
//     over a physical range; it does not pin the device behind it; iounmap of an address
//     with no vm area prints "iounmap: bad address".
//   - drivers/pci/iomap.c (pci_iomap_range, 2025 tree; lib/pci_iomap.c before): an ioremap of
//     the BAR's resource start, with no check that the range is still the device's.
//   - kernel/resource.c (__request_resource, release_resource): a claim overlapping a
//     sibling is a conflict; release unlinks the range.
//   - include/asm-generic/io.h (readb/readw/readl/readq, writeb..writeq).
//   - drivers/pci/pci.c (pci_device_is_present: a vendor-id read of ~0 means gone).
//   - Documentation/PCI/pci-error-recovery.rst (reads from a failed/absent device return
//     all-ones; drivers must check for ~0).
//
// Simplified, one line each:
//
//   - a register file is one value per (Region, offset); accesses of different widths at
//     overlapping offsets do not alias byte-wise (drivers use one width per register);
//   - no caching attributes (ioremap_wc/uc), no page granularity: a mapping is exact bytes;
//   - an access through a stale mapping is reported, and (when the Sim collects all
//     violations) lands on whatever decodes the address now, or reads ~0 if nothing does;
//   - an access after iounmap is reported and then reads ~0 / drops the write (the kernel
//     oopses on the page fault; nothing reaches the bus);
//   - a released Region stops decoding at once, where the hardware decodes until its BAR is
//     rewritten: the oracle is about ownership (kernel/resource.c), not about the wires;
//   - no request_mem_region / pci_request_regions (the driver's busy claim inside a BAR):
//     Claim is the PCI core's request_resource, and no oracle depends on the busy flag.
package mem
