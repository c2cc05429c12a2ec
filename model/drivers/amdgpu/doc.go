// Package amdgpu is the protocol model of amdgpu hot-unplug (the amdgpu hot-unplug v6 thread, "RFC Support hot device
// unplug in amdgpu" v6): apps open the render node, allocate BOs in CPU-visible VRAM and GTT,
// mmap and touch them (ttm's fault handler), submit jobs through the drm scheduler and wait
// for their fences, and share BOs through dma-buf with a second GPU, while the GPU is removed
// (orderly sysfs remove or surprise removal), and possibly replugged.
//
// One driver model, seven policies (Policy): v6-complete-first (the default),
// v6-kill-unflushed, v6-no-cancel-job, v6 (the series' design), v6-wait-in-enter, sigbus and
// noguard.
//
// The scenario "amdgpu-unplug" (package amdgpuunplug, in workloads/amdgpuunplug) drives the
// model: the Spec, the apps and the platform events. Its default Spec is a primary GPU and a
// render-only secondary one that is unplugged under two renderers, a compute loop and a
// PRIME share (gpu1 renders into a BO gpu0 imports). This package knows nothing of
// workloads.
//
// # The protocol, per policy
//
// Remove (amdgpu_pci_remove) in v6:
//
//  1. drm_dev_unplug inside a dma-fence signalling section (the annotation the series' TODO
//     asks for): unplugged, synchronize_srcu, unregister, zap every CPU mapping of the
//     device (the next fault maps ttm's dummy page: no SIGBUS);
//  2. fence finalisation: the rw_sem is taken for writing so no job is pushed after it,
//     the rings are halted and every hardware fence is force-signalled with -ENODEV;
//  3. drm_sched_fini, and every entity is killed so queued jobs signal -ESRCH;
//  4. early HW fini: cancel the idle work, del_timer_sync the fence fallback timer, free_irq
//     (no fence interrupt runs after it, and one in progress is waited for), clear the TT
//     DMA mappings (the IOMMU group goes right after .remove), iounmap the MMIO;
//  5. the amdgpu_device (and the scheduler) stay until the last drm_device reference: a
//     drmm action frees them. Files, mmaps and exported dma-bufs hold that reference.
//
// Every root that can touch the hardware runs under drm_dev_enter: ioctls (the dispatcher
// flag), the scheduler's run_job, the TDR (which returns ENODEV after unplug: no recovery,
// no rearm), the idle work and the fallback timer. The fence-wait ioctl waits outside any
// drm_dev_enter scope and reads its result under one. The model turns on model/mem's
// gone-hardware check (mem.GonePolls) and declares the device unplugged after drm_dev_unplug:
// a root that programs the absent device after that, or polls ~0 as a status, is
// hw-after-remove. The remove path's own teardown writes (amdgpu_device_ip_fini_early) are
// unchecked, as in amdgpu_device_wreg, and dropped harmlessly by the absent device.
//
// v6 with its TODO annotation is a buggy design: every ioctl that allocates a page inside
// drm_dev_enter (a TT BO's population, alloc_page -> might_alloc) teaches lockdep
// drm_unplug_srcu -> fs_reclaim, reclaim passes the mmu notifier (fs_reclaim ->
// mmu_notifier_invalidate_range_start), and dma_resv_lockdep primes mmu notifier ->
// dma_fence_map; the remove path's synchronize_srcu inside its signalling section closes
// dma_fence_map -> drm_unplug_srcu (lock-order, every seed of the default Spec):
//
//	desrun run --scenario amdgpu-unplug --policy v6 --seed 1
//
// The chain is real in the design as proposed: reclaim may wait for a fence the remove path
// signals only after synchronize_srcu, which waits for the allocating reader.
//
// v6-complete-first is the fixed design: it names the measure that breaks the chain.
// Remove signals every fence of the device before drm_dev_unplug: the rw_sem rejects new
// jobs, the rings are halted and their fences force-signalled (the signalling section),
// drm_sched_fini joins the scheduler thread, a second force-completion signals a fence a
// run_job in flight emitted on the halted ring, and the entity kill signals the queued jobs
// (-ESRCH); only then drm_dev_unplug, whose synchronize_srcu waits for no fence and runs
// outside any signalling section. Blocking allocations and fence waits inside
// drm_dev_enter are then allowed. Its fini_sw also waits for the entity kill works
// (sched.FlushKillJobs) before freeing the scheduler: mainline does not, and
// v6-kill-unflushed, the same design without that wait, runs
// drm_sched_entity_kill_jobs_work on the freed scheduler when a killed job's dependency
// signals after the last drm_dev_put (use-after-free, a few seeds in a thousand; see
// model/sched):
//
//	desrun run --scenario amdgpu-unplug --policy v6-kill-unflushed --seed 90
//
// (Mainline amdgpu_pci_remove calls drm_dev_unplug first and annotates nothing, so lockdep
// has no such cycle to report there.)
//
// Fence references follow mainline at file close and at remove: drm_file_free's
// drm_syncobj_release drops the file's out-fence, postclose destroys the context entity
// (amdgpu_ctx_mgr_fini) and finalises the VM (amdgpu_vm_fini: the clear job, then
// amdgpu_vm_fini_entities, drm_sched_entity_destroy), each entity dropping its last scheduled
// fence. fini_sw puts the fences the ring still holds (amdgpu_fence_driver_sw_fini) and frees
// the scheduler: the scenarios turn model/fence's leak check on, and a fence of the device
// still referenced when the run ends is reported (fence-leak). v6-complete-first and
// v6-kill-unflushed give the scheduler cancel_job (v6.17), so drm_sched_fini frees the jobs
// still pending with their fences (see model/sched). Their cancel_job force-completes the
// ring (-ECANCELED) and then waits for a fence interrupt in progress (synchronize_irq):
// amdgpu_fence_process claims a fence's seqno before it signals it, so without the wait a
// job whose callback the interrupt has yet to run would be freed under it. v6-no-cancel-job
// is v6-complete-first on the pre-v6.17 scheduler: drm_sched_fini leaves the jobs the
// scheduler thread had not freed yet (or that a run_job in flight put on the halted ring),
// and their finished, scheduled and hardware fences outlive the device and every file on it
// (fence-leak, about half the seeds of the default Spec):
//
//	desrun run --scenario amdgpu-unplug --policy v6-no-cancel-job --seed 2
//
// The other designs (v6, v6-wait-in-enter, sigbus, noguard) predate v6.17 and leak the same
// way; their own bugs are found first.
//
// v6-wait-in-enter puts the wait ioctl inside its drm_dev_enter scope: lockdep sees
// drm_unplug_srcu -> dma_fence_map (the wait) against dma_fence_map -> drm_unplug_srcu (the
// remove path's synchronize_srcu in its signalling section): lock-order, in every run where
// an app waits before the unplug. A surprise removal while an app waits for a job the dead
// ring never completes deadlocks synchronize_srcu for real (seen with CollectAll).
//
// sigbus (v1-v5) keeps the guards and the fence finalisation (without the signalling
// annotation, which only v6's TODO asks for) but: a fault after unplug is
// SIGBUS; the remove path waits for the device's drm files to close and then frees the
// amdgpu_device itself. A BO exported through dma-buf and imported by the other GPU outlives
// those files; when the importer lets go, amdgpu_bo_destroy runs on the freed device:
// use-after-free.
//
// noguard has neither the guards nor the fence finalisation: a job still queued when the
// remove path unmapped the MMIO is run (doorbell write), the VM clear pushed at file close
// is run, the TDR recovers a ring that is gone, the idle work reads a register: each is
// use-after-unmap. (Expect is use-after-unmap; a few runs end otherwise: fence-never-
// signalled when nothing touched the MMIO after the remove but a job never completed, or
// use-after-free of the idle work, re-queued by an unguarded run_job after the remove
// cancelled it and freed while armed at the last drm_dev_put.)
//
// # Exported API for IGT-style workloads
//
// Platform, GPU and Client drive the model without the scenario: NewPlatform, AddGPU, Boot,
// ProbeAll; GPU.Bind, Unbind, Remove, SurpriseRemove, Replug, Rescan; GPU.Open gives a
// Client (CreateBO, Mmap, Touch, Submit, SubmitNoop, Wait, Info, Export, Import, Close);
// GPU.HealthCheck is the core_hotunplug health check (open, no-op job, wait, close).
// The scenario's glue uses the same API, plus DriverName and ParsePolicy (the Spec's devices),
// Policy.NoSIGBUS (the address space an app gets), GPU.Bound and Generation (an app reopens
// a replugged GPU) and GPU.HangNextJob (the gpu-hang event).
//
// # Trace spans
//
// Kinds ending in ":begin" / ":end" with the same Obj: "ioctl" (Obj the ioctl name; the
// end's A is the error code), "fault" (Obj the BO) around every user CPU access, "open" and
// "close" of a client, the driver's "probe", "remove", "drm_dev_unplug", "finalise-fences",
// "fini-hw" and (sigbus) "wait-files" (Obj the incarnation, e.g. "gpu1" or "gpu1.2"), and
// "<event>" around every platform event (unplug, surprise-removal, replug, gpu-hang; Obj
// the PCI device).
//
// # Sources read (with the search tool)
//
//   - the amdgpu hot-unplug v6 thread (the v6 cover letter: dummy page, drm_dev_enter at every root, early fini,
//     "Finalise device fences on device remove", "Add rw_sem to pushing job into sched
//     queue", no GPU recovery after unplug, the drm_dev_enter / fence-wait TODO).
//   - drivers/gpu/drm/amd/amdgpu/amdgpu_job.c amdgpu_job_timedout: "device unplugged
//     skipping recovery", return DRM_GPU_SCHED_STAT_ENODEV.
//   - drivers/gpu/drm/drm_prime.c drm_gem_dmabuf_export: drm_dev_get and
//     drm_gem_object_get, f_mapping = the device's anon inode (so drm_dev_unplug zaps
//     dma-buf mmaps too); drm_gem_dmabuf_release drops both.
//   - drivers/dma-buf/dma-fence.c dma_fence_begin_signalling (see "Simplified");
//     mm/page_alloc.c prepare_alloc_pages -> might_alloc (fs_reclaim_acquire/release) and
//     dma-resv.c dma_resv_lockdep (mmu notifier -> dma_fence_map), through model/mm.
//   - amdgpu_device.c amdgpu_device_fini_hw (irq_disable_all, fence_driver_hw_fini,
//     ip_fini_early, amdgpu_irq_fini_hw, ttm_device_clear_dma_mappings, unmap_mmio) and
//     amdgpu_device_fini_sw (fence_driver_sw_fini: drm_sched_fini), amdgpu_fence.c
//     (hw_fini: force completion when unplugged, del_timer_sync; sw_fini), amdgpu_irq.c
//     (amdgpu_irq_init: request_irq; amdgpu_irq_fini_hw: free_irq), gregkh/linux ~v6.8 and
//     a v6.9-era torvalds/linux amdgpu_fence.c.
//   - amdgpu_kms.c amdgpu_driver_postclose_kms (amdgpu_ctx_mgr_fini, then amdgpu_vm_fini),
//     amdgpu_vm.c amdgpu_vm_init/amdgpu_vm_fini (amdgpu_vm_init_entities,
//     amdgpu_vm_fini_entities), drm_file.c drm_file_free (drm_syncobj_release before
//     drm_gem_release and postclose), amdgpu_fence.c amdgpu_fence_process (the cmpxchg on
//     last_seq before the signals).
//   - and, through model/drm, ttm, sched, fence, pci, iommu: drm_drv.c, ttm_bo_vm.c,
//     sched_main.c, sched_entity.c, pci/remove.c, iommu.c.
//   - audit (mainline ~v6.9-v6.16): amdgpu_fence.c force_completion (set_error -ECANCELED,
//     hw_fini, sw_fini: drm_sched_fini), amdgpu_device.c amdgpu_device_rreg/wreg
//     (amdgpu_device_skip_hw_access, no drm_dev_enter) and the fix that moved drm_dev_unplug
//     first in amdgpu_pci_remove, amdgpu_job.c timedout, amdgpu_vm.c amdgpu_vm_update_range.
//   - amdgpu_drv.c amdgpu_pci_probe and the patch that gave a failed drm_dev_register the
//     unload_kms label (amdgpu_driver_unload_kms -> amdgpu_device_fini_hw): the model's probe
//     runs fini_hw when DevRegister fails (a fault site), so free_irq comes before devm frees the
//     adev; the older "goto err_pci" left the interrupt on a freed adev (a use-after-free in
//     amdgpu_irq_handler, which the igt scenarios with --faults find without it).
//   - amdgpu_ucode.c amdgpu_ucode_request (request_firmware; any failure is -ENODEV) and
//     amdgpu_ucode_release, gfx_v9_0.c gfx_v9_0_init_microcode (from early_init since 2023,
//     sw_init before): probe loads the CP microcode through model/firmware, a fault site whose
//     failure unwinds through amdgpu_driver_unload_kms as amdgpu_driver_load_kms's error path does.
//
// # Simplified
//
//   - One microcode file (GfxMicrocode), requested after the sw init instead of in
//     early_init before request_irq: a failure then unwinds through the same fini_hw, which
//     frees an interrupt the kernel had not requested yet.
//   - The fence interrupt is the ring's completion raised on the function's irq line and
//     handled by amdgpu_fence_process directly: no IH ring, no ih1/ih2/soft-ring work items,
//     no register access in the handler, and amdgpu_irq_disable_all is the ring halt.
//   - One ring (gfx) per GPU; per file one context entity and one VM entity (the kernel's VM
//     has two, immediate and delayed), no VM page tables beyond the clear job at close;
//     AMDGPU_INFO is the timestamp query only.
//   - The out-syncobj is one fence per file (Client.Last), dropped at close as
//     drm_syncobj_release does; the context's fence ring (amdgpu_ctx_entity.fences) is not
//     modelled.
//   - Dependencies between jobs are explicit (sync_file style), not implicit through the BOs'
//     dma_resv: with the TODO's annotation, any dma_resv lock taken inside drm_dev_enter
//     closes the same cycle as a fence wait (lockdep is primed resv -> dma_fence_map), so
//     the series' CS path, which locks BOs under its root guard, is the wider form of the
//     TODO; modelling it would flag v6 itself.
//   - GPU recovery is a register reset, then drm_sched_stop with the bad job,
//     force-completion of the ring's fences with -ETIME and drm_sched_start, done after
//     drm_dev_exit (a choice: model/fence's begin_signalling is a read trylock, as in the
//     kernel, so the ordering is not needed for lockdep); mainline's
//     amdgpu_device_gpu_recover stops the schedulers before the reset.
//   - The sigbus flush waits without a bound for the files; dma-bufs and their importers
//     are what it misses.
//   - Register access is guarded at the roots (the series' design); mainline's
//     amdgpu_device_rreg/wreg (amdgpu_device.c) take no drm_dev_enter either.
//   - Force-completed fences carry -ENODEV, which the wait ioctl reports; mainline's
//     amdgpu_fence_driver_force_completion (amdgpu_fence.c) sets -ECANCELED. No oracle reads it.
//   - drm_sched_fini and the entity kill run at remove; mainline runs drm_sched_fini in
//     amdgpu_fence_driver_sw_fini (amdgpu_fence.c), and jobs run after fini_hw fail on a ring
//     that is not ready. Either way queued jobs signal with an error and nothing touches MMIO.
//   - The VM clear at close is gated by the rw_sem only; mainline's amdgpu_vm_update_range
//     (amdgpu_vm.c) also returns -ENODEV outside drm_dev_enter. run_job's guard skips it.
//   - Orderly remove unmaps MMIO as v6.9-v6.16 do; later kernels unmap in fini_hw only when
//     pci_dev_is_disconnected (amdgpu_device.c).
//   - A lifecycle transition the kernel never makes (probe of a bound function, remove twice
//     or before probe completed, fini_hw twice, fini_sw twice or before fini_hw) panics with
//     its name (lifecycle.go) where the kernel would misbehave silently: the run reports kind panic.
package amdgpu
