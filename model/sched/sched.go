package sched

import (
	"cmp"
	"fmt"
	"slices"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/workqueue"
)

// Stat is enum drm_gpu_sched_stat, what TimedoutJob returns.
type Stat int

// Timeout handler results.
const (
	StatNominal Stat = iota // DRM_GPU_SCHED_STAT_NOMINAL: the TDR is rearmed
	StatENODEV              // DRM_GPU_SCHED_STAT_ENODEV: the device is gone, no rearm
)

// Ops are struct drm_sched_backend_ops.
type Ops struct {
	// RunJob submits the job to the hardware and returns its hardware fence (nil: done).
	RunJob func(p *des.Proc, j *Job) *fence.Fence
	// TimedoutJob is called by the TDR with the oldest pending job. It may be nil only when
	// Config.Timeout is 0 or less (no TDR) and the driver never calls Fault.
	TimedoutJob func(p *des.Proc, j *Job) Stat
	// FreeJob releases a finished job; nil frees it (drm_sched_job_cleanup + kfree).
	FreeJob func(p *des.Proc, j *Job)
	// CancelJob (v6.17) signals the hardware fence of a job still pending at Fini with an
	// error; it must not free the job. Fini then frees it with FreeJob. Nil: Fini leaves the
	// pending jobs, and the fences they hold, as drm_sched_fini did before v6.17.
	CancelJob func(p *des.Proc, j *Job)
}

// Config are drm_sched_init's parameters.
type Config struct {
	Name         string
	HWSubmission int          // jobs on the hardware at once (hw_submission_limit)
	Timeout      des.Duration // TDR timeout; 0 or less: none (MAX_SCHEDULE_TIMEOUT)
	TimeoutWQ    *workqueue.Workqueue
	// KillSignalsEarly models drm_sched_entity_kill before it waited for the dependencies of
	// the jobs it kills: their finished fences signal -ESRCH at once.
	KillSignalsEarly bool
}

// Bounds.
const (
	MaxEntities   = 256
	MaxQueue      = 1 << 12 // jobs queued on one entity
	maxSchedSteps = 1 << 24 // iterations of the scheduler thread
)

// Scheduler is struct drm_gpu_scheduler. It has a KASAN lifetime: the driver frees it with
// the ring that embeds it.
type Scheduler struct {
	kasan.Obj
	// mainFn and timedoutFn are s.main and s.jobTimedout, kept by a recycled Scheduler.
	mainFn                       func(p *des.Proc)
	timedoutFn                   func(p *des.Proc, w *workqueue.Work)
	sim                          *des.Sim
	cfg                          Config
	ops                          Ops
	label                        des.Label
	entities                     []*Entity
	rr                           int            // round robin position
	pending                      []*Job         // pending_list: on the hardware or finished, not yet cleaned up
	jobListLock                  *lock.SpinLock // job_list_lock: pending_list and the TDR's arming
	hwRq                         int            // hw_rq_count
	tdr                          *workqueue.DelayedWork
	thread                       *des.Proc
	stop                         bool // kthread_should_stop
	ready                        bool
	wakeUp                       *des.WaitQueue // wake_up_worker
	jobSched                     *des.WaitQueue // job_scheduled
	tdrRuns                      int
	killing                      int                           // killed jobs whose kill work has not freed them
	killDone                     *des.WaitQueue                // woken when killing drops to 0
	paused                       bool                          // drm_sched_wqueue_stop: pause_submit
	freeGuilty                   bool                          // Stop found the bad job done: the TDR frees it
	busy                         bool                          // the thread is in a loop iteration
	stopWaiters                  int                           // Stop callers waiting for !busy
	scheduledOf                  map[*fence.Fence]*fence.Fence // finished -> scheduled, armed jobs not yet freed
	evRun, evDone, evTDR, evFini des.Label
	evStop, evStart              des.Label
}

// JobListLockClass is the lockdep class of every scheduler's job_list_lock (one
// spin_lock_init site in drm_sched_init).
const JobListLockClass = "&sched->job_list_lock"

// Init is drm_sched_init: it starts the scheduler thread.
func Init(sim *des.Sim, cfg Config, ops Ops) *Scheduler {
	if sim == nil || cfg.Name == "" || ops.RunJob == nil {
		panic("sched: Init needs a sim, a name and RunJob")
	}
	if ops.TimedoutJob == nil && cfg.Timeout > 0 {
		panic(fmt.Sprintf("sched %s: Init with a TDR timeout of %v needs a TimedoutJob handler "+
			"(drm_sched_job_timedout calls ops->timedout_job); use Timeout 0 for no timeout", cfg.Name, cfg.Timeout))
	}
	if cfg.HWSubmission <= 0 {
		cfg.HWSubmission = 1
	}
	if cfg.TimeoutWQ == nil {
		cfg.TimeoutWQ = workqueue.SystemWQ(sim)
	}
	s := schedulers.New(sim)
	full := des.Join(sim, "sched:", cfg.Name)
	s.sim, s.cfg, s.ops, s.label, s.ready = sim, cfg, ops, des.L(full), true
	if s.scheduledOf == nil {
		s.scheduledOf = make(map[*fence.Fence]*fence.Fence)
	}
	s.Alloc(sim, sim.Current(), full)
	s.wakeUp = des.NewWaitQueue(sim, des.Join(sim, "wake_up_worker:", cfg.Name))
	s.jobSched = des.NewWaitQueue(sim, des.Join(sim, "job_scheduled:", cfg.Name))
	s.killDone = des.NewWaitQueue(sim, des.Join(sim, "kill_jobs:", cfg.Name))
	s.jobListLock = lock.NewSpinLock(sim, JobListLockClass) // spin_lock_init in drm_sched_init
	if s.mainFn == nil {
		s.mainFn, s.timedoutFn = s.main, s.jobTimedout
	}
	s.tdr = workqueue.InitDelayedWorkKey(sim, des.Join(sim, "work_tdr:", cfg.Name), "(&(&sched->work_tdr)->work)", s.timedoutFn)
	s.evRun, s.evDone, s.evTDR, s.evFini = des.L("run-job"), des.L("job-done"), des.L("tdr"), des.L("sched-fini")
	s.evStop, s.evStart = des.L("sched-stop"), des.L("sched-start")
	s.thread = sim.Spawn(cfg.Name, des.Task, s.mainFn).SetDaemon()
	return s
}

// Name is the scheduler's name.
func (s *Scheduler) Name() string { return s.cfg.Name }

// Ready reports sched->ready (false after Fini).
func (s *Scheduler) Ready() bool { return s.ready }

// Pending is the number of jobs on the pending list.
func (s *Scheduler) Pending() int { return len(s.pending) }

// TDRRuns is how many times the timeout handler ran.
func (s *Scheduler) TDRRuns() int { return s.tdrRuns }

// main is drm_sched_main.
func (s *Scheduler) main(p *des.Proc) {
	for i := 0; i < maxSchedSteps; i++ {
		stop := s.wakeUp.WaitStop(p, func() bool { return s.stop || !s.paused && (s.cleanupReady() || s.pickEntity() >= 0) })
		if stop || s.stop {
			return
		}
		s.busy = true
		s.step(p)
		s.busy = false
		if s.stopWaiters > 0 {
			s.jobSched.WakeAll()
		}
	}
}

// step is one iteration of drm_sched_main: free a finished job, run the next one.
func (s *Scheduler) step(p *des.Proc) {
	if job := s.getCleanupJob(p); job != nil {
		s.freeJob(p, job)
	}
	idx := s.pickEntity()
	if idx < 0 {
		return
	}
	s.rr = idx
	e := s.entities[idx]
	e.idle.Reinit() // reinit_completion(&entity->entity_idle) at select
	job := e.popJob(p)
	if job == nil {
		e.idle.CompleteAll()
		return
	}
	s.runJob(p, e, job)
	s.jobSched.WakeAll()
}

// pickEntity is drm_sched_select_entity (round robin after the last pick): the index of the
// entity to serve, or -1. It has no side effects (it runs in a wait condition).
func (s *Scheduler) pickEntity() int {
	if s.hwRq >= s.cfg.HWSubmission {
		return -1
	}
	n := len(s.entities)
	for k := 1; k <= n; k++ {
		if i := (s.rr + k) % n; s.entities[i].isReady() {
			return i
		}
	}
	return -1
}

// runJob is the second half of drm_sched_main's loop.
func (s *Scheduler) runJob(p *des.Proc, e *Entity, job *Job) {
	s.hwRq++
	s.jobBegin(p, job)
	p.Point(s.evRun, job.label, 0, 0)
	hw := s.ops.RunJob(p, job)
	e.idle.CompleteAll()
	if hw != nil {
		job.parent = hw.Get(p) // drm_sched_fence_set_parent
	}
	_ = job.scheduled.Signal(p) // drm_sched_fence_scheduled
	if hw == nil {
		s.jobDone(p, job, 0)
		return
	}
	hw.Put(p)                                // drop for the original kref_init of the fence
	cb, err := hw.AddCallback(p, job.hwDone) // s.jobDone(q, job, f.Error())
	if err != nil {
		s.jobDone(p, job, hw.Error())
		return
	}
	job.cb = cb
}

// jobBegin is drm_sched_job_begin: the job goes on the pending list, the TDR starts, under
// job_list_lock.
func (s *Scheduler) jobBegin(p *des.Proc, job *Job) {
	s.jobListLock.Lock(p)
	s.pending = append(s.pending, job)
	s.startTimeout(p)
	s.jobListLock.Unlock(p)
}

// jobDone is drm_sched_job_done: it runs in the hardware fence's signaller context (the
// ring's interrupt) and uses the scheduler (credit_count, score, the free-job wakeup).
func (s *Scheduler) jobDone(p *des.Proc, job *Job, result fence.Errno) {
	if !s.Access(p, accJobDone) {
		return
	}
	s.hwRq--
	p.Trace(s.evDone, job.label, int64(result), 0)
	job.finished.Get(p) // a callback of finished may drop the last other reference
	if result != 0 && !job.finished.Signalled() {
		job.finished.SetError(p, result)
	}
	_ = job.finished.Signal(p)
	job.finished.Put(p)
	s.wakeUp.WakeAll()
}

// startTimeout is drm_sched_start_timeout: mod_delayed_work since v6.8, so every job that
// goes to the hardware pushes the TDR out to a full timeout from now. job_list_lock is held.
func (s *Scheduler) startTimeout(p *des.Proc) {
	s.jobListLock.AssertHeld(p)
	if s.cfg.Timeout > 0 && len(s.pending) > 0 {
		workqueue.ModDelayedWork(p, s.cfg.TimeoutWQ, s.tdr, s.cfg.Timeout)
	}
}

// startTimeoutUnlocked is drm_sched_start_timeout_unlocked.
func (s *Scheduler) startTimeoutUnlocked(p *des.Proc) {
	s.jobListLock.Lock(p)
	s.startTimeout(p)
	s.jobListLock.Unlock(p)
}

// Fault is drm_sched_fault: run the timeout handler now.
func Fault(p *des.Proc, s *Scheduler) {
	if s.ops.TimedoutJob == nil {
		panic("sched " + s.cfg.Name + ": Fault (drm_sched_fault) needs a TimedoutJob handler")
	}
	workqueue.ModDelayedWork(p, s.cfg.TimeoutWQ, s.tdr, 0)
}

func (s *Scheduler) cleanupReady() bool {
	return len(s.pending) > 0 && s.pending[0].finished.Signalled()
}

// getCleanupJob is drm_sched_get_cleanup_job (drm_sched_get_finished_job since v6.8), under
// job_list_lock.
func (s *Scheduler) getCleanupJob(p *des.Proc) *Job {
	s.jobListLock.Lock(p)
	defer s.jobListLock.Unlock(p)
	if !s.cleanupReady() {
		return nil
	}
	job := s.pending[0]
	s.pending = popFront(s.pending)
	workqueue.CancelDelayedWork(p, s.tdr)
	if len(s.pending) > 0 {
		s.startTimeout(p)
	}
	return job
}

// freeJob is ops->free_job; without one, drm_sched_job_cleanup and kfree.
func (s *Scheduler) freeJob(p *des.Proc, job *Job) {
	if s.ops.FreeJob != nil {
		s.ops.FreeJob(p, job)
		return
	}
	JobCleanup(p, job)
	job.Free(p)
}

// jobTimedout is drm_sched_job_timedout, the TDR work.
func (s *Scheduler) jobTimedout(p *des.Proc, _ *workqueue.Work) {
	if !s.Access(p, accJobTimedout) {
		return
	}
	s.tdrRuns++
	status := StatNominal
	if job := s.takeTimedout(p); job != nil {
		p.Point(s.evTDR, job.label, 0, 0)
		if job.Access(p, accTimedoutJob) {
			status = s.ops.TimedoutJob(p, job)
		}
		if s.freeGuilty { // the guilty job completed meanwhile: drm_sched_stop left it to us
			s.freeGuilty = false
			s.freeJob(p, job)
		}
	}
	if status != StatENODEV {
		s.startTimeoutUnlocked(p)
	}
}

// takeTimedout takes the oldest pending job off the list under job_list_lock (list_del_init:
// a concurrent cleanup cannot free it), or returns nil.
func (s *Scheduler) takeTimedout(p *des.Proc) *Job {
	s.jobListLock.Lock(p)
	defer s.jobListLock.Unlock(p)
	if len(s.pending) == 0 {
		return nil
	}
	job := s.pending[0]
	s.pending = popFront(s.pending)
	return job
}

// Fini is drm_sched_fini: stop the thread, stop every entity, wake flushers, cancel the
// TDR synchronously and, if the driver has Ops.CancelJob, cancel and free the jobs still
// pending (without it they and their fences are never freed). Fini of a scheduler Init did not make, or a second Fini, panics: the
// kernel's would stop a submit workqueue never set up, or walk sched->sched_rq after the
// first freed it and set it to NULL (sched_main.c); drivers check sched.ready first.
func Fini(p *des.Proc, s *Scheduler) {
	switch {
	case s.sim == nil:
		panic("sched: drm_sched_fini before drm_sched_init: uninitialized -> fini")
	case !s.ready:
		panic(fmt.Sprintf("sched %s: drm_sched_fini twice: finished -> fini", s.cfg.Name))
	}
	p.Point(s.evFini, s.label, 0, 0)
	s.stop = true // kthread_stop
	s.wakeUp.WakeAll()
	p.Join(s.thread)
	for _, e := range s.entities {
		e.stopped = true
	}
	s.jobSched.WakeAll()
	workqueue.CancelDelayedWorkSync(p, s.tdr)
	if s.ops.CancelJob != nil {
		s.cancelRemainingJobs(p)
	}
	s.ready = false
}

// cancelRemainingJobs is drm_sched_cancel_remaining_jobs (v6.17): newest first, each pending
// job is cancelled (its hardware fence signals, and its callback signals the finished fence),
// taken off the list and freed. Every other accessor is stopped: no locking.
func (s *Scheduler) cancelRemainingJobs(p *des.Proc) {
	for i := len(s.pending) - 1; i >= 0; i-- {
		job := s.pending[i]
		s.ops.CancelJob(p, job)
		s.pending[i] = nil
		s.pending = s.pending[:i]
		s.freeJob(p, job)
	}
}

// Stop is drm_sched_stop(sched, bad), the first half of a reset (sched_main.c, v6.8 on): the
// scheduler stops running and freeing jobs (drm_sched_wqueue_stop; an iteration of its thread
// in progress finishes first, as cancel_work_sync waits for the work), bad (the job the TDR
// took off the pending list, or nil) goes back at its head, and each pending job, newest first,
// either loses its hardware fence's callback (it stays pending without a parent, its credit
// returned) or, when the fence already signalled, leaves the list, its finished fence is
// waited for and it is freed (bad is kept for the caller, and sched->free_guilty makes the
// timeout handler free it once the driver's handler returned). The TDR is cancelled, not synchronously:
// Stop runs from the timeout handler. Start undoes it.
func Stop(p *des.Proc, s *Scheduler, bad *Job) {
	if !s.Access(p, accStop) {
		return
	}
	p.Point(s.evStop, s.label, 0, 0)
	s.paused = true
	if s.busy {
		s.stopWaiters++
		s.jobSched.Wait(p, func() bool { return !s.busy })
		s.stopWaiters--
	}
	if bad != nil && bad.sched == s && !slices.Contains(s.pending, bad) {
		s.pending = slices.Insert(s.pending, 0, bad)
	}
	for i := len(s.pending) - 1; i >= 0; i-- {
		job := s.pending[i]
		if job.parent != nil && job.cb != nil && job.parent.RemoveCallback(p, job.cb) {
			job.parent.Put(p)
			job.parent, job.cb = nil, nil
			s.hwRq--
			continue
		}
		s.jobListLock.Lock(p) // for a concurrent resume of the timeout
		s.pending = slices.Delete(s.pending, i, i+1)
		s.jobListLock.Unlock(p)
		job.finished.Wait(p) // the callback in progress finishes with the job
		if job != bad {
			s.freeJob(p, job)
		} else {
			s.freeGuilty = true
		}
	}
	workqueue.CancelDelayedWork(p, s.tdr)
}

// Start is drm_sched_start(sched, errno), the second half of a reset: every pending job gets
// its hardware fence's callback back, or, without one (Stop took it; the model has no
// drm_sched_resubmit_jobs), is done at once with errno (-ECANCELED if 0); a hardware fence
// that signalled meanwhile completes its job with its error (else errno). Then the TDR is
// rearmed and the scheduler runs again (drm_sched_wqueue_start).
func Start(p *des.Proc, s *Scheduler, errno fence.Errno) {
	if !s.Access(p, accStart) {
		return
	}
	p.Point(s.evStart, s.label, int64(errno), 0)
	for _, job := range slices.Clone(s.pending) {
		s.hwRq++
		hw := job.parent
		if hw == nil {
			s.jobDone(p, job, cmp.Or(errno, -fence.ECANCELED))
			continue
		}
		cb, err := hw.AddCallback(p, job.hwDone)
		if err != nil {
			s.jobDone(p, job, cmp.Or(hw.Error(), errno))
			continue
		}
		job.cb = cb
	}
	s.startTimeoutUnlocked(p)
	s.paused = false
	s.wakeUp.WakeAll()
}

// Free frees the scheduler with the driver structure that embeds it (the ring, at the
// device's fini_sw): the timelines of its entities end with it (fence.Context.Retire), so a
// fence of theirs still referenced when the run ends is a leak (fence.CheckLeaks).
func (s *Scheduler) Free(p *des.Proc) {
	for _, e := range s.entities {
		e.schedCtx.Retire()
		e.finCtx.Retire()
	}
	s.Obj.Free(p)
}

// LockJobList is spin_lock(&sched->job_list_lock), as drivers take it to look at the pending
// list (amdgpu_device_has_job_running); UnlockJobList releases it.
func LockJobList(p *des.Proc, s *Scheduler) { s.jobListLock.Lock(p) }

// UnlockJobList is spin_unlock(&sched->job_list_lock).
func UnlockJobList(p *des.Proc, s *Scheduler) { s.jobListLock.Unlock(p) }

// FlushKillJobs waits until every job killed on s (EntityKill) has been signalled and freed
// by its drm_sched_entity_kill_jobs_work. Mainline has no such wait: the kill works are
// queued with schedule_work and nothing flushes them before the scheduler (embedded in the
// driver's ring) is freed; a driver that frees s calls it first to close that window.
func FlushKillJobs(p *des.Proc, s *Scheduler) {
	s.killDone.Wait(p, func() bool { return s.killing == 0 })
}

func (s *Scheduler) addEntity(e *Entity) {
	if len(s.entities) >= MaxEntities {
		panic(fmt.Sprintf("sched %s: more than %d entities", s.cfg.Name, MaxEntities))
	}
	s.entities = append(s.entities, e)
}
