package workqueue

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
	"hotplugsim/model/timer"
)

// Func is a work function (work_func_t); it runs in a worker (process context).
type Func func(p *des.Proc, w *Work)

// Work is struct work_struct. It has a KASAN lifetime: free it (w.Free) when the object that
// embeds it is freed.
type Work struct {
	kasan.Obj
	sim   *des.Sim
	name  string
	label des.Label
	fn    Func
	dep   *lock.Map    // work->lockdep_map
	dwork *DelayedWork // set for the work of a delayed work

	pending   bool       // WORK_STRUCT_PENDING
	queued    bool       // on a worklist
	canceling int        // WORK_OFFQ_CANCELING: a canceller holds PENDING
	grabbed   bool       // a grab owns PENDING, the work on no timer or list until it is done
	wq        *Workqueue // where it was last queued
	running   *des.Proc  // the worker running it
	gen       uint64     // queueing instance
	runGen    uint64     // instance being run
	ticket    uint64     // position on its workqueue
	runs      int
	done      *des.WaitQueue
	irqAt     des.Time // metrics on: the IRQ whose handler queued the pending instance
	irqGen    uint64   // that instance (0: not queued from an IRQ handler)
}

// InitWork is INIT_WORK: a work item named name running fn. It is allocated by the current
// process (nil outside any). Its lockdep map is a class of its own; see InitWorkKey.
func InitWork(sim *des.Sim, name string, fn Func) *Work {
	return InitWorkKey(sim, name, name, fn)
}

// InitWorkKey is InitWork with the lockdep class of the work's lockdep_map named by key
// ("(work_completion)"+key): INIT_WORK keys it by its call site, so the same work item of every
// device or job shares one class, and flushing one instance under a lock its function takes
// is reported whichever instance ran.
func InitWorkKey(sim *des.Sim, name, key string, fn Func) *Work {
	w := works.New(sim)
	w.init(sim, name, key, fn)
	return w
}

func (w *Work) init(sim *des.Sim, name, key string, fn Func) {
	if sim == nil || name == "" || key == "" || fn == nil {
		panic("workqueue: InitWork needs a sim, a name, a key and a function")
	}
	w.sim, w.name, w.fn = sim, name, fn
	full := des.Join(sim, "work:", name)
	w.label = des.L(full)
	w.Alloc(sim, sim.Current(), full)
	w.dep = lock.NewMap(sim, des.Join(sim, "(work_completion)", key))
	w.done = des.NewWaitQueue(sim, des.Join(sim, "work-done:", name))
	w.done.SetHolder((*runningWork)(w))
}

// Objects a sweep worker reuses run after run (des.SlabKey).
var (
	works        = des.NewSlabKey[Work]()
	delayedWorks = des.NewSlabKey[DelayedWork]()
)

// runningWork is a Work as its done queue's des.Holder: the worker running it.
type runningWork Work

func (w *runningWork) Owner() *des.Proc { return w.running }

// Pending is work_pending.
func (w *Work) Pending() bool { return w.pending }

// Running reports whether a worker runs the item now (work_busy's WORK_BUSY_RUNNING).
func (w *Work) Running() bool { return w.running != nil }

// Runs is how many times the item ran.
func (w *Work) Runs() int { return w.runs }

// finish wakes flushers: an instance ran, or was cancelled.
func (w *Work) finish() { w.done.WakeAll() }

// ungrab gives up the PENDING a grab took once the work is queued again or PENDING cleared:
// other grabbers spinning on -EAGAIN go on.
func (w *Work) ungrab() {
	if w.grabbed {
		w.grabbed = false
		w.done.WakeAll()
	}
}

// busyWith reports whether instance gen is still queued or running: a flush of it is not
// over. Only that instance counts, as the kernel's wq_barrier is linked to it alone.
func (w *Work) busyWith(gen uint64) bool {
	return (w.queued && w.gen == gen) || (w.running != nil && w.runGen == gen)
}

// QueueWork is queue_work: it queues w on wq unless it is already pending, and reports
// whether it did. It may be called from any context.
func QueueWork(p *des.Proc, wq *Workqueue, w *Work) bool {
	point(w, p, wq.evQueue)
	if !w.Use(p, "queue_work") || w.pending || w.canceling > 0 {
		return false
	}
	w.setPending(wq)
	w.noteIRQ(p, wq)
	wq.insert(p, w)
	return true
}

func (w *Work) setPending(wq *Workqueue) {
	w.pending = true
	w.gen++
	w.wq = wq
}

// FlushWork is flush_work: it waits for the last queueing instance of w to finish and
// reports whether it had to wait.
func FlushWork(p *des.Proc, w *Work) bool {
	mightSleep(p, w.label, "flush_work")
	point(w, p, des.L("flush-work"))
	if !w.Use(p, "flush_work") {
		return false
	}
	target, ok := w.flushTarget()
	if !ok {
		return false // already_gone: no barrier, and start_flush_work annotates nothing
	}
	startFlushWork(p, w, false)
	w.done.Wait(p, func() bool { return !w.busyWith(target) })
	return true
}

// flushTarget is the instance a flush waits for: the queued one, else the running one.
func (w *Work) flushTarget() (uint64, bool) {
	switch {
	case w.queued:
		return w.gen, true
	case w.running != nil:
		return w.runGen, true
	}
	return 0, false
}

// startFlushWork is start_flush_work's lockdep annotations, made once the flusher has an
// instance to wait for: touch_work_lockdep_map (the flusher "takes" what the work holds while
// it runs) and, for a flush but not a cancel, touch_wq_lockdep_map on a workqueue with
// saved_max_active == 1, where flushing one item from another of its items deadlocks. (The
// kernel also touches the workqueue's map when it has a rescuer; the model has none.)
func startFlushWork(p *des.Proc, w *Work, fromCancel bool) {
	w.dep.Acquire(p)
	w.dep.Release(p)
	if wq := w.wq; !fromCancel && wq != nil && wq.maxActive == 1 {
		wq.dep.Acquire(p)
		wq.dep.Release(p)
	}
}

// CancelWork is cancel_work: it removes w if pending and reports whether it was. A running
// instance is not waited for.
func CancelWork(p *des.Proc, w *Work) bool {
	point(w, p, des.L("cancel-work"))
	if !w.Use(p, "cancel_work") {
		return false
	}
	was := w.grabPending(p, "cancel_work")
	w.clearPending()
	return was
}

// CancelWorkSync is cancel_work_sync: it removes w if pending and waits for a running
// instance; on return w is neither pending nor executing unless queued again since. It
// reports whether w was pending.
func CancelWorkSync(p *des.Proc, w *Work) bool {
	mightSleep(p, w.label, "cancel_work_sync")
	point(w, p, des.L("cancel-work-sync"))
	if !w.Use(p, "cancel_work_sync") {
		return false
	}
	w.canceling++ // WORK_CANCEL_DISABLE: queue_work fails until the flush below is over
	was := w.grabPending(p, "cancel_work_sync")
	w.clearPending()
	if w.running != nil { // __flush_work(work, true) finds it executing
		startFlushWork(p, w, true)
	}
	w.done.Wait(p, func() bool { return w.running == nil })
	w.canceling--
	return was
}

// grabPending is work_grab_pending: it loops on try_to_grab_pending until the caller owns
// PENDING and reports whether w was pending (taken off its timer or worklist). On return w is
// PENDING on no list and no timer, owned by the caller, who queues it again (mod_delayed_work)
// or clears PENDING (cancel). del_timer is the one scheduling point; everything after it is
// atomic, as try_to_grab_pending runs with interrupts off and the pool lock held. A grab that
// finds PENDING owned by another grab (which has not queued the work again or cleared it yet)
// spins until that one is done, as work_grab_pending retries on -EAGAIN.
//
// A work that a draining workqueue refused is PENDING on no list: try_to_grab_pending returns
// -EAGAIN for it forever and the caller spins with interrupts off (a soft lockup), reported as
// progress; the caller then never returns.
func (w *Work) grabPending(p *des.Proc, caller string) bool {
	for try := 0; ; try++ {
		if try > maxGrabRetries {
			panic(fmt.Sprintf("workqueue: %s of %s: more than %d retries of try_to_grab_pending", caller, w.name, maxGrabRetries))
		}
		if w.grabbed && p != nil { // another grabber owns PENDING: -EAGAIN until it is done
			w.done.Spin(p, func() bool { return !w.grabbed })
			continue
		}
		dw := w.dwork
		if dw == nil || !dw.armed {
			break
		}
		if timer.DelTimer(p, dw.timer) { // del_timer: the timer was pending, PENDING is ours
			dw.armed = false
			w.grabbed = true
			return true
		}
		// Another grabber won the timer during our del_timer (it owns PENDING, or already
		// armed the timer again): try_to_grab_pending's -EAGAIN, retried.
		if w.grabbed || dw.armed {
			continue
		}
		// The callback ran meanwhile: it queued the work (or had it refused), atomically.
		dw.armed = false
		break
	}
	if !w.pending {
		w.pending = true // test_and_set_bit(WORK_STRUCT_PENDING_BIT): ours, it was idle
		w.grabbed = true
		return false
	}
	if w.queued { // on a worklist: steal it
		w.queued = false
		w.wq.remove(w)
		w.grabbed = true
		return true
	}
	// PENDING, on no timer and no list: only a queue_work refused by a draining workqueue
	// leaves a work so.
	s := oracle.Site(w.sim, p, "try_to_grab_pending", caller)
	s.Seq = 0 // the report's own event is the lockup
	w.sim.Violate(p, oracle.Progress, w.label, splat.SoftLockup(fmt.Sprintf(
		"%s: work %s is PENDING on no worklist (a draining workqueue refused it): "+
			"try_to_grab_pending returns -EAGAIN forever", caller, w.name), s))
	if p != nil {
		w.done.Wait(p, func() bool { return false })
	}
	return true
}

// clearPending is set_work_pool_and_clear_pending after a grab: the caller gives up PENDING
// and flushers of the cancelled instance return.
func (w *Work) clearPending() {
	w.pending = false
	w.grabbed = false
	w.finish()
}

// point is a scheduling point for p, or a trace event for set-up code outside processes.
func point(w *Work, p *des.Proc, ev des.Label) {
	if p == nil {
		w.sim.Emit(nil, ev, w.label, 0, 0)
		return
	}
	p.Point(ev, w.label, int64(w.gen), 0)
}

// maxGrabRetries bounds the retries of one grab (each lost a race to another grabber, which
// owns PENDING until it queues the work again: a retry waits for that).
const maxGrabRetries = 1 << 16
