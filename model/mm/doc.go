// Package mm models the parts of Linux memory management the hot-unplug and BAR-move
// protocols race with: user processes (an MM: VMAs and an mmap_lock), VMAs that map an
// address_space (a Mapping) through vm_ops whose Fault handler fills PTEs, the fault
// results NOPAGE / RETRY / SIGBUS / OOM, unmap_mapping_range, and user CPU reads and writes
// that go through the PTEs.
//
// Oracles:
//   - oracle.StalePTE: a user access goes through a PTE that points at a physical address
//     its owner no longer owns (an old BAR address after a BAR move) or at a freed page.
//   - oracle.SIGBUS: a SIGBUS is delivered to a process whose MM was made with
//     Options.NoSIGBUS (the policy promises apps none); it prints as print_fatal_signal
//     (model/splat.FatalSignal).
//   - oracle.Progress: one user access faults more than MaxFaultsPerAccess times.
//
// Sources read (Linux ~v6.16):
//   - mm/memory.c: unmap_mapping_range / unmap_mapping_pages (zap every VMA of
//     mapping->i_mmap that overlaps the page range, holelen 0 = to the end),
//     handle_mm_fault / handle_pte_fault (a present PTE needs no ->fault),
//     vmf_insert_pfn_prot.
//   - arch/x86/mm/fault.c do_user_addr_fault: mmap_read_lock, find_vma, handle_mm_fault;
//     VM_FAULT_RETRY means the handler already dropped mmap_lock: set FAULT_FLAG_TRIED
//     and retry; VM_FAULT_SIGBUS -> do_sigbus (force_sig_fault(SIGBUS, BUS_ADRERR)).
//   - include/linux/mm.h, include/linux/mm_types.h: VM_FAULT_*, FAULT_FLAG_*,
//     fault_flag_allow_retry_first, struct vm_fault, struct vm_area_struct.
//   - mm/page_alloc.c fs_reclaim_acquire/release (__fs_reclaim_map, __need_reclaim, the
//     mmu-notifier map), include/linux/sched/mm.h might_alloc, current_gfp_context and the
//     memalloc_nofs/noio scopes: MightAlloc, FSReclaimAcquire, MemallocNoFSSave.
//   - mm/memory.c __might_fault (might_sleep, might_lock_read(&current->mm->mmap_lock)):
//     MM.MightFault, what copy_to_user/copy_from_user annotate before touching user memory.
//   - kernel/exit.c do_exit: exit_mm (remove_vma -> vm_ops->close) before exit_files (fput
//     -> the file's release, e.g. drm_release).
//   - Rechecked on mainline >= v6.9: arch/x86/mm/fault.c (lock_vma_under_rcu first; after
//     VM_FAULT_RETRY fault_signal_pending ends the fault; OOM tested before SIGBUS),
//     mm/memory.c vmf_can_call_fault, mm/oom_kill.c pagefault_out_of_memory, mm/mmap.c
//     exit_mmap, mm/vma.c vms_complete_munmap_vmas, kernel/signal.c prepare_signal.
//
// Simplified:
//   - One page size (4 KiB) and no page-table levels: a VMA owns a slice of PTEs; a missing
//     VMA is a missing page-table walk. Enough to say where a user access lands.
//   - The hardware walk and the access are one scheduling point; no TLB, no TLB shootdown
//     (zapping a PTE takes effect at once, as after flush_tlb_range).
//   - No COW, no anon memory, no madvise, no mremap: the VMAs here are VM_PFNMAP/VM_IO
//     device mappings, which is what GPU BO mmaps are.
//   - Data values are not modelled: an access either lands somewhere legal or it does not.
//   - i_mmap_rwsem is not modelled: the zap walks a snapshot of the mapping's VMAs and
//     skips those unmapped meanwhile. The mmap_lock is a model/lock RWSem (lockdep class
//     "&mm->mmap_lock") unless Options.MmapLock supplies another.
//   - A PTE to iomem records an Owner (RegionOwner adapts a model/mem Region) and asks it
//     at every access whether the address is still its; no mem shadow state is touched.
//   - Reclaim is lockdep annotations only (no memory pressure, no kswapd, no shrinker runs);
//     PF_MEMALLOC and __GFP_NOLOCKDEP are not modelled, and GFP keeps only the reclaim bits.
//   - A signal kills the whole MM at once; threads sharing it see ErrKilled on their next
//     access, and a fault of theirs that retries or fails ends in ErrKilled, no signal
//     (fault_signal_pending; prepare_signal drops signals to a group in exit).
//   - Exit tears down at once even while a sibling sleeps in a handler that dropped
//     mmap_lock (kernel: exit_mmap waits for the last mm_users, kernel/fork.c mmput); fine
//     as long as handlers do not touch the VMA after dropping it (ttm and pcibars do not).
//   - No per-VMA locks: for vm_ops without ->map_pages (all device VMAs here) mm/memory.c
//     vmf_can_call_fault answers RETRY before ->fault, so ->fault runs under mmap_lock anyway.
//   - VM_FAULT_OOM kills; v5.16+ pagefault_out_of_memory (mm/oom_kill.c) retries instead, but
//     a real one means the OOM killer chose a victim, and retrying the model's only source
//     (drm's bounded drmm list) would report a bogus oracle.Progress.
//   - Exit zaps, unlinks and closes VMA by VMA; exit_mmap (mm/mmap.c) zaps all first. Same
//     result: the MM is dead, no user access runs in between.
//   - munmap keeps mmap_lock for write through ->close; mm/vma.c downgrades it to read
//     first. Same lockdep edges (mmap_lock -> what close takes).
package mm
