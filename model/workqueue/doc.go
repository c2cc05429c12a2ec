// Package workqueue models kernel workqueues: work items queued from any context and run in
// process context by worker threads (des.Worker processes, daemons while idle).
//
// A Workqueue has max_active workers, started on demand: AllocOrderedWorkqueue runs one item
// at a time in queueing order, AllocWorkqueue up to maxActive at once. A work item is never
// run by two workers at once (the kernel's non-reentrancy). QueueWork returns false if the
// item is already pending. FlushWork waits for the last queueing instance to finish;
// CancelWorkSync removes a pending item and waits for a running one, so on return the item is
// neither pending nor executing unless it was queued again after; while it cancels,
// concurrent queueing fails (the canceller holds PENDING, as WORK_OFFQ_CANCELING does).
// Delayed work arms a model/timer timer whose callback queues the item.
//
// Oracles:
//   - use-after-free (model/kasan): queueing, flushing or running a freed work item, or
//     queueing on a destroyed workqueue (for example from a delayed work's timer that nobody
//     cancelled before destroy_workqueue);
//   - progress: cancel_work_sync, cancel_work or mod_delayed_work of a work a draining
//     workqueue refused (work_grab_pending spins on -EAGAIN with interrupts off); at quiesce, a work item still queued that never ran, one dropped because it
//     was queued on a draining workqueue from outside (the kernel WARNs and leaves it pending
//     forever), or one whose execution never finished (its worker blocked for good: workers
//     are daemons, so the engine's deadlock check does not see them); printed as the
//     kernel's soft lockup, workqueue lockup and hung task reports (model/splat);
//   - lock-order (model/lock lockdep): process_one_work holds the workqueue's and the work's
//     lockdep maps while the item runs; FlushWorkqueue touches (acquires and releases) the
//     workqueue's map; FlushWork and CancelWorkSync touch the work's map when there is an
//     instance to wait for (queued or running; for a cancel, still running after it took
//     PENDING), and FlushWork also the workqueue's map when max_active is 1, as
//     start_flush_work does since v6.9 (c35aea39d1e1; earlier kernels touched the work's map on every
//     flush). So flushing while holding a lock the work, or an earlier item of an ordered
//     workqueue, takes is reported; a work function that returns holding a lock or atomic is
//     process_one_work's "BUG: workqueue leaked atomic, lock or RCU";
//     FlushWork/CancelWorkSync/FlushWorkqueue/DrainWorkqueue/DestroyWorkqueue in atomic
//     context are "sleeping function called from invalid context".
//
// Kernel sources read: kernel/workqueue.c (__queue_work with its __WQ_DRAINING check and
// is_chained_work, queue_delayed_work_on/__queue_delayed_work, delayed_work_timer_fn,
// mod_delayed_work_on, try_to_grab_pending, process_one_work with lock_map_acquire of
// pwq->wq->lockdep_map and work->lockdep_map, start_flush_work with touch_work_lockdep_map and
// touch_wq_lockdep_map (v6.16), __flush_work,
// __cancel_work_sync, flush_workqueue, drain_workqueue with nr_drainers, destroy_workqueue;
// audited again against a v6.15+ tree with work_grab_pending and disable_work).
//
// Simplified:
//   - one worker pool per workqueue, no per-CPU pools, no concurrency management, no rescuer
//     (so a flush touches the workqueue's map only for max_active 1, not for WQ_MEM_RECLAIM);
//     max_active is capped at MaxWorkers to bound the number of processes;
//   - a work item that is still running elsewhere is skipped by other workers until it ends,
//     instead of being moved to the running worker's scheduled list (same guarantee);
//   - flush barriers are generation counters, not wq_barrier work items: FlushWork returns
//     when the instance it waited for has run or was cancelled;
//   - debugobjects (freeing an active work) is left to the use-after-free that follows;
//   - non-reentrancy holds across workqueues too, where __queue_work (kernel/workqueue.c) only
//     keeps a work off other workers of the same workqueue: no caller queues one work on two.
//
// PENDING ownership is atomic as in kernel/workqueue.c: queue_work_on's test_and_set_bit of
// WORK_STRUCT_PENDING_BIT (no scheduling point between test and set), PENDING cleared with the
// worker's dequeue, and try_to_grab_pending (cancel_work, cancel_work_sync, mod_delayed_work)
// atomic after its del_timer: it steals the work off its timer or worklist, or takes PENDING of
// an idle work. A work that a draining workqueue refused stays PENDING on no list, where
// try_to_grab_pending returns -EAGAIN forever: its canceller spins, reported as progress. Two
// grabs of one armed delayed work at once (mod_delayed_work against cancel_delayed_work) are
// not that: the one whose del_timer lost while the other re-arms retries, as -EAGAIN does.
package workqueue
