// Package lock models the kernel's sleeping and spinning locks and lockdep, the validator
// that proves lock-order problems from the orders locks were taken in, whether or not the
// run deadlocked.
//
// Locks: Mutex (mutex_lock), RWSem (down_read/down_write), SpinLock (spin_lock,
// spin_lock_irqsave), SRCU (srcu_read_lock, synchronize_srcu), WWMutex with WWClass and
// WWAcquireCtx (ww_mutex_lock, wait-die), and Map, a lockdep_map pseudo-lock for
// annotations (dma-fence signalling, fence waits, work flushes). Every lock and unlock is a
// scheduling point (Map annotations and ww_acquire_init/done/fini, which touch nothing
// another process sees, are traced only); AssertHeld is lockdep_assert_held. Wait queues
// name the holder so a
// deadlock comes with its wait-for chain; sleeping locks call might_sleep and spinlocks
// enter an atomic section, so sleeping under a spinlock is reported by des.
//
// Lockdep: classes are lock names (one class per name per simulation); each process has a
// held-lock stack (Held); the simulation has one dependency graph. Reported as
// oracle.LockOrder, each distinct problem once per run, with lockdep's wording (the circular,
// inconsistent-state and irq-safe -> irq-unsafe reports, and might_sleep's, are printed by
// model/splat):
//
//   - "possible circular locking dependency detected": a new dependency closes a cycle,
//     with the existing chain and the new acquisition, even if no deadlock happened;
//   - "possible recursive locking detected": a class taken again while held (AA);
//   - "inconsistent lock state", "possible irq lock inversion dependency detected",
//     "HARDIRQ-safe -> HARDIRQ-unsafe lock order detected": a class used in hard-irq
//     context (a des.IRQ process) and with irqs enabled, directly or through the graph;
//   - "bad unlock balance detected": releasing a lock the process does not hold;
//   - "still has locks held": a finished process holding locks (checked at quiesce);
//   - "lock held when returning to user space": a lock a drm ioctl took and did not release
//     (lock.SysExit, which model/drm calls when an ioctl returns);
//   - "sleeping function called from invalid context": a sleeping lock in atomic context;
//   - ww_mutex misuse: lock after -EDEADLK without backing off, lock_slow with locks held,
//     lock after ww_acquire_done, ww_acquire_fini with locks held, each as the
//     DEBUG_LOCKS_WARN_ON of ww_mutex_lock_acquired or ww_acquire_fini that catches it;
//   - lockdep_assert_held (AssertHeld) and srcu_read_unlock with an index the task was not
//     handed: their WARNs (model/splat), with the held locks.
//
// Read-recursive rules follow lockdep's (Documentation/locking/lockdep-design.rst,
// "Recursive read locks"): an edge prev -> next is one of
// -(ER)->, -(EN)->, -(SR)->, -(SN)-> (prev exclusive or shared, next recursive read or
// not), and only a strong cycle, one with no -(*R)-> followed by -(S*)->, is reported, so
// recursive readers of a Map or an SRCU never form a false cycle among themselves.
//
// Kernel sources read (via the search tool):
//
//   - kernel/locking/lockdep.c: __lock_acquire, check_deadlock, check_prevs_add,
//     check_prev_add, __bfs/bfs_init_root (only_xr), hlock_conflict, check_noncircular,
//     print_circular_bug, mark_lock_irq/exclusive_bit, check_usage_forwards/backwards,
//     usage_match/usage_accumulate, exclusive_mask, check_irq_usage, lock_sync,
//     __lock_release/print_unlock_imbalance_bug.
//   - include/linux/lockdep.h: lock_map_acquire{,_read}, lock_map_release, lock_map_sync,
//     lockdep_assert_held (a WARN_ON); include/linux/debug_locks.h: DEBUG_LOCKS_WARN_ON.
//   - include/linux/srcu.h, kernel/rcu/srcutree.c: srcu_lock_acquire (a recursive read),
//     srcu_lock_sync in __synchronize_srcu, srcu_read_unlock's WARN_ON_ONCE(idx & ~0x1) and
//     srcu_lock_release.
//   - __lock_acquire's nest_lock handling: references merging, print_lock_nested_lock_not_held.
//   - kernel/locking/mutex.c, kernel/locking/rwsem.c (rwsem_down_read_slowpath,
//     rwsem_mark_wake), kernel/locking/ww_mutex.h (__ww_mutex_check_kill,
//     __ww_mutex_add_waiter, __ww_mutex_die, ww_mutex_lock_acquired debug checks),
//     include/linux/ww_mutex.h (DEFINE_WW_CLASS: the _acquire and _mutex class names).
//   - The recursive-read lockdep series (commits 224ec489 "lockdep/Documention: Recursive
//     read lock detection reasoning", 9de0c9bb, 6971c0f3) and lib/locking-selftest.c's
//     recursive-read cases, which TestRecursiveReadSelftests replays.
//   - drivers/dma-buf/dma-fence.c: dma_fence_begin_signalling (a non-recursive read of
//     dma_fence_lockdep_map: Map.AcquireShared) and __dma_fence_might_wait (acquire and
//     release).
//
// Simplified, one line each:
//
//   - Map.AcquireReadUnchecked is lock_acquire's check=0 (rcu_lock_acquire): the entry is
//     held and printed but takes no part in usage, deadlock or dependency checks.
//   - Classes are keyed by name, not by lock_class_key; subclasses (mutex_lock_nested) are
//     not modelled: use distinct names.
//   - Dependencies are added from the held locks down to the first non-trylock one, as
//     check_prevs_add; there is no chain cache, but an edge already recorded with the same
//     dependency type is not re-checked.
//   - The cycle search is an exact BFS over (class, only_xr) states, stricter than
//     lockdep's one-visit-per-node BFS (it can only find more strong cycles, not fewer).
//   - Irq checks cover hard irqs only (no softirq states; a Timer runs with irqs enabled);
//     they search strong paths with usage_match's read masking, as lockdep.c does.
//   - spin_lock_irqsave does not stop des.IRQ processes from running: there are no CPUs;
//     lockdep's irq-safety checks report the same-CPU deadlock instead.
//   - "still has locks held" is checked when the run quiesces, not at the moment the
//     process body returns.
//   - Mutex has no handoff or optimistic spinning: a newcomer may take a just-released
//     mutex before the woken waiter (the kernel allows such stealing too).
//   - RWSem readers never steal: any queued waiter blocks new readers, and release grants
//     the queue head (one writer, or the readers at the head).
//   - srcu_read_unlock with an index none of the task's read sections holds is reported as
//     the function's WARN_ON_ONCE, though the kernel checks only idx & ~0x1.
//   - AssertHeld's WARN names lockdep_assert_held itself: the model is not told the caller.
//   - SRCU has no per-CPU counters, callbacks or expedited grace periods; grace periods
//     are serialised; it waits exactly for readers that began before its index flip.
//   - ww_acquire_init does not take v6.13's first_lock_dep_map (include/linux/ww_mutex.h):
//     it records mutex -> L for a lock L taken before the first ww_mutex_lock and drops the
//     real L -> mutex, so it both invents a cycle with L -> mutex and hides a true one.
//   - A ww_mutex nested on the same class keeps its own held entry (no references count),
//     but, as the kernel's merged one, does not count against MAX_LOCK_DEPTH.
//   - WWMutex is wait-die only (no wound-wait); the waiter list is not kept in stamp order,
//     but a waiter dies if any older context holds or waits, as the kernel's sorted list
//     would make it.
package lock
