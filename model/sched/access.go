package sched

import "hotplugsim/model/kasan"

// The first access each path makes to a scheduler or a job that may have been freed, sized
// and directed as the field the kernel touches there (drivers/gpu/drm/scheduler/), so that
// KASAN's report says what was read or written.
var (
	// drm_sched_entity_push_job: atomic_inc(entity->rq->sched->score) reads the atomic_t *.
	accPushJob = kasan.Access{Func: "drm_sched_entity_push_job", Size: 8}
	// drm_sched_entity_flush: wait_event_killable(sched->job_scheduled, ...) takes the wait
	// queue's spinlock.
	accEntityFlush = kasan.Access{Func: "drm_sched_entity_flush", Size: 4, Write: true}
	// drm_sched_job_arm: atomic64_inc_return(&sched->job_id_count).
	accJobArm = kasan.Access{Func: "drm_sched_job_arm", Size: 8, Write: true}
	// drm_sched_entity_kill_jobs_work: job->sched->ops->free_job reads sched->ops.
	accKillJobsWork = kasan.Access{Func: "drm_sched_entity_kill_jobs_work", Size: 8}
	// drm_sched_job_done: atomic_sub(s_job->credits, &sched->credit_count).
	accJobDone = kasan.Access{Func: "drm_sched_job_done", Size: 4, Write: true}
	// drm_sched_job_timedout: spin_lock(&sched->job_list_lock).
	accJobTimedout = kasan.Access{Func: "drm_sched_job_timedout", Size: 4, Write: true}
	// drm_sched_stop / drm_sched_start: drm_sched_wqueue_stop / _start write pause_submit.
	accStop  = kasan.Access{Func: "drm_sched_stop", Size: 1, Write: true}
	accStart = kasan.Access{Func: "drm_sched_start", Size: 1, Write: true}
	// drm_sched_job_timedout: job->sched->ops->timedout_job(job) reads the job's sched pointer.
	accTimedoutJob = kasan.Access{Func: "timedout_job", Size: 8}
)
