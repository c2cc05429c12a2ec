// Package iommu models IOMMU groups and the DMA API on top of them: a group is allocated when
// a PCI device enters the device tree (iommu_probe_device on BUS_NOTIFY_ADD_DEVICE) and freed
// when it leaves it (iommu_release_device on BUS_NOTIFY_REMOVED_DEVICE, which model/pci
// sends after the driver's .remove and devres_release_all). DMAMap and Mapping.Unmap
// (dma_map_page / dma_unmap_page) go through the device's group, which is a kasan object:
// a map after the group was released is a use-after-free with allocated-by / freed-by /
// used-by sites, and an unmap then is reported as CONFIG_DMA_API_DEBUG reports it (same kind,
// same sites). That is the Intel xe hot-unplug bug (xe hot-unplug thread): the migrate BO
// was drmm-managed, so its DMA mapping was torn down at the final drm_dev_put, after PCI
// remove had already released the IOMMU group (a NULL dereference of dev->iommu_group in the
// kernel). Unmapping from a devm action, or in .remove, runs before the release and is fine.
//
// Kernel sources read:
//
//   - drivers/iommu/iommu.c (iommu_bus_notifier: BUS_NOTIFY_ADD_DEVICE -> iommu_probe_device,
//     BUS_NOTIFY_REMOVED_DEVICE -> iommu_release_device -> __iommu_group_remove_device ->
//     iommu_deinit_device: the default domain is freed when the group empties,
//     dev->iommu_group = NULL, and since v6.15 dev->dma_iommu = false; iommu_group_get/put);
//   - drivers/iommu/dma-iommu.c (iommu_dma_unmap_page: iommu_get_dma_domain(dev) reads
//     dev->iommu_group->default_domain, the NULL dereference of the xe hot-unplug thread);
//   - kernel/dma/mapping.c (dma_map_page_attrs / dma_unmap_page_attrs: use_dma_iommu(dev)
//     picks dma-iommu, else dma-direct);
//   - kernel/dma/debug.c (dma_debug_device_change: at BUS_NOTIFY_UNBOUND_DRIVER, "device
//     driver has pending DMA allocations while released from device", the entries kept;
//     debug_dma_unmap_page -> check_unmap looks the entry up by device and address);
//   - drivers/base/dd.c (__device_release_driver: .remove, then devres_release_all, before
//     device_del sends BUS_NOTIFY_REMOVED_DEVICE).
//
// Simplified, one line each:
//
//   - one device per group (no ACS-less multi-function sharing), one default DMA domain;
//   - IOVAs come from a bump allocator per group and are never reused;
//   - a dma_unmap after the group's release is reported as CONFIG_DMA_API_DEBUG reports the
//     misuse ("DMA-API: ... device driver has pending DMA allocations while released from
//     device", kernel/dma/debug.c dma_debug_device_change; debug_dma_unmap_page -> check_unmap
//     then finds that leaked entry), kind use-after-free, so the finding holds whatever the
//     kernel does with the call: v6.9-v6.14 oops on the NULL dev->iommu_group, since v6.15 it
//     silently takes dma-direct with an IOVA (iommu_deinit_device clears dev->dma_iommu). The
//     model reports it at the late unmap rather than at unbind, where dma-debug prints it
//     (model/splat.DMADebugPendingAtRelease);
//   - a dma_map after the release is reported as KASAN would see it (use-after-free of the
//     group);
//   - mappings still live at release are traced ("iommu-leaked-mappings"), not reported, where
//     CONFIG_DMA_API_DEBUG prints them at unbind (kernel/dma/debug.c);
//   - without Attach, DMA is dma-direct: mappings are tracked for double unmap only.
package iommu
