// Package p2p models dma-buf peer-to-peer sharing between two GPUs and the dma_resv fence
// hole the dma-buf fence-replacement thread is about: device A exports a VRAM buffer object, device B imports it (peer to
// peer when the PCI topology allows, else through system memory) and runs shaders that read
// it, while A renders into it with explicit sync, evicts it under memory pressure and
// finally frees it. It is driven by the scenario "p2p-evict", registered by the package
// workloads/p2pevict of this module (the apps and the Spec glue); this package does not
// import workloads.
//
// The API: NewWorld builds a Config's topology (the GPUs, the bridges they sit behind, the
// policy of each) on a des.Sim; the World's methods are the app operations, called from a
// process: OpenShare (allocate, export and import a buffer; Share.Read submits the
// importer's shader, Share.Close drops every handle), OpenPrime (PRIME display offload: a
// static importer on the display GPU, whose attach pins the buffer in GTT and maps it once;
// Prime.Frame renders and scans out, Prime.Close detaches and unpins), Render (the
// exporter's explicit-sync write and sync-file import) and Compute (a scratch buffer that
// makes memory pressure).
//
// The dma-buf core (struct dma_buf, its attachments, map/unmap under the resv, move_notify,
// detach and release, with their oracles) is model/dmabuf; this package supplies amdgpu's
// exporter ops (attach with the P2P distance check, map, release) and importer ops
// (move_notify), and keeps its trace spans in them.
//
// The protocol, one driver model for every GPU of the topology:
//
//   - attach (dma_buf_dynamic_attach, amdgpu_dma_buf_attach): the exporter checks the P2P
//     distance between the two devices through the PCI topology (P2PDistance, after
//     pci_p2pdma_distance_many); if it is negative the attachment's peer2peer is cleared.
//   - map (amdgpu_dma_buf_map, under the dma-buf's resv): a VRAM buffer is mapped for a
//     peer2peer importer as bus addresses in the exporter's VRAM BAR (an sg table without
//     struct pages); otherwise it is first migrated to GTT, and the importer gets the system
//     pages.
//   - importer CS: a shader job (model/sched) reads the mapping; it depends on the
//     exclusive fence (implicit sync of a reader) and its finished fence is added to the
//     resv as a shared (READ) fence. fence.Backing.Access records that the job reads the
//     memory until its fence signals.
//   - exporter render with explicit sync: a job writes the buffer without waiting for the
//     readers, then user space imports its fence as the exclusive fence
//     (DMA_BUF_IOCTL_IMPORT_SYNC_FILE). This is where the policies differ.
//   - eviction (ttm_bo_evict under memory pressure) and migration: under the resv lock,
//     dma_buf_move_notify to every importer (which drops its mapping and remaps at its
//     next CS), wait for every fence of the resv (idle), then copy on the SDMA ring; the
//     old memory is freed when the copy's fence signals (ttm_bo_move_accel_cleanup).
//   - release: the final reference (exporter's GEM handle closed, importer detached) frees
//     the memory once the resv is idle (ttm's delayed delete).
//
// Policies:
//
//   - replace-exclusive: the imported fence replaces the exclusive fence of the pre-5.19
//     resv (fence.NewLegacyResv: dma_resv_add_excl_fence drops the shared fences), so the
//     readers' fences are gone; eviction or release waits only for the new fence and frees
//     the memory a shader still reads: gpu-use-after-free.
//   - fence-array (default): the new exclusive fence is a dma_fence_array of the imported
//     fence and every fence already in the resv (__dma_resv_make_exclusive, the fix the
//     thread proposes), so waiting for it waits for the readers too. The usage-based
//     dma_resv of 5.19 reaches the same end by keeping READ fences next to the WRITE one.
//
// Kernel sources read (Linux ~v6.16 unless noted):
//
//   - drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.c, three versions: torvalds/linux ~v5.10
//     (bo->tbo.mem) and the ~v5.14 amdkcl backport in NVIDIA/open-gpu-kernel-modules, where
//     amdgpu_dma_buf_attach clears peer2peer when pci_p2pdma_distance_many < 0 and only for a
//     non-amdgpu importer calls __dma_resv_make_exclusive (dma_fence_array_create of every
//     fence; the function left with the 2021 "rework dma_resv handling" and is not in v6.x);
//     v6.x patches: attach checks XGMI, then pci_p2pdma_distance < 0. amdgpu_dma_buf_map
//     (VRAM only for peer2peer attachments, else validate to GTT; amdgpu_vram_mgr_alloc_sgt
//     builds an sg table without pages), amdgpu_dma_buf_move_notify (ttm_bo_validate of the
//     import BO to no placement, then amdgpu_vm_handle_moved for each VM it can lock).
//   - drivers/gpu/drm/amd/amdgpu/amdgpu_ttm.c, amdgpu_bo_move: TT -> SYSTEM (the import BO
//     on move_notify) does ttm_bo_wait_ctx on the shared resv before unbind, which unmaps
//     the attachment.
//   - drivers/gpu/drm/amd/amdgpu/amdgpu_sync.c before v5.16: amdgpu_sync_resv always syncs
//     to the exclusive fence, then to shared ones unless the mode (EXPLICIT, owner) skips them.
//   - drivers/gpu/drm/xe/xe_dma_buf.c: xe_dma_buf_attach (the same distance check).
//   - drivers/pci/p2pdma.c: pci_p2pdma_distance_many, calc_map_type_and_dist (distance
//     through the common upstream bridge; through the host bridge only if whitelisted).
//   - drivers/gpu/drm/amd/amdgpu/amdgpu_dma_buf.c: amdgpu_dma_buf_pin (VRAM only if every
//     attachment is peer2peer, else GTT; amdgpu_bo_pin), amdgpu_dma_buf_unpin,
//     amdgpu_dma_buf_map (validates only an unpinned BO).
//   - drivers/dma-buf/dma-buf.c: dma_buf_dynamic_attach, dma_buf_attach (a static importer
//     of a dynamic exporter: pin and map at attach), dma_buf_map_attachment,
//     dma_buf_move_notify (skips static importers), dma_buf_import_sync_file (Jason
//     Ekstrand's v10 patch).
//   - drivers/dma-buf/dma-resv.c before v5.19: dma_resv_add_excl_fence drops the shared
//     fences; drivers/dma-buf/dma-fence-array.c (the array holds a reference on each
//     component and puts them in dma_fence_array_release; each pending callback holds one on
//     the array; the last component's dma_fence_array_cb_func queues an irq_work, and
//     irq_dma_fence_array_work signals the array and drops that reference) and dma-fence-unwrap.c (arrays flattened).
//   - drivers/gpu/drm/amd/amdgpu/amdgpu_ttm.c amdgpu_move_blit: dma_fence_put of the copy
//     fence after ttm_bo_move_accel_cleanup.
//   - drivers/gpu/drm/ttm/ttm_bo.c, ttm_bo_util.c: eviction waits for the BO to be idle,
//     the old resource is a ghost freed when the move fence signals; delayed delete frees
//     a released BO when its resv is idle.
//   - the dma-buf fence-replacement thread (Christian König: "replace that fence and free up the memory ... overwrite
//     page tables with your shader") and the xe hot-unplug thread (exported VRAM needs move_notify and a
//     wait for idle).
//
// Fence references are dropped where mainline drops them: the resv takes its own reference
// on the fence array, and the creator's is put (__dma_resv_make_exclusive's dma_fence_put);
// the copy fence of a move is the mover's until it waited for it (amdgpu_bo_move puts its
// reference after ttm_bo_move_accel_cleanup gave the ghost and the resv theirs). What a run
// leaves referenced is each GPU entity's last scheduled fence (with the scheduled and ring
// fences it holds): the devices are never torn down in this scenario, so the fence leak
// check (model/fence.CheckLeaks) is not on here.
//
// Topology: a GPU sits on the root bus or behind a named bridge (Device.Bridge, e.g. a PCIe
// switch "sw0"). Two GPUs behind the same bridge are P2P capable; a path through the host
// bridge is not (no whitelist in the model).
//
// Simplified, one line each:
//
//   - every GPU has 64 KiB of VRAM (16 pages) so a few buffers make memory pressure;
//   - one scheduler entity per GPU for every app, a raw SDMA ring for copies;
//   - eviction always goes VRAM -> GTT and nothing moves back; BOs are pinned only through the
//     dma-buf (dma_buf_pin, a static importer's attach) and a pinned BO is never evicted;
//   - sg tables are not DMA-mapped through an IOMMU (bus addresses of the BAR or the pages);
//   - the whole model runs on pre-5.19 dma_resv semantics (both policies), as in the thread;
//   - CONFIG_DMABUF_MOVE_NOTIFY=y: with =n a map pins to GTT, no P2P, no eviction (dma-buf.c);
//   - P2PDistance: no ACS, whitelist or Zen check; a bridge is a whole switch (p2pdma.c);
//   - generic implicit sync in CS; seed-era amdgpu_sync_resv only waited more (amdgpu_sync.c);
//   - move_notify unmaps before, not after, the wait for idle (amdgpu_ttm.c): same fences;
//   - evict and release wait on the CPU, not pipelined nor delayed (ttm_bo.c): same fences;
//   - a PRIME scanout is a job on the display GPU's ring reading the buffer once, not a
//     display engine reading it every vblank until the next flip (the fences are the same);
//   - a fence array enables signalling at creation, not at its first wait (dma-fence-array.c);
//     its irq_work is a hard-irq process of its own, spawned per array;
//   - a get, put or move of a released buffer, a second detach, close, or a read after close
//     panics with the transition's name (lifecycle.go; the kernel's kref would warn and go on).
package p2p
