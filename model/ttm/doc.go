// Package ttm models the TTM buffer objects GPU drivers map to user space: BOs placed in
// VRAM (CPU-visible through the VRAM BAR), GTT (TT: system pages the GPU reaches through
// DMA mappings) or SYSTEM, pinning, Move and Evict with a move fence on the BO's dma_resv,
// the CPU fault handler ttm_bo_vm_fault with its dummy page for unplugged devices, and
// ttm_device_clear_dma_mappings for the remove path.
//
// Oracles: this package adds none of its own; its objects make the others fire:
//   - oracle.StalePTE (model/mm) when a user access goes through a PTE that points at an old
//     BAR address (the VRAM BAR moved and the BO was not unmapped, or a fault raced the
//     move and used the old aperture base) or at a freed TT or dummy page;
//   - oracle.SIGBUS (model/mm) when a process promised none gets one (the v1 "SIGBUS after
//     unplug" policy, Options.SIGBUSAfterUnplug, or a TT page population that fails);
//   - oracle.UseAfterFree (model/kasan) when a freed BO is used, or (model/iommu, through
//     IOMMUMapper) when a BO's TT pages are DMA-unmapped after PCI remove released the
//     device's IOMMU group (the xe drmm-managed migrate BO of the xe hot-unplug thread).
//
// Sources read (Linux ~v6.16):
//   - drivers/gpu/drm/ttm/ttm_bo_vm.c: ttm_bo_vm_reserve (dma_resv_trylock; if contended
//     and fault_flag_allow_retry_first: take a BO ref, mmap_read_unlock, lock+unlock the
//     resv, VM_FAULT_RETRY; otherwise lock with mmap_lock held), ttm_bo_vm_fault_idle
//     (KERNEL fences: retry the same way, or wait; error -> SIGBUS), ttm_bo_vm_fault_reserved
//     (page offset from vm_pgoff and the vma node; out of range -> SIGBUS; io_mem_pfn =
//     bus.offset + page; TT pages populated, a failure other than -EINTR/-EAGAIN -> SIGBUS,
//     since v6.4 "Make the call to ttm_tt_populate() interruptible when faulting"; prefault
//     up to TTM_BO_VM_NUM_PREFAULT),
//     ttm_bo_vm_dummy_page (a zeroed page, freed by a drmm action, mapped over the whole
//     VMA), ttm_bo_vm_fault (reserve, then fault_reserved under drm_dev_enter or the dummy
//     page when it fails; keep the resv unlocked after VM_FAULT_RETRY), ttm_bo_mmap_obj,
//     ttm_bo_vm_open / ttm_bo_vm_close (BO reference per VMA).
//   - drivers/gpu/drm/ttm/ttm_bo.c: ttm_bo_handle_move_mem (ttm_bo_unmap_virtual before
//     the move), ttm_bo_unmap_virtual (drm_vma_node_unmap = unmap_mapping_range of the
//     BO's range of the device mapping), ttm_bo_pin / ttm_bo_unpin, ttm_bo_evict, ttm_bo_put.
//   - drivers/gpu/drm/ttm/ttm_bo_util.c: ttm_bo_move_accel_cleanup (pipelined move: the old
//     resource becomes a ghost freed when the move fence signals; ttm_bo_move_to_ghost
//     leaves the old TT on the ghost, whose resource stays on the TT LRU, so
//     ttm_device_clear_dma_mappings unpopulates it too).
//   - drivers/gpu/drm/ttm/ttm_resource.c, ttm_device.c: resource managers,
//     ttm_device_clear_dma_mappings / ttm_device_clear_lru_dma_mappings (unpopulate the TT of
//     every BO, pinned ones included, each under a ttm_bo_get_unless_zero reference "against
//     racing releases", dropped with ttm_bo_put).
//   - drivers/gpu/drm/ttm/ttm_tt.c ttm_tt_unpopulate, drivers/gpu/drm/xe/xe_bo.c
//     xe_tt_unmap_sg (the sg table is unmapped once and cleared: whoever unpopulates a TT
//     owns it; the model claims bo.tt/bo.dma before unmapping so a racing path finds none).
//   - mm/memory.c insert_pfn (under vmf_insert_pfn_prot): a PTE already present is left as
//     it is (VM_FAULT_NOPAGE), so a prefault or the dummy page never repairs a stale PTE;
//     model/mm's InsertPFN/InsertPage overwrite, so the fault path checks Present first.
//   - drivers/gpu/drm/amd/amdgpu/amdgpu_ttm.c amdgpu_ttm_io_mem_reserve: bus.offset =
//     (start << PAGE_SHIFT) + adev->gmc.aper_base, and amdgpu_ttm_io_mem_pfn, which the fault
//     uses: aper_base + offset read at every fault (what a BAR move must update: SetAperBase).
//   - the movable-BARs thread (BO remapping on BAR move), the amdgpu hot-unplug v6 thread (dummy page), the xe hot-unplug thread (clear all DMA
//     mappings at remove, pinned BOs included).
//
// Simplified:
//   - The final ttm_bo_put drops the resv's fence references there (drm_gem_object_release's
//     dma_resv_fini, which mainline reaches at bo->destroy after any delayed delete).
//   - VRAM is all CPU visible (large BAR): no visible/invisible split and no fault-time move.
//   - One resource manager per placement, first-fit page allocator for VRAM, no LRU,
//     no swapping, no eviction ordering: drivers evict the BOs they choose.
//   - The final ttm_bo_put releases at once (no delayed delete on a busy resv), and a ghost
//     holds no reference on its BO (ttm_buffer_object_transfer takes one): no oracle here
//     reads when a BO's memory is freed, only the DMA unmaps, which the ghost still does.
//   - ClearDMAMappings waits (spinning) for a BO whose release is already in flight where the
//     kernel's loop retries the LRU head until the release takes the resource off it.
//   - Waits are never interrupted (no signals), so the fault's fence wait never fails: a
//     KERNEL fence that signalled with an error is waited for like any other (ttm_bo_vm.c
//     ttm_bo_vm_fault_idle: dma_resv_wait_timeout returns < 0 only for -ERESTARTSYS).
//   - FAULT_FLAG_RETRY_NOWAIT is not modelled (user faults never set it).
//   - Each fault under an unplugged device allocates its own dummy page, as the kernel does.
//   - The VRAM PFN is amdgpu's io_mem_pfn (aper_base at fault time); a driver without one
//     uses bus.offset, cached per resource by ttm_mem_io_reserve (ttm_bo_util.c).
//   - The final put zaps the BO's user mappings, which ttm_bo_release (ttm_bo.c) does not (a
//     VMA holds a reference): a refcount bug then shows as a use-after-free at the next fault
//     instead of a read of reused VRAM, which the PTE oracle cannot see.
//   - Moving a pinned BO is -EBUSY; ttm_bo_validate (ttm_bo.c) returns -EINVAL.
package ttm
