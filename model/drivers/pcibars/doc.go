// Package pcibars models the movable-BARs protocol of the movable-BARs thread (amdgpu on a PCI bus whose
// rescan moves BARs) and is driven by the scenario "pci-bar-move" in
// hotplugsim/workloads/pcibarmove.
//
// The topology is several devices behind one bridge: GPUs (GPU, an amdgpu-like driver with
// a register BAR, a CPU-visible VRAM BAR, TTM BOs that apps mmap, a kernel ring BO in VRAM,
// and a command-submission ioctl that may read a BO another GPU exported through dma-buf
// peer to peer) and an NVMe-like device (NVMe: doorbell registers, an I/O path, and a
// BarFixed hook). A rescan (Core.Rescan, or Core.ResizeBAR) calls every driver's
// RescanPrepare, releases and reassigns every movable BAR (model/pci moves them even when
// nothing changed), then calls RescanDone.
//
// The GPU's RescanPrepare stops the hardware, zaps the user mappings of its VRAM BOs
// (ttm_bo_unmap_virtual, i.e. unmap_mapping_range), iounmaps the ring and the registers;
// RescanDone ioremaps both at the new BAR addresses, tells TTM the new aperture base and
// restarts the hardware. A fault on a zapped mapping during the move answers VM_FAULT_RETRY
// (after waiting for the move) and refills at the new address, as the gatedOps pattern of
// model/ttm's tests does with a rw-lock: the read side is taken with a trylock and, if the
// move holds it, mmap_lock is dropped and the fault waits and retries.
//
// Policies (Policy, ParsePolicy), one driver with branches:
//
//   - no-lock: ioctls and register accessors take no lock (faults still wait for the move):
//     an ioctl between iounmap and ioremap is use-after-unmap.
//   - per-device-lock: each driver takes its own rw-lock for write in RescanPrepare and drops
//     it in RescanDone; ioctls and faults take it for read. Each lock has the lockdep class of
//     its init_rwsem call site ("&adev->bar_lock" for every GPU, "&dev->bar_lock" for the
//     NVMe), as a static lock_class_key per site gives: the rescan holds gpu-a's lock while it
//     takes gpu-b's, and the importing GPU's ioctl holds its own while it takes the exporter's,
//     so lockdep reports recursive locking (lock-order) on the first rescan, whether or not
//     the run deadlocks (desrun run --scenario pci-bar-move --policy per-device-lock --seed 1).
//   - global-rwsem: one PCI-level rw-lock (Core.BARLock, class "pci_bar_rwsem"), read side at
//     the roots of ioctls and faults (register accessors assert it is held), write side
//     from the first RescanPrepare to the last RescanDone, i.e. inside pci_rescan_bus and so
//     under pci_rescan_remove_lock. No violation. The default.
//   - no-zap: as global-rwsem, but RescanPrepare does not zap user mappings: an app access
//     through a PTE filled before the move lands on the old BAR address (stale-pte; the model
//     reports it before anything else because kernel mappings are still remapped).
//
// Trace spans (kinds ending in ":begin" / ":end", same Obj, des.Span): "ioctl"
// around every app ioctl (Obj "<device>:cs", "<device>:cs-p2p", "<device>:io"), "fault"
// around every user access that faulted, from the first entry into the fault handler to
// the completed access (Obj "<device>:<app>:bo<i>"), "barmove" per device from the start of
// its RescanPrepare to the end of its RescanDone (Obj the device name), and "rescan" around
// the platform operation (Obj "pci0000").
//
// Kernel sources and patches read (via the search tool):
//
//   - the movable-BARs thread (Grodzovsky / König, "Remapping BOs and registers post BAR movements"):
//     iounmap in rescan_prepare, ioremap in rescan_done, zap user BO mappings and answer
//     faults with VM_FAULT_RETRY until done; per-device locks vs one PCI-level rw-lock.
//   - Sergei Miroshnichenko's movable-BARs series: "PCI: hotplug: Initial support of the
//     movable BARs feature" (pause drivers, release and reassign, resume), "PCI: Rescan the
//     bus to resize a BAR", "PCI/portdrv: Declare support of movable BARs" (.bar_fixed),
//     "nvme-pci: Handle movable BARs" (v9: rescan_prepare is nvme_dev_disable + nvme_dev_unmap,
//     rescan_done nvme_dev_map + nvme_reset_ctrl, bar_fixed returns false, so the NVMe BAR moves
//     on every rescan as the GPUs' do; NewNVMe's fixedBAR is a test hook, the scenario leaves
//     it off).
//   - drivers/nvme/host/pci.c nvme_remap_bar (iounmap, ioremap(pci_resource_start)).
//   - drivers/gpu/drm/amd/amdgpu/amdgpu_device.c (amdgpu_device_resize_fb_bar, the register
//     accessors and the reset_domain rw_semaphore the seed proposes to imitate).
//   - drivers/gpu/drm/ttm/ttm_bo_vm.c (the fault handler this package wraps),
//     mm/memory.c unmap_mapping_range.
//
// Simplified, one line each:
//
//   - a job runs synchronously inside its ioctl (no scheduler, no fences), so draining the
//     ioctls drains the hardware;
//   - the P2P read of an exported BO targets the exporter's aperture one page past the ring,
//     not the BO's own VRAM offset (model/ttm does not export a BO's VRAM offset);
//   - the PCI-level rw-lock lives here (Core), as model/pci has none; the first driver's
//     RescanPrepare takes it for write, the last RescanDone drops it;
//   - the NVMe's I/O path takes the same BAR lock as the GPU's ioctls where the real driver
//     relies on nvme_dev_disable quiescing its queues (drivers/nvme/host/pci.c), so under
//     no-lock a movable NVMe BAR is unprotected too;
//   - no interrupts, work items or timers touch the registers (the hda scenario covers those).
package pcibars
