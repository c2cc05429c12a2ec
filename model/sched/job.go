package sched

import (
	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/kasan"
	"hotplugsim/model/workqueue"
)

// MaxDeps bounds one job's dependencies.
const MaxDeps = 256

// Job is struct drm_sched_job with its drm_sched_fence. It has a KASAN lifetime: FreeJob
// frees it.
type Job struct {
	kasan.Obj
	sim       *des.Sim
	name      string
	label     des.Label
	entity    *Entity
	sched     *Scheduler
	scheduled *fence.Fence    // s_fence->scheduled: its reference is the finished fence's
	finished  *fence.Fence    // s_fence->finished: its reference is the job's (JobCleanup)
	parent    *fence.Fence    // s_fence->parent, the hardware fence: a reference of scheduled's
	cb        *fence.Callback // the scheduler's callback on parent (Stop removes it)
	deps      []*fence.Fence  // job->dependencies: one reference each (JobCleanup puts them)
	lastDep   int
	armed     bool
	killWork  *workqueue.Work
	killed    bool // counted in sched.killing until its kill work frees it
	// Payload is the driver's part of the job (what RunJob submits).
	Payload any

	hwDone func(q *des.Proc, f *fence.Fence)    // the hardware fence's callback, made once per Job
	killFn func(p *des.Proc, w *workqueue.Work) // j.killJobsWork, made once per Job
	// relScheduled and relFinished are the s_fence's dma_fence_ops.release, made once per Job.
	relScheduled, relFinished func(q *des.Proc, f *fence.Fence)
}

// JobInit is drm_sched_job_init. It never fails here: since v5.16 its -ENOENT means the entity
// has no run queue, which a single-scheduler entity always has, even after drm_sched_fini (the
// scheduler's ready flag is not looked at). A job initialised then is accepted and, once pushed,
// never runs: drivers must reject submissions themselves (amdgpu's rw_sem, drm_dev_enter).
func JobInit(p *des.Proc, e *Entity, name string) (*Job, error) {
	j := jobs.New(e.sim)
	full := des.Join(e.sim, "job:", name)
	j.sim, j.name, j.label, j.entity, j.sched = e.sim, name, des.L(full), e, e.sched
	j.Alloc(e.sim, p, full)
	if j.hwDone == nil {
		j.hwDone = func(q *des.Proc, f *fence.Fence) { j.sched.jobDone(q, j, f.Error()) }
		j.relScheduled, j.relFinished = j.releaseScheduled, j.releaseFinished
	}
	return j, nil
}

// releaseScheduled is drm_sched_fence_release_scheduled: the s_fence drops its parent.
func (j *Job) releaseScheduled(q *des.Proc, _ *fence.Fence) {
	if j.parent != nil {
		j.parent.Put(q)
		j.parent = nil
	}
}

// releaseFinished is drm_sched_fence_release_finished: the finished fence drops the reference
// it holds on the scheduled one; to_drm_sched_fence no longer finds it.
func (j *Job) releaseFinished(q *des.Proc, f *fence.Fence) {
	delete(j.sched.scheduledOf, f)
	j.scheduled.Put(q)
}

// JobCleanup is drm_sched_job_cleanup, what a driver's FreeJob calls before freeing the job
// (and its error path for a job it never pushed): it drops the job's reference on the finished
// fence, if armed (an unarmed job has no fences in the model: drm_sched_fence_free), and the
// reference on each dependency.
func JobCleanup(p *des.Proc, j *Job) {
	if j.armed {
		j.finished.Put(p)
	}
	for _, f := range j.deps {
		f.Put(p)
	}
	clear(j.deps)
	j.deps = j.deps[:0]
}

// Objects a sweep worker reuses run after run (des.SlabKey).
var (
	jobs       = des.NewSlabKey[Job]()
	entities   = des.NewSlabKey[Entity]()
	rings      = des.NewSlabKey[Ring]()
	schedulers = des.NewSlabKey[Scheduler]()
)

// popFront removes q's first element in place, so that the queue keeps its storage (a queue
// resliced from the front would reallocate as soon as it grows again).
func popFront[T any](q []T) []T {
	n := copy(q, q[1:])
	var zero T
	q[n] = zero
	return q[:n]
}

// Recycle keeps a reused job's dependency list storage and its hardware-fence callback, which
// is bound to it (des.Recycler).
func (j *Job) Recycle() {
	clear(j.deps)
	*j = Job{deps: j.deps[:0], hwDone: j.hwDone, killFn: j.killFn,
		relScheduled: j.relScheduled, relFinished: j.relFinished}
}

// Recycle keeps a reused entity's queue storage and its dependency callback (des.Recycler).
func (e *Entity) Recycle() {
	clear(e.queueBuf[:cap(e.queueBuf)])
	*e = Entity{queue: e.queueBuf[:0], queueBuf: e.queueBuf[:0], depDone: e.depDone}
}

// Recycle keeps a reused ring's queue storage and its interrupt body (des.Recycler).
func (r *Ring) Recycle() {
	clear(r.queueBuf[:cap(r.queueBuf)])
	clear(r.doneBuf[:cap(r.doneBuf)])
	*r = Ring{queue: r.queueBuf[:0], done: r.doneBuf[:0], queueBuf: r.queueBuf[:0], doneBuf: r.doneBuf[:0],
		irqFn: r.irqFn, engineFn: r.engineFn}
}

// Recycle keeps a reused scheduler's list and map storage (des.Recycler).
func (s *Scheduler) Recycle() {
	clear(s.entities)
	clear(s.pending)
	clear(s.scheduledOf)
	*s = Scheduler{entities: s.entities[:0], pending: s.pending[:0], scheduledOf: s.scheduledOf,
		mainFn: s.mainFn, timedoutFn: s.timedoutFn}
}

// Name is the job's name.
func (j *Job) Name() string { return j.name }

// Scheduled is the fence signalled when the job is handed to the hardware.
func (j *Job) Scheduled() *fence.Fence { return j.scheduled }

// Finished is the fence signalled when the job is done (with an error if it failed or was
// killed); nil before Arm.
func (j *Job) Finished() *fence.Fence { return j.finished }

// Parent is the hardware fence RunJob returned (nil before it ran).
func (j *Job) Parent() *fence.Fence { return j.parent }

// AddDependency is drm_sched_job_add_dependency: the job runs only after f signals. It
// consumes the caller's reference on f: a fence of a context the job already depends on
// replaces the earlier one if later (which is put), else it is put itself.
func (j *Job) AddDependency(p *des.Proc, f *fence.Fence) {
	if f == nil {
		return
	}
	for i, d := range j.deps {
		if d.Context() != f.Context() {
			continue
		}
		if f.IsLater(d) {
			d.Put(p)
			j.deps[i] = f
		} else {
			f.Put(p)
		}
		return
	}
	if len(j.deps) >= MaxDeps {
		panic("sched: job " + j.name + " has too many dependencies")
	}
	j.deps = append(j.deps, f)
}

// Arm is drm_sched_job_arm: the scheduled and finished fences get their (shared) seqno.
func (j *Job) Arm(p *des.Proc) {
	e := j.entity
	e.sched.Access(p, accJobArm)
	e.seqno++
	j.scheduled = e.schedCtx.NewFenceSeqno(p, e.seqno)
	j.finished = e.finCtx.NewFenceSeqno(p, e.seqno)
	j.scheduled.SetRelease(j.relScheduled)
	j.finished.SetRelease(j.relFinished)
	j.armed = true
	e.sched.scheduledOf[j.finished] = j.scheduled // to_drm_sched_fence
}

// afterFence adds the kill callback to prev, which takes over the caller's reference on it;
// false if prev already signalled (the caller keeps its reference).
func (j *Job) afterFence(p *des.Proc, prev *fence.Fence) bool {
	_, err := prev.AddCallback(p, func(q *des.Proc, f *fence.Fence) {
		f.Put(q) // drm_sched_entity_kill_jobs_cb: dma_fence_put(f)
		j.killJobsCb(q)
	})
	return err == nil
}

// killJobsCb is drm_sched_entity_kill_jobs_cb: defer to a work item (it may run in irq
// context).
func (j *Job) killJobsCb(p *des.Proc) {
	if !j.killed {
		j.killed = true
		j.sched.killing++
	}
	if j.killWork == nil {
		// INIT_WORK(&job->work, ...): one lockdep class for every job.
		if j.killFn == nil {
			j.killFn = j.killJobsWork
		}
		j.killWork = workqueue.InitWorkKey(j.sim, des.Join(j.sim, "kill_jobs:", j.name), "(&job->work)", j.killFn)
	}
	workqueue.ScheduleWork(p, j.killWork)
}

// killJobsWork is drm_sched_entity_kill_jobs_work: wait for every dependency, then signal
// the job's fences with -ESRCH and free it.
func (j *Job) killJobsWork(p *des.Proc, _ *workqueue.Work) {
	for !j.sched.cfg.KillSignalsEarly && len(j.deps) > 0 {
		f := j.deps[0] // xa_erase: the reference goes with f
		j.deps = j.deps[1:]
		if j.afterFence(p, f) {
			return // run again when f signals
		}
		f.Put(p)
	}
	if !j.scheduled.Signalled() {
		_ = j.scheduled.Signal(p)
	}
	if !j.finished.Signalled() {
		j.finished.SetError(p, -fence.ESRCH)
		_ = j.finished.Signal(p)
	}
	s := j.sched
	if !s.Access(p, accKillJobsWork) {
		return
	}
	s.freeJob(p, j)
	if s.killing--; s.killing == 0 {
		s.killDone.WakeAll()
	}
}
