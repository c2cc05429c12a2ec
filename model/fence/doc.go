// Package fence models struct dma_fence, struct dma_resv and the fence signalling
// annotations, and checks their use:
//
//   - fence-never-signalled: a published fence (Publish, or installed in a Resv) is still
//     unsignalled when the run quiesces, printed as the job timeout that would fire on it
//     (model/splat.JobTimedout); a fence released with callbacks pending ("released with
//     pending signals!").
//   - lock-order (through model/lock's lockdep): a fence wait while holding a lock that is
//     also taken inside a signalling section (BeginSignalling/EndSignalling use one
//     per-simulation pseudo-lock "dma_fence_map"; a wait acquires it for writing); a resv
//     lock taken inside a signalling section, or mmap_lock taken under a resv lock (lockdep
//     is primed with mmap_lock -> resv -> dma_fence_map, as at boot); a fence wait inside
//     drm_dev_enter whose fence the unplug path signals (with SRCU's map); a fence wait in
//     atomic context; a callback signalling a fence of its own timeline (fence->lock taken
//     recursively); a resv operation without its lock.
//   - gpu-use-after-free: Backing memory freed or reused while an unsignalled fence of a
//     job that accesses it exists — e.g. after a legacy Resv dropped the readers' fences
//     when an exclusive fence was added (the dma-buf fence-replacement thread). It prints
//     as the GPU VM fault the job's next access would raise (model/splat.GPUVMFault).
//   - use-after-free: a fence is dead at its final Put (refcount zero) and freed a grace
//     period later, as dma_fence_free's kfree_rcu does (model/rcu). A Get or Put of a dead
//     fence is refcount_warn_saturate's "refcount_t: addition on 0; use-after-free." (or
//     "underflow") WARNING; any access after the free is KASAN's report, which names the
//     kfree_rcu call. A reader inside an RCU read section may still read a dead fence and
//     take it with GetRCU (dma_fence_get_rcu), which returns nil on a zero count.
//   - fence-leak (leak.go, on for a scenario that calls CheckLeaks): when the run quiesces,
//     a fence whose timeline's owner is torn down (Context.Retire: model/sched retires a
//     ring's timeline at its fence driver's sw fini and an entity's when its scheduler is
//     freed, at the device's fini_sw, after every file on it closed) and that still holds
//     references can be reached by nothing that remains: it is reported as mm/kmemleak.c's
//     print_unreferenced prints an unreferenced object, with the allocating task and the
//     allocation chain KASAN records (kasan.Obj's alloc site).
//   - panic: the kernel's WARN_ON/BUG_ON splats (SetError on a signalled fence or with a
//     non-negative errno, IsLater across contexts, AddFence without a reserved slot,
//     ReserveFences(0)): oracle has no "warn" kind.
//
// Kernel sources read (Linux ~v6.16 unless noted; re-audited against the v6.12 Android common
// tree and a ~v6.17 mainline snapshot, linux-blktests/linux-block 1c64b26b9ece):
//
//   - drivers/dma-buf/dma-fence.c: dma_fence_context_alloc, dma_fence_begin_signalling,
//     dma_fence_end_signalling, __dma_fence_might_wait, dma_fence_signal_timestamp_locked,
//     dma_fence_signal, dma_fence_wait_timeout, dma_fence_release, dma_fence_free (kfree_rcu),
//     dma_fence_add_callback, dma_fence_remove_callback, dma_fence_default_wait,
//     dma_fence_get_status.
//   - include/linux/dma-fence.h: dma_fence_set_error, dma_fence_is_later, dma_fence_get,
//     dma_fence_put, dma_fence_get_rcu, dma_fence_get_rcu_safe.
//   - lib/refcount.c: refcount_warn_saturate (the "addition on 0" and "underflow" WARNs).
//   - drivers/dma-buf/dma-resv.c: dma_resv_reserve_fences, dma_resv_reset_max_fences,
//     dma_resv_add_fence, dma_resv_replace_fences, the iterators (dma_resv_iter_walk_unlocked:
//     dma_fence_get_rcu under rcu_read_lock, restarted on a read_seqcount_retry),
//     dma_resv_get_fences, dma_resv_wait_timeout, dma_resv_test_signaled, dma_resv_lockdep
//     (the boot-time priming).
//   - include/linux/dma-resv.h: enum dma_resv_usage, dma_resv_usage_rw.
//   - mm/kmemleak.c: print_unreferenced ("unreferenced object 0x%08lx (size %zu):", comm,
//     pid, jiffies, the backtrace) and kmemleak_scan's "%d new suspected memory leaks".
//   - drivers/dma-buf/dma-resv.c before v5.19: dma_resv_add_excl_fence (drops the shared
//     fences), dma_resv_add_shared_fence, dma_resv_reserve_shared.
//
// Simplified, one line each:
//
//   - No dma_fence_ops: every fence behaves as the default ops (signalling always enabled,
//     default wait); chains, arrays and the global dma_fence_get_stub are not modelled.
//   - Seqnos compare as 64-bit (dma_fence_init64); the 32-bit wrap-around compare of
//     dma-fence.h __dma_fence_is_later never matters at simulated seqno counts.
//   - Status (dma_fence_get_status) reads without taking fence->lock, so calling it under
//     that lock (e.g. from a callback of the same timeline) is not reported as recursion.
//   - fence->lock is one spinlock per Context (class "<timeline>.fence_lock"); drivers
//     cannot pass their own lock.
//   - Waits are uninterruptible (no -ERESTARTSYS); timeouts are des.Durations, not jiffies.
//   - A published fence is only checked at quiesce; its final Put unsignalled is not
//     reported unless callbacks are pending (as the kernel).
//   - Unlocked readers (GetFences, TestSignaled, Wait) copy the list when their walk starts,
//     as reading the RCU-protected dma_resv_list; every writer bumps the sequence count,
//     ReserveFences included (the kernel's reallocation swaps the list without it), so a
//     reader that meets a fence a reallocation dropped restarts instead of ending early.
//   - A refcount WARNING leaves the count as it was (the kernel saturates it, leaking the
//     fence); the model goes on only when the Sim collects every violation.
//   - Resv.Unlock forgets unused reserved slots, as a CONFIG_DEBUG_MUTEXES kernel does.
//   - ReserveFences grows the table as dma-resv.c does (at least 4, else doubling) but
//     without kmalloc_size_roundup's extra slots, so over-adding is caught slightly earlier.
//   - Lockdep priming runs once, in the first process that waits, signals or locks a resv
//     while holding no lock, instead of at boot (no process exists before the run).
//   - Priming follows dma_resv_lockdep: mmap_lock -> resv -> fs_reclaim -> mmu notifier ->
//     dma_fence_map (model/mm's reclaim maps), so an mm.MightAlloc with GFP_KERNEL or GFP_NOFS
//     inside a signalling section is reported; i_mmap_rwsem is not primed (model/mm has none).
//   - The leak check is no scan: a fence of a retired timeline still referenced at quiesce
//     counts as unreachable, since its device and every file on it are gone; the size is
//     sizeof(struct dma_fence), not the driver's container, and there is no hex dump.
//   - As in the kernel, a fence wait directly inside a signalling section with no other
//     lock held is not reported: the might-wait annotation drops the read hold first.
package fence
