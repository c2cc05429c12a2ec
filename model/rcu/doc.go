// Package rcu models RCU (read-copy update) as a non-preemptible kernel (CONFIG_PREEMPT_NONE,
// so !CONFIG_PREEMPT_RCU) has it: ReadLock/ReadUnlock (rcu_read_lock, rcu_read_unlock),
// Synchronize (synchronize_rcu), Call and KfreeRCU (call_rcu, kfree_rcu) and Barrier
// (rcu_barrier), and checks their use:
//
//   - lock-order, as the kernel reports it: sleeping inside a read section is might_sleep's
//     "BUG: sleeping function called from invalid context" (a read section disables
//     preemption, so des sees an atomic section); Synchronize inside a read section is
//     lockdep-RCU's "WARNING: suspicious RCU usage" ("Illegal synchronize_rcu() in RCU
//     read-side critical section"), after which the wait sleeps in atomic context and waits
//     for itself (a deadlock, as on a uniprocessor), and Barrier there is might_sleep's BUG;
//     an rcu_dereference outside a read section (DereferenceCheck) is lockdep-RCU's
//     "suspicious rcu_dereference_check() usage"; ReadUnlock without ReadLock
//     is lockdep's bad unlock balance; a process that ends inside a read section is
//     lockdep's "still has locks held" (the section holds rcu_lock_map).
//   - use-after-free (model/kasan): an object freed by KfreeRCU is freed only after a grace
//     period, so a reader that found it inside a read section that began before the free
//     was queued may still use it; a use after the grace period is KASAN's report, which
//     prints where the free was queued ("Last potentially related work creation").
//
// Grace periods: one per-simulation kthread ("rcu_sched", a daemon) runs them one at a
// time, when a Synchronize or a callback asks for one. A grace period starts by taking a
// snapshot (the read sections that began before it), lasts at least GracePeriod, and ends
// once every section of the snapshot has ended: it waits for exactly the readers that were
// running when it started. Synchronize waits for a grace period that started after it was
// called (the next one if one is already running). Callbacks queued by Call wait for such a
// grace period too, then run, in call order, in a second per-simulation kthread ("rcuc/0")
// with bottom halves disabled: softirq context, where they may not sleep. Barrier waits
// until every callback queued before it has run.
//
// Kernel sources read (Linux ~v6.16, via the search tool):
//
//   - include/linux/rcupdate.h: rcu_read_lock/rcu_read_unlock (__rcu_read_lock is
//     preempt_disable without PREEMPT_RCU; rcu_lock_acquire is lock_acquire(&rcu_lock_map,
//     0, 0, 2, 0, ...), a recursive read with check=0), RCU_LOCKDEP_WARN,
//     rcu_preempt_sleep_check ("Illegal context switch in RCU read-side critical section"),
//     rcu_dereference_check, kfree_rcu.
//   - kernel/rcu/tree.c: synchronize_rcu (its RCU_LOCKDEP_WARN, then wait_rcu_gp),
//     call_rcu/__call_rcu_common, rcu_gp_kthread/rcu_gp_init/rcu_gp_cleanup, rcu_do_batch
//     (callbacks with bh disabled), rcu_barrier; kernel/rcu/tiny.c: synchronize_rcu's WARN.
//   - kernel/locking/lockdep.c: lockdep_rcu_suspicious (the report's layout),
//     check_prevs_add (an unchecked held lock adds no dependency).
//   - mm/kasan/generic.c: kasan_record_aux_stack, called by call_rcu and kvfree_call_rcu.
//
// Simplified, one line each:
//
//   - GracePeriod (1 ms, one jiffy at HZ=1000: the first force-quiescent-state scan waits
//     jiffies_till_first_fqs) is a lower bound: rcu_sched is a soft process, so the explorer
//     may end a grace period later (des.Config.DelayBound); real ones usually take longer.
//   - Quiescent states are not modelled: a grace period ends when its snapshot's read
//     sections have ended, not when every CPU has passed through the scheduler.
//   - One flavour: rcu_read_lock_bh and rcu_read_lock_sched are not modelled, nor SRCU here
//     (model/lock has it), nor expedited grace periods, polling (get_state_synchronize_rcu)
//     or Tasks RCU.
//   - kfree_rcu frees through the same callback queue as call_rcu (no kfree_rcu batching in
//     kvfree_rcu_bulk), so its free is "kfree" in rcuc/0.
//   - Sleeping in a read section reports only might_sleep's BUG, not also lockdep-RCU's
//     "Illegal context switch" WARN that a PROVE_RCU kernel prints first.
//   - rcu_read_lock is not a scheduling point (it touches only the CPU's preempt count);
//     what a reader reads inside the section is, as in every model package.
package rcu
