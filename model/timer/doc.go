// Package timer models kernel timers (struct timer_list): TimerSetup, ModTimer, DelTimer,
// DelTimerSync, and TimerShutdown/TimerShutdownSync (v6.2: also make every later ModTimer a
// silent no-op), with callbacks that run as des.Timer processes (softirq context: atomic, they
// may not sleep).
//
// One per-simulation timer wheel (a daemon task, "ktimerd") waits for the earliest expiry and
// spawns the callback of each expired timer. A timer's callback never runs twice at once: a
// timer that expires again while its callback runs (it re-armed itself) runs again right after,
// as one timer base's softirq runs its timers one at a time; in between it is not running
// (base->running_timer is NULL), so DelTimerSync, DelTimer or ModTimer may take it off first,
// and each run checks the timer's KASAN lifetime again. An expired timer whose callback has
// not started yet (its process is spawned or ready) is still pending, as a kernel timer is
// on the base's expiry list until expire_timers detaches it and sets base->running_timer under
// the base lock: ModTimer, DelTimer and DelTimerSync take it off (they report it pending) and
// the callback does not run. DelTimerSync waits for a running callback, then detaches, so on
// return the callback is neither pending, nor running, nor about to run; lockdep sees it as
// taking the timer's lockdep map, which the callback holds while it runs (call_timer_fn), so
// calling DelTimerSync while holding a lock the callback takes is a lock-order report, and
// calling it from the callback itself waits for itself (reported by lockdep as recursive
// locking, or by the engine as a deadlock).
//
// A Timer has a KASAN lifetime: arming or deleting a freed timer, or a freed timer expiring
// (freed while armed, without DelTimerSync), is a use-after-free.
//
// Kernel sources read: kernel/time/timer.c (mod_timer/__mod_timer, timer_delete/del_timer,
// detach_if_pending, timer_delete_sync/__timer_delete_sync with its lock_map_acquire of
// timer->lockdep_map, its in_hardirq WARN and its retry of __try_to_del_timer_sync, which fails
// while base->running_timer is the timer, __timer_delete and timer_shutdown(_sync) setting
// timer->function = NULL, call_timer_fn, collect_expired_timers and expire_timers), as of
// v6.6-v6.16, and include/linux/timer.h (v6.16: timer_delete_sync_try, no del_timer names).
//
// Simplified:
//   - expiry is an exact virtual time, not jiffies on a wheel with granularity: the model
//     wants interleavings, not slack;
//   - one timer base: callbacks of different timers may run concurrently (as on different
//     CPUs), callbacks of one timer never do; no timer migration, no TIMER_IRQSAFE, no
//     TIMER_DEFERRABLE; no add_timer, mod_timer_pending, timer_reduce or try_to_del_timer_sync;
//   - a shut-down timer that expires anyway (armed before timer_shutdown_sync, while its
//     callback ran) is skipped without expire_timers' WARN_ON_ONCE(!fn);
//   - no TIMER_IRQSAFE: DelTimerSync from a des.IRQ process always WARNs (a panic, as model/fence
//     reports WARN_ON), as timer_delete_sync does for a non-irqsafe timer in hard-irq context.
package timer
