package sched

import (
	"hotplugsim/des"
	"hotplugsim/model/fence"
)

// Entity is struct drm_sched_entity: a queue of jobs of one context.
type Entity struct {
	queueBuf      []*Job // the storage queue grew last, kept for recycling after a kill drops queue
	sim           *des.Sim
	name          string
	sched         *Scheduler
	schedCtx      *fence.Context // entity->fence_context: scheduled fences
	finCtx        *fence.Context // fence_context + 1: finished fences
	seqno         uint64
	queue         []*Job
	inRq          bool
	stopped       bool
	dependency    *fence.Fence    // the unsignalled dependency the head job waits for: a reference
	depCb         *fence.Callback // entity->cb on dependency
	lastScheduled *fence.Fence    // the finished fence of the last job popped: a reference
	idle          *des.Completion // entity_idle
	evPush        des.Label
	depDone       func(*des.Proc, *fence.Fence) // the dependency callback, made once per Entity
}

// SchedFenceLockClass is the lockdep class of every drm_sched fence's lock.
const SchedFenceLockClass = "&fence->lock"

// NewEntity is drm_sched_entity_init on a single scheduler.
func NewEntity(sim *des.Sim, name string, s *Scheduler) *Entity {
	if sim == nil || name == "" || s == nil {
		panic("sched: NewEntity needs a sim, a name and a scheduler")
	}
	e := entities.New(sim)
	e.sim, e.name, e.sched = sim, name, s
	if e.depDone == nil {
		e.depDone = func(q *des.Proc, f *fence.Fence) { // drm_sched_entity_wakeup
			e.dependency, e.depCb = nil, nil
			f.Put(q)
			e.sched.wakeUp.WakeAll()
		}
	}
	// drm_sched_fence_init: spin_lock_init(&fence->lock), one class for every entity.
	e.schedCtx = fence.NewContextLock(sim, des.Join(sim, name, ".scheduled"), SchedFenceLockClass)
	e.finCtx = fence.NewContextLock(sim, des.Join(sim, name, ".finished"), SchedFenceLockClass)
	e.schedCtx.SetAllocChain(schedFenceAlloc)
	e.finCtx.SetAllocChain(schedFenceAlloc)
	e.idle = des.NewCompletion(sim, des.Join(sim, "entity_idle:", name))
	e.idle.CompleteAll()
	e.evPush = des.L("push-job")
	s.addEntity(e)
	return e
}

// Name is the entity's name.
func (e *Entity) Name() string { return e.name }

// Stopped reports entity->stopped.
func (e *Entity) Stopped() bool { return e.stopped }

// Queued is the number of jobs waiting in the entity.
func (e *Entity) Queued() int { return len(e.queue) }

// isIdle is drm_sched_entity_is_idle.
func (e *Entity) isIdle() bool { return !e.inRq || len(e.queue) == 0 || e.stopped }

// isReady is drm_sched_entity_is_ready.
func (e *Entity) isReady() bool {
	return e.inRq && len(e.queue) > 0 && !e.stopped && e.dependency == nil
}

// PushJob is drm_sched_entity_push_job: the job is queued and its finished fence published.
// Pushing to a stopped entity leaves the job queued for ever, as the kernel does ("Trying to
// push to a killed entity").
func PushJob(p *des.Proc, j *Job) {
	e := j.entity
	if !j.armed {
		panic("sched: PushJob before Arm")
	}
	e.sched.Access(p, accPushJob)
	p.Point(e.evPush, j.label, int64(j.finished.Seqno()), 0)
	j.finished.Publish(p)
	if len(e.queue) >= MaxQueue {
		panic("sched: entity " + e.name + " queue overflow")
	}
	e.queue = append(e.queue, j)
	e.queueBuf = e.queue
	if len(e.queue) == 1 && !e.stopped {
		e.inRq = true // drm_sched_rq_add_entity
		e.sched.wakeUp.WakeAll()
	}
}

// popJob is drm_sched_entity_pop_job: nil if the head job waits for a dependency.
func (e *Entity) popJob(p *des.Proc) *Job {
	if len(e.queue) == 0 {
		return nil
	}
	j := e.queue[0]
	for j.lastDep < len(j.deps) {
		f := j.deps[j.lastDep]
		j.lastDep++
		if e.addDependencyCb(p, f) {
			return nil
		}
	}
	putIf(p, e.lastScheduled)
	e.lastScheduled = j.finished.Get(p)
	e.queue = popFront(e.queue)
	if len(e.queue) == 0 {
		e.inRq = false // drm_sched_rq_pop_entity
	}
	return j
}

// addDependencyCb is drm_sched_job_dependency (a reference on the next dependency) and
// drm_sched_entity_add_dependency_cb: wait for f unless it is ours or signalled; for a job of
// the same scheduler without an error, wait only until it is scheduled (the ring runs jobs in
// order). The entity keeps the reference until its callback ran (drm_sched_entity_wakeup).
func (e *Entity) addDependencyCb(p *des.Proc, f *fence.Fence) bool {
	f.Get(p)
	if f.Context() == e.schedCtx.ID() || f.Context() == e.finCtx.ID() {
		f.Put(p)
		return false
	}
	if sf := e.sched.scheduledOf[f]; sf != nil && f.Error() == 0 {
		sf.Get(p)
		f.Put(p)
		f = sf
	}
	e.dependency = f
	cb, err := f.AddCallback(p, e.depDone) // drm_sched_entity_wakeup
	if err != nil {
		e.dependency = nil
		f.Put(p)
		return false
	}
	e.depCb = cb
	return true
}

// EntityFlush is drm_sched_entity_flush: wait up to timeout for the entity's queue to drain (or
// the entity to stop) and return the time left.
func EntityFlush(p *des.Proc, e *Entity, timeout des.Duration) des.Duration {
	if !e.sched.Access(p, accEntityFlush) {
		return 0
	}
	start := p.Now()
	e.sched.jobSched.WaitTimeout(p, e.isIdle, timeout)
	return max(0, timeout-p.Now().Sub(start))
}

// EntityKill is drm_sched_entity_kill: stop the entity, wait until the scheduler no longer uses
// it, and kill every queued job: each job's finished fence signals -ESRCH once the previous
// job finished and its own dependencies signalled.
func EntityKill(p *des.Proc, e *Entity) {
	e.stopped = true
	e.inRq = false
	e.idle.Wait(p)
	prev := e.lastScheduled
	if prev != nil {
		prev.Get(p)
	}
	jobs := e.queue
	e.queue = nil
	for _, j := range jobs {
		j.finished.Get(p) // the next job's callback (or the final put below) drops it
		if prev == nil || !j.afterFence(p, prev) {
			putIf(p, prev)
			j.killJobsCb(p)
		}
		prev = j.finished
	}
	putIf(p, prev)
}

// putIf is dma_fence_put, which accepts NULL.
func putIf(p *des.Proc, f *fence.Fence) {
	if f != nil {
		f.Put(p)
	}
}

// EntityFini is drm_sched_entity_fini: kill, remove the dependency callback and drop the
// entity's references on its dependency and its last scheduled fence.
func EntityFini(p *des.Proc, e *Entity) {
	EntityKill(p, e)
	if dep := e.dependency; dep != nil {
		dep.RemoveCallback(p, e.depCb)
		e.dependency, e.depCb = nil, nil
		dep.Put(p)
	}
	putIf(p, e.lastScheduled)
	e.lastScheduled = nil
}

// EntityDestroy is drm_sched_entity_destroy: flush, then fini.
func EntityDestroy(p *des.Proc, e *Entity, timeout des.Duration) {
	EntityFlush(p, e, timeout)
	EntityFini(p, e)
}

// schedFenceAlloc is where a job's scheduled and finished fences are allocated: one struct
// drm_sched_fence from sched_fence_slab (sched_fence.c).
var schedFenceAlloc = []string{"kmem_cache_zalloc", "drm_sched_fence_alloc", "drm_sched_job_init"}
