// Package splat prints the kernel's reports ("splats") for the model's oracles, one function
// per report, each the only place its text is made. A report's first line is its title, as the
// kernel words it and free of anything that varies between runs (no pid, time, address or
// trace #), so that failures of different seeds bucket on it; the lines after it carry the
// run's details: the task as NAME/PID, virtual times, trace numbers ("trace #N") and synthetic
// but deterministic hex addresses.
//
// Kernel files read (mainline v6.12):
//
//   - kernel/locking/lockdep.c: print_circular_bug, print_circular_bug_header,
//     print_circular_lock_scenario (CircularBug); print_usage_bug, print_usage_bug_scenario
//     (UsageBug); print_bad_irq_dependency, print_irq_lock_scenario (BadIRQDependency);
//     print_deadlock_bug, print_deadlock_scenario (DeadlockBug); print_unlock_imbalance_bug
//     (UnlockImbalanceBug); print_lock_nested_lock_not_held (NestedLockNotHeld);
//     __lock_acquire's MAX_LOCK_DEPTH check, print_lockdep_off (MaxLockDepth);
//     print_held_locks_bug (HeldLocksBug); lockdep_print_held_locks (HeldLocks);
//     print_irq_inversion_bug (IRQInversionBug); lockdep_sys_exit (LockHeldReturningToUser);
//   - mm/kasan/report.c: print_report, print_error_description, print_address_description,
//     describe_object_stacks ("Allocated by task", "Freed by task") (KASAN);
//   - kernel/sched/core.c: __might_sleep, __might_resched (MightSleep);
//   - kernel/panic.c: __warn (WARN); include/asm-generic/bug.h, arch/x86/kernel/traps.c
//     handle_bug, arch/x86/kernel/dumpstack.c die: BUG_ON's "kernel BUG at" (BUG);
//   - arch/x86/mm/fault.c: page_fault_oops, show_fault_oops (PageFaultOops), for a kernel
//     access; a user access that never completes (model/mm's fault and VM_FAULT_RETRY
//     loops) has no report of its own and prints as a WARN in do_user_addr_fault;
//   - mm/memory.c: print_bad_pte (BadPageMap);
//   - kernel/workqueue.c: process_one_work's leak check (WorkqueueLeak), drain_workqueue
//     (DrainIncomplete), destroy_workqueue's busy pwq (DestroyBusy).
//   - kernel/workqueue.c: wq_watchdog_timer_fn, pr_cont_pool_info, show_all_workqueues,
//     show_pwq (WorkqueueLockup); kernel/hung_task.c: check_hung_task, with
//     kernel/sched/core.c sched_show_task and print_worker_info (HungTask);
//     kernel/watchdog.c: watchdog_timer_fn's soft lockup (SoftLockup);
//   - drivers/gpu/drm/scheduler/sched_main.c: drm_sched_job_timedout, and
//     drivers/gpu/drm/amd/amdgpu/amdgpu_job.c: amdgpu_job_timedout's messages (JobTimedout).
//     A published fence that never signals has no splat of its own; the model finds it when
//     the run goes quiet, whether or not anyone waits on it, so the report is the job
//     timeout that fires on the fence itself, not hung_task's, which needs a blocked waiter;
//   - drivers/gpu/drm/amd/amdgpu/gmc_v9_0.c: gmc_v9_0_process_interrupt, with amdgpu_vm.c
//     amdgpu_vm_print_task_info (GPUVMFault). A GPU use-after-free has no report of its own:
//     the kernel sees the job's next access to the freed range as a GPU VM fault (or sees
//     nothing, when the memory went to a new owner); the model reports it at the free, in
//     amdgpu's words, for every driver;
//   - kernel/dma/debug.c: err_printk for dma_debug_device_change (DMADebugPendingAtRelease),
//     reported at the late dma_unmap that finds the leaked entry rather than at the unbind;
//   - drivers/base/power/runtime.c: rpm_drop_usage_count's dev_warn (RuntimePMUnderflow);
//   - kernel/signal.c: print_fatal_signal (FatalSignal), for a SIGBUS the policy promised a
//     process it would not get;
//   - include/linux/lockdep.h: lockdep_assert_held, lockdep_assert (LockdepAssertHeld);
//   - include/linux/debug_locks.h: DEBUG_LOCKS_WARN_ON; kernel/locking/ww_mutex.h:
//     ww_mutex_lock_acquired, include/linux/ww_mutex.h: ww_acquire_fini (DebugLocksWarnOn);
//   - include/linux/srcu.h: srcu_read_unlock's WARN_ON_ONCE(idx & ~0x1), srcu_lock_release
//     (SRCUReadUnlock; no read section at all is UnlockImbalanceBug, as lockdep prints it).
//
// The WARN_ONs of model/fence, model/dmabuf and model/timer (include/linux/dma-fence.h,
// drivers/dma-buf/dma-fence.c, dma-resv.c, dma-buf.c, kernel/time/timer.c) print with WARN,
// through model/oracle.Warn.
//
// Simplified, one line each:
//
//   - no stack traces: a call chain is the model functions (kernel-named) that led there, as
//     far as the model knows them, plus the virtual time and trace # of the event;
//   - addresses are synthetic: a slab object's is a hash of its name in the direct map
//     (ffff888...), an MMIO mapping's is its vmalloc-area cookie plus the offset;
//   - no "Modules linked in", registers, Code: bytes or taint flags: the model has none;
//   - lockdep's scenario tables print the class names only, without the lock instances.
//   - lockdep_assert_held's WARN names the function that asserts where the model knows it
//     (dma_resv_*), else the macro itself: model/lock's AssertHeld is not told its caller;
//   - the watchdogs' durations are their default thresholds (soft lockup 20 s, workqueue
//     30 s, hung task 120 s): the model's lockups never end, and virtual time is not theirs;
//   - the GPU VM fault's hub, ring, vmid, pasid and client are fixed (gfxhub, UTCL2): the model
//     has one GPU VM per device and no rings below the fence context;
//   - srcu_read_unlock with a valid but wrong index unbalances the kernel's counters silently;
//     the model reports it at the unlock, in the shape of the function's WARN_ON_ONCE.
//
// splat imports nothing of this module, so that the engine (des) prints its might-sleep report
// with it too.
package splat
