// Package sched models the DRM GPU scheduler (drm_gpu_scheduler): entities with job queues,
// one run queue, a scheduler thread that resolves each job's dependencies and runs it on the
// hardware, the scheduled and finished fences of every job, the timeout handler (TDR) as
// delayed work, drm_sched_fini, and entity flush and kill. Ring is the "hardware": it runs
// submitted jobs in order, each for a duration, and signals their hardware fences from an
// interrupt (a des.IRQ process of its own, or the driver's irq line after Ring.AttachIRQ, whose
// handler calls FenceProcess, so free_irq stops completions as in amdgpu_irq_fini_hw); a job may hang, stalling the ring until the driver
// force-completes its fences (amdgpu_fence_driver_force_completion), and an unplugged ring
// runs nothing more.
// A ring attached to its device's hardware (Ring.AttachHW) also stops when the device is
// physically gone (surprise removal): its jobs then complete only by the driver's remove path
// (force-completion), as in mainline, where a dead device raises no fence interrupt. A ring
// attached to a Channel (pci.Dev.Link) also pauses while AER has the channel frozen (the
// port blocks the device's DMA until the slot reset) or the device is disconnected, and
// resumes after the link reset, the interrupted job started again.
//
// Oracles (through model/fence and model/kasan):
//   - fence-never-signalled: PushJob publishes the job's finished fence (drivers hand it to
//     a syncobj or a dma_resv), so a job that can never finish — its ring unplugged and its
//     fence not force-completed, or pushed to a stopped entity — is reported at quiesce;
//   - use-after-free: a job used after FreeJob (kasan), the scheduler used after it was freed
//     (a TDR still armed when the driver frees the ring: drm_sched_fini cancels it; a job
//     armed or pushed, or an entity flushed, after the ring was freed; drm_sched_job_done from
//     a completion interrupt that runs after the driver freed the scheduler); each access is
//     sized as the field the kernel touches first on that path (access.go);
//   - use-after-free of the scheduler in drm_sched_entity_kill_jobs_work, which frees the job
//     through job->sched->ops->free_job: the work is queued with schedule_work when a killed
//     job's dependency (or the entity's last scheduled fence) signals, and neither
//     drm_sched_fini nor amdgpu's fini_sw flushes it, so mainline (sched_entity.c v6.8-v6.19)
//     has the window: a killed job depending on another device's fence that signals after
//     the last drm_dev_put freed the ring runs the work on freed memory. A finding, reproduced
//     by "desrun run --scenario amdgpu-unplug --policy v6-kill-unflushed --seed 90".
//     FlushKillJobs is the measure that closes it (a driver waits for its kill works before
//     freeing the scheduler); amdgpu's fixed design v6-complete-first calls it in fini_sw;
//   - use-after-free of a fence (model/fence frees it at its final Put): references are taken
//     and dropped where mainline does. The job owns its finished fence (JobCleanup, which a
//     driver's FreeJob calls as drm_sched_job_cleanup, puts it and every dependency), the
//     finished fence owns the scheduled one (drm_sched_fence_release_finished), the scheduled
//     fence owns the hardware fence (drm_sched_fence_set_parent's dma_fence_get, put in
//     drm_sched_fence_release_scheduled or by drm_sched_stop when it takes the callback
//     back); RunJob's own reference is dropped after the parent is set; the entity holds its
//     last scheduled fence and, until its callback ran or was removed, its dependency;
//     AddDependency consumes the caller's reference. A driver that keeps a fence past the
//     push (an out-fence, a dependency it waits on) must Get it: one that uses or puts a fence
//     whose last reference the scheduler dropped is reported by KASAN;
//   - gpu-use-after-free: Config.KillSignalsEarly models drm_sched_entity_kill before it
//     waited for a killed job's dependencies; its -ESRCH finished fence then signals while a
//     dependency still writes memory, and whoever frees that memory after waiting is caught.
//
// Locking: sched->job_list_lock is a model/lock spinlock of one lockdep class for every
// scheduler (JobListLockClass, the spin_lock_init in drm_sched_init), taken where sched_main.c
// takes it: drm_sched_job_begin (pending list and TDR arming), drm_sched_get_finished_job,
// drm_sched_job_timedout (taking the bad job off the list, and
// drm_sched_start_timeout_unlocked after the handler), drm_sched_stop (removing a signalled
// job) and drm_sched_start (rearming the TDR); drm_sched_start_timeout asserts it is held.
// drm_sched_fini takes it nowhere (v6.17's drm_sched_cancel_remaining_jobs: "no locking
// necessary"). Drivers take it with LockJobList, as amdgpu_device_has_job_running does, so
// lockdep sees its order against their locks and the fence locks.
//
// Jobs pending at drm_sched_fini: before v6.17 drm_sched_fini frees none of them ("it is up
// to the driver", sched_main.c), so a job the scheduler thread had not freed yet keeps its
// finished, scheduled and hardware fences for ever. From v6.17 (bf8bbaefaa6a, "drm/sched:
// Avoid memory leaks with cancel_job() callback") drm_sched_fini calls
// drm_sched_cancel_remaining_jobs when the driver has ops->cancel_job: newest first, each
// pending job is cancelled (the driver signals its hardware fence with an error) and freed
// through ops->free_job. Ops.CancelJob is that callback; a driver without it is the pre-v6.17
// scheduler, and with model/fence's leak check on, the fences of the jobs it left are reported
// (fence-leak) once the device is torn down: Ring.Fini (amdgpu_fence_driver_sw_fini's puts of
// the fences the ring holds) and Scheduler.Free retire the ring's and the entities' timelines.
//
// Lifecycle: Fini of a scheduler Init did not make, or a second Fini, panics (drm_sched_fini
// would use an uninitialized scheduler, or sched_rq after freeing it); Init returns a new
// scheduler, so it cannot run twice on one.
//
// Kernel sources read (mainline v6.8-v6.19 and the v7.0 sched_rq.c; stable 6.17 for
// 487df8b69834, the kill_jobs_cb deadlock fix): drivers/gpu/drm/scheduler/sched_main.c (drm_sched_job_done,
// drm_sched_start_timeout, drm_sched_fault, drm_sched_job_begin, drm_sched_job_timedout with
// its DRM_GPU_SCHED_STAT_ENODEV rearm check and free_guilty, drm_sched_job_init/arm/add_dependency,
// drm_sched_select_entity, drm_sched_get_cleanup_job, drm_sched_main, drm_sched_init,
// drm_sched_fini, drm_sched_cancel_remaining_jobs (v6.17), drm_sched_stop, drm_sched_start, drm_sched_wqueue_stop/_start), sched_entity.c (drm_sched_entity_is_idle, drm_sched_entity_kill_jobs_work
// and _cb, drm_sched_entity_kill, drm_sched_entity_flush, drm_sched_entity_fini,
// drm_sched_entity_add_dependency_cb, drm_sched_entity_pop_job, drm_sched_entity_push_job),
// sched_fence.c (scheduled/finished fences on two contexts sharing a seqno, drm_sched_fence_scheduled
// and _set_parent, drm_sched_fence_release_scheduled and _finished, drm_sched_fence_free),
// drm_sched_job_cleanup and drm_sched_job_add_dependency (its per-context deduplication) in
// sched_main.c and drm_sched_job_dependency in sched_entity.c (mainline v6.12 and v7.0); the seed thread
// the amdgpu hot-unplug v6 thread (amdgpu hot-unplug v6: force-signal fences, no GPU recovery after unplug).
//
// Simplified:
//   - one run queue, round robin, no priorities, no score or load balancing between rings;
//   - an entity has one scheduler, so JobInit never fails (drm_sched_job_init's -ENOENT is
//     for an entity whose sched_list has no ready scheduler);
//   - GPU recovery is Stop and Start (drm_sched_stop, drm_sched_start with errno, v6.12 on:
//     a pending job whose hardware callback Stop took is done with errno at Start); there is no
//     drm_sched_resubmit_jobs and no way to give a job a new parent; the model's drivers
//     return StatENODEV after unplug, as amdgpu does since the seed series;
//   - Ops.TimedoutJob may be nil when Config.Timeout is 0 (MAX_SCHEDULE_TIMEOUT in
//     drm_sched_init, sched_main.c: drm_sched_start_timeout never queues work_tdr, so
//     drm_sched_job_timedout never calls ops->timedout_job); Init panics when a timeout is
//     set without a handler, and Fault (drm_sched_fault queues work_tdr at once) panics
//     without one: the kernel would call a NULL timedout_job;
//   - the entity lock and the run queue lock are not modelled: each step of the model between
//     scheduling points is atomic, which those locks give the kernel;
//   - the scheduler thread takes job_list_lock for drm_sched_get_finished_job on every
//     iteration, not only when drm_sched_run_free_queue found a finished job;
//   - a reference never dropped is reported only through model/fence's leak check
//     (fence.CheckLeaks), for the timelines of a ring after Ring.Fini and of a scheduler's
//     entities after Scheduler.Free; and drm_sched_job_init allocates no s_fence: Arm makes both fences, so JobCleanup of an
//     unarmed job has nothing to free (drm_sched_fence_free);
//   - the scheduler is the kthread flavour (drm_sched_main), not the run_job/free_job work
//     items on an ordered submit_wq of v6.8+: same serialisation, but drm_sched_fini's
//     cancel_work_sync lockdep maps are not modelled (a lock held across Fini that RunJob
//     takes deadlocks when hit, lockdep does not predict it);
//   - drm_sched_entity_flush always waits with a timeout (sched_entity.c: only an exiting
//     process does; others wait killable, unbounded) and never kills: callers call EntityKill;
//   - no DRM_GPU_SCHED_STAT_NO_HANG (v6.17);
//   - no DRM_SCHED_FENCE_DONT_PIPELINE, and a killed job waits for the dependency fence it
//     was given (sched_entity.c waits for the finished fence of a scheduled-fence dependency);
//   - drm_sched_fini marks every entity stopped, not only those on the run queue: the same
//     outcome, a later push never runs either way;
package sched
