// Package xe models the Intel xe driver's hot-unplug teardown (the xe hot-unplug thread: "drm/xe_migrate:
// Switch from drm to dev managed actions" and the thread it started): what happens to every
// DMA mapping the driver holds when the PCI device goes away while applications still hold
// buffer objects, and apps close their files later.
//
// The device has
//   - a migrate subsystem owning a pinned page-table BO in system memory (TT), DMA-mapped
//     through the device's IOMMU group (xe_migrate_init);
//   - system-memory BOs of apps (TT pages DMA-mapped at creation), VRAM BOs (CPU-visible
//     through BAR 2), BOs pinned by apps (scanout-style pins);
//   - userptrs: user pages DMA-mapped for the GPU (xe_userptr / xe_hmm);
//   - dma-buf export of VRAM BOs with dynamic importers (another xe device: the importer maps
//     the attachment through its own IOMMU group and runs jobs that read the memory; the
//     exporter's move_notify marks that mapping stale, and the importer unmaps it at its next
//     map or when it drops the BO, as xe_bo_move_dmabuf defers it);
//   - a ring (the GuC's queue) on which exec ioctls submit jobs, and a doorbell register in
//     BAR 0.
//
// The dma-buf core (struct dma_buf, dynamic attachments, map/unmap under the resv,
// move_notify, detach and release, with their oracles) is model/dmabuf; this package supplies
// xe's exporter ops (map through the importer's IOMMU group, unmap, release) and importer ops
// (move_notify marks the attachment's mapping stale).
//
// The remove path (xe_pci_remove -> xe_device_remove) unplugs the drm_device
// (drm_dev_unplug: no ioctl, fault or job may still run inside drm_dev_enter; the model then
// declares the device unplugged to model/mem's gone-hardware check, on for xe), kills the
// ring (in-flight fences are force-signalled with -ENODEV), then, by policy, tears down
// mappings. After .remove the devm actions run; then model/pci's BUS_NOTIFY_REMOVED_DEVICE
// makes model/iommu release the group. The drm_device lives on until the last file closes;
// its final drm_dev_put runs the drmm actions. Any dma_unmap after the group was released is a
// use-after-free of the group (the kernel's NULL dereference of dev->iommu_group).
//
// Fence lifetime: the ring's hardware fences are what Exec hands out (an out-syncobj's
// reference) and what an importer's job leaves in the exporter's resv. The remove path's
// wedge signals every one still emitted (-ENODEV) and drops the ring's references; the
// timeline itself ends only with the drm_device, at its final drm_dev_put, when every file
// on the device is closed (destroy). The xe scenarios turn model/fence's leak check on, so a
// fence of the device still referenced after that is reported as kmemleak reports an
// unreferenced object (fence-leak); the fixed design leaves none.
//
// Policies (Policy; names as the scenario registers them):
//   - drmm-migrate: xe_migrate_fini is a drmm action: it unmaps the page-table BO at the last
//     drm_dev_put, after the group is gone -> use-after-free (the bug of the seed patch);
//   - devm-migrate: the seed patch: migrate fini is a devm action, but nothing else is torn
//     down at remove, so the first app BO, userptr or imported attachment unmapped at a late
//     close still uses the freed group -> use-after-free (Matthew Auld's objection);
//   - clear-mappings: the thread's conclusion (xe_bo_pci_dev_remove_all and friends): devm
//     migrate, and at remove ttm_device_clear_dma_mappings (pinned BOs included), every userptr
//     and every imported attachment unmapped, and each exported VRAM BO gets move_notify to its
//     importers, a wait for idle and a move to system memory; ioctls run as mainline's
//     xe_drm_ioctl runs them (xe_device_wedged, the runtime-PM ioctl reference, drm_ioctl: no
//     drm_dev_enter), so an ioctl that passed drm_ioctl's unplugged check runs on through the
//     remove -> ioctl-after-unplug (desrun run --scenario xe-unplug --policy clear-mappings
//     --seed 13 --strategy pct:3: XE_EXEC returns 0 after drm_dev_unplug), use-after-free
//     (--seed 24: a dma_map through the IOMMU group remove released) and
//     use-after-unmap (--seed 2: XE_EXEC's doorbell writel after BAR 0's iounmap);
//   - clear-mappings-dev-enter: clear-mappings, and every ioctl handler runs inside
//     drm_dev_enter (the guard amdgpu puts at its ioctl roots), so drm_dev_unplug's
//     synchronize_srcu waits for the ioctls in flight before the teardown -> no violation.
//
// Kernel sources read (Linux ~v6.16, with the search tool): drivers/gpu/drm/xe/xe_migrate.c
// (xe_migrate_init: drmm_add_action_or_reset -> devm_add_action_or_reset(xe_migrate_fini);
// xe_migrate_fini unpins and puts pt_bo), xe_device.c (xe_device_remove: drm_dev_unplug, then
// xe_bo_pci_dev_remove_all), xe_bo_evict.c (xe_bo_pci_dev_remove_all: evict exported dma-buf
// and SVM BOs to system, purge the rest, dma-unmap pinned external BOs; xe_bo_pinned_init's
// devm xe_bo_pinned_fini), xe_pci.c (xe_pci_remove), xe_dma_buf.c (xe_dma_buf_map maps for
// attach->dev; xe_dma_buf_unmap; xe_dma_buf_move_notify evicts the importer's BO;
// xe_dma_buf_pin: -EINVAL for a BO pinned outside TT, else xe_bo_migrate to TT and
// xe_bo_pin_external; xe_dma_buf_unpin),
// xe_userptr.c (xe_userptr_remove frees the DMA pages; the per-userptr unmap mutex), xe_bo.c;
// drivers/gpu/drm/ttm/ttm_device.c (ttm_device_clear_dma_mappings); drivers/iommu/iommu.c
// (iommu_release_device on BUS_NOTIFY_REMOVED_DEVICE); drivers/base/dd.c
// (__device_release_driver: .remove, then devres_release_all); xe_pci_error.c
// (xe_pci_error_detected, _mmio_enabled, _slot_reset, _resume); xe_uc_fw.c (xe_uc_fw_init:
// uc_fw_request's firmware_request_nowarn, a required firmware's failure failing the probe,
// uc_fw_copy, release_firmware), loaded through model/firmware; xe_hw_fence.c
// (xe_hw_fence_irq_init/_finish: the fence irq's pending list holds a reference per fence
// until it signals, and _finish signals and puts what is left; xe_hw_fence_ctx_init takes a
// dma_fence context per timeline and xe_hw_fence_ctx_finish is empty; a fence's release
// frees it to the xe_hw_fence slab), xe_gt.c (xe_gt_init's devm_add_action_or_reset of
// xe_gt_fini, which runs xe_hw_fence_irq_finish for every engine class at unbind, while files
// may still hold fences), xe_exec_queue.c and xe_lrc.c (each exec queue holds its LRCs, and an
// LRC carries a fence context: xe_lrc_init's xe_hw_fence_ctx_init, xe_lrc_finish's
// xe_hw_fence_ctx_finish when the LRC's last reference goes with the queue), xe_device.c (xe_device_create's
// drmm_add_action_or_reset(xe_device_destroy): ttm_device_fini and the workqueues at the final
// drm_dev_put); the xe hot-unplug mail thread
// (drmm-managed migrate BO released after the IOMMU group is gone); the same NULL dereference on process exit
// after device removal with an IOMMU reported for another driver (tenstorrent/tt-kmd#34).
//
// Simplified, one line each:
//   - one fence timeline, the ring's, ends at the drm_device's final put (drm_driver.release,
//     the same drm_dev_release that runs xe_device_destroy), not with each exec queue or at
//     xe_gt_fini's unbind: the moment after which a fence of the device is unreachable.
//   - Exec hands the caller the job's hardware fence with a reference standing for its
//     out-syncobj's (xe_exec_ioctl's xe_sync_entry_signal); ExecWait and HealthCheck put it after
//     the wait, as drm_syncobj_free does when the app destroys the syncobj.
//   - one tile, one GT, one ring: exec ioctls submit straight to the ring (no drm_sched entity,
//     no GuC exec queues); jobs never hang on present hardware. The ring keeps drm_sched's TDR
//     (a work_tdr pushed out to JobTimeout at each submission, xe_hw_engine.c's 5 s): a job
//     on hardware gone before remove ran is timed out as guc_exec_queue_timedout_job does
//     (xe_guc_submit.c: -ETIME for it, -ECANCELED for the later ones);
//   - ioctls: xe_drm_ioctl (xe_device.c, read in its v6.15 form and the later ACQUIRE(xe_pm_runtime_ioctl)
//     form) checks xe_device_wedged and takes a runtime-PM reference, then drm_ioctl; no
//     drm_dev_enter. The model keeps drm_ioctl's unplugged check and drops the wedged and PM
//     steps (the model's device is never runtime-suspended, and is wedged only between
//     error_detected and the re-probe of slot_reset, whose wedge already stops its ring);
//   - PCI error handlers (pcierr.go) follow xe_pci_error.c (drm-xe-next, 2026):
//     error_detected(frozen) wedges (xe_gt_declare_wedged: the ring stops, its fences signal
//     -ENODEV) and asks for a reset; mmio_enabled finds no RAS error (no RAS registers);
//     slot_reset runs the driver's remove, releases its devres group and probes again;
//   - remove clears with ttm_device_clear_dma_mappings (Auld's proposal in the thread);
//     mainline's xe_bo_pci_dev_remove_all evicts with a purge placement and dma-unmaps pinned
//     external BOs, kernel pinned BOs in devm xe_bo_pinned_fini (xe_bo_evict.c): same mappings
//     gone before the group;
//   - the importer's removal unmaps its attachments without xe_bo_move_dmabuf's BOOKKEEP wait
//     (xe_bo.c): its own jobs were force-completed just before;
//   - one userptr unmap mutex per device, not per userptr (xe_hmm.c's unmap_mutex);
//   - a BO is at most a few pages; a userptr is one DMA mapping of its pages (no hmm ranges, no
//     MMU notifier invalidation);
//   - BO teardown against the remove path is serialised by one device mutex (the kernel relies
//     on ttm's LRU lock and BO references);
//   - the importer of a dma-buf is another xe device in the same model; exporter-side VRAM
//     access after removal is not an oracle (P2P reads of a gone BAR return ~0), so the
//     exporter's VRAM is only freed by the move at remove or when the last reference goes,
//     each after waiting for the importers' jobs;
//   - an exported TT/system BO would lose its pages to ttm_device_clear_dma_mappings while an
//     importer still reads them ("we can't drop the pages"); the model does not check that,
//     and the scenario exports VRAM only;
//   - drm_open against the remove path: remove waits for opens in progress before the devm
//     drm_dev_put, standing for drm_minor_lock (model/drm's Open yields between its minor
//     check and its reference).
//
// Platform (platform.go) is the driver-level API for the IGT core_hotunplug workloads:
// probe/bind, unbind, sysfs remove, surprise removal, rescan, replug, Open, SubmitNoop and
// HealthCheck. The scenario xe-unplug is registered by hotplugsim/workloads/xeunplug (model
// packages do not import workloads).
package xe
