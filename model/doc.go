// Package model holds the Linux kernel objects hotplugsim simulates, one small package per
// kernel concept, and under drivers/ the protocol models of the seed systems. Each object
// behaves as its kernel source does (each package doc cites the files read) and reports its
// own misuse as a des violation.
//
// Packages and what they import (nothing imports upward; des knows nothing of kernels):
//
//	oracle, kasan, splat                   violation kinds; object lifetime (use-after-free); report texts
//	atomic                                 READ_ONCE/WRITE_ONCE, atomic_t, bitops as scheduling points
//	lock                                   mutex, rwsem, spinlock, SRCU, ww_mutex, lockdep
//	rcu        (lock)                      rcu_read_lock, synchronize_rcu, call_rcu/kfree_rcu, rcu_barrier
//	mem                                    physical address space, BAR windows, ioremap, MMIO
//	irq                                    request_irq, disable/synchronize_irq
//	timer      (lock)                      timers in softirq context, del_timer_sync
//	workqueue  (lock, timer)               queue_work, flush, cancel_work_sync, delayed work
//	fence      (lock, rcu)                 dma_fence, dma_resv, signalling annotations, the fence leak check
//	firmware   (workqueue, lock)           request_firmware, firmware_request_nowarn, request_firmware_nowait, release_firmware
//	pm         (workqueue, timer)          runtime PM: usage count, suspend/resume, autosuspend
//	pci        (mem, pm)                   bus, bridges, BAR allocator, remove, rescan, replug
//	iommu      (pci)                       groups, dma_map/unmap
//	mm         (mem, lock)                 processes, VMAs, PTEs, faults, unmap_mapping_range
//	sched      (fence, workqueue, lock)    drm_sched entities, jobs, TDR
//	drm        (lock, mm)                  drm_device, drm_file, drm_dev_enter/exit/unplug, devm/drmm
//	ttm        (drm, mm, mem, fence, pci, iommu)  BOs, placements, move/evict, fault handler, dummy page
//	dmabuf     (fence)                     dma_buf, dynamic and static attachments, map/unmap, move_notify, pin
//	sound      (lock)                      ALSA core: card, devices, controls, jacks, PCM, power references
//	drivers/   (any of the above)          the driver protocol models (amdgpu, xe, pcibars, hda, p2p) and policy tables
//	internal/  (des)                       modeltest: the checks model tests make on a run (no violation, one of a kind)
//
// (kasan, oracle and splat are used everywhere and left out of the parentheses; doc_test.go
// keeps the table's first column equal to the packages under model/.)
//
// # Conventions every model package follows
//
//   - Constructors take the *des.Sim (and a name) and validate their input; there are no
//     package-level mutable variables. Per-simulation singletons (lockdep's graph, the one
//     global drm_unplug_srcu) live under an unexported des.SimKey (var graphKey =
//     des.NewSimKey[graph]()); per-process state (held locks) under a des.ProcKey.
//   - Operations that run in a process take p *des.Proc first. Every operation that touches
//     state another process can see calls p.Point(kind, obj, a, b) BEFORE it reads or acts, so
//     the strategy can interleave there. Labels (des.L) are made once, at construction.
//   - Misuse is reported with sim.Violate(p, oracle.Kind, obj, msg); a message is the kernel's
//     splat, printed by model/splat (one function per report, the first line a title with no
//     run-specific numbers: "BUG: KASAN: slab-use-after-free in amdgpu_bo_move", "WARNING:
//     possible circular locking dependency detected"). Objects that can be freed embed kasan.Obj.
//   - Blocking uses des.WaitQueue and des.Completion (SetOwner on lock queues so deadlocks come
//     with the wait-for chain). Spinning uses WaitQueue.Spin; spinlocks call p.EnterAtomic.
//   - No behaviour depends on map iteration order: keep slices ordered by id, or sort keys.
//     Every loop and queue has a bound.
//   - The package doc cites the kernel source files read (found with the search tool) and
//     says in one line what is simplified and why.
//   - Every oracle is tested both ways: a correct use passes, a misuse fires with the right
//     kind. Package docs have runnable Example tests. Tests use testify.
package model
