package workqueue

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// Bounds on what one workqueue holds and does.
const (
	MaxWorkers     = 16      // cap on max_active (worker processes per workqueue)
	MaxQueued      = 4096    // items queued at once
	maxItemsWorker = 1 << 24 // items one worker runs in a run
	maxDrainLoops  = 1000    // drain_workqueue's flush passes
)

// Workqueue is struct workqueue_struct with its one worker pool.
type Workqueue struct {
	kasan.Obj
	sim       *des.Sim
	name      string
	label     des.Label
	maxActive int
	ordered   bool
	dep       *lock.Map // wq->lockdep_map

	worklist  []*Work // queued, in order
	workers   []*worker
	busy      int    // workers executing an item
	tickets   uint64 // insertion counter (flush_workqueue's colour)
	lost      []*Work
	drainers  int // nr_drainers: __WQ_DRAINING while non-zero
	destroyed bool
	more      *des.WaitQueue // workers wait for items
	progress  *des.WaitQueue // flushers wait for items to finish

	evQueue, evExec, evDone, evFlush, evCancel, evDrop des.Label
	rec                                                *metrics.Recorder // nil: metrics off

	// oldestFn, checkFn and useWhat are wq.oldestRunner, wq.checkQuiesced and the name
	// insert's Use reports, kept by a recycled Workqueue (the functions bind its address).
	oldestFn func() *des.Proc
	checkFn  func()
}

var (
	workqueues = des.NewSlabKey[Workqueue]()
	workers    = des.NewSlabKey[worker]()
)

// Recycle keeps the lists' capacity and the method values (des.Recycler).
func (wq *Workqueue) Recycle() {
	clear(wq.worklist[:cap(wq.worklist)])
	clear(wq.workers[:cap(wq.workers)])
	clear(wq.lost[:cap(wq.lost)])
	*wq = Workqueue{worklist: wq.worklist[:0], workers: wq.workers[:0], lost: wq.lost[:0],
		oldestFn: wq.oldestFn, checkFn: wq.checkFn}
}

// Recycle keeps the worker's body, which reads the worker's own fields (des.Recycler).
func (wk *worker) Recycle() { *wk = worker{loopFn: wk.loopFn} }

type worker struct {
	wq     *Workqueue
	loopFn func(p *des.Proc) // wk.wq.workerLoop(p, wk)
	p      *des.Proc
	cur    *Work
	ticket uint64 // cur's position when dequeued (worker->current_color): a re-queue moves w.ticket
}

// AllocWorkqueue is alloc_workqueue(name, 0, maxActive); maxActive 0 means the default,
// which the model caps at MaxWorkers.
func AllocWorkqueue(sim *des.Sim, name string, maxActive int) *Workqueue {
	if maxActive <= 0 || maxActive > MaxWorkers {
		maxActive = MaxWorkers
	}
	return alloc(sim, name, maxActive, false)
}

// AllocOrderedWorkqueue is alloc_ordered_workqueue: one item at a time, in queueing order.
func AllocOrderedWorkqueue(sim *des.Sim, name string) *Workqueue {
	return alloc(sim, name, 1, true)
}

func alloc(sim *des.Sim, name string, maxActive int, ordered bool) *Workqueue {
	if sim == nil || name == "" {
		panic("workqueue: alloc needs a sim and a name")
	}
	wq := workqueues.New(sim)
	full := des.Join(sim, "wq:", name)
	wq.sim, wq.name, wq.label, wq.maxActive, wq.ordered = sim, name, des.L(full), maxActive, ordered
	wq.rec = metrics.Of(sim)
	if wq.oldestFn == nil {
		wq.oldestFn, wq.checkFn = wq.oldestRunner, wq.checkQuiesced
	}
	wq.Alloc(sim, sim.Current(), full)
	wq.dep = lock.NewMap(sim, des.Join(sim, "(wq_completion)", name))
	wq.more = des.NewWaitQueue(sim, des.Join(sim, "wq-worklist:", name))
	wq.progress = des.NewWaitQueue(sim, des.Join(sim, "wq-flush:", name))
	wq.progress.SetOwner(wq.oldestFn)
	wq.evQueue, wq.evExec, wq.evDone = des.L("queue-work"), des.L("work-exec"), des.L("work-done")
	wq.evFlush, wq.evCancel, wq.evDrop = des.L("flush-work"), des.L("cancel-work"), des.L("queue-on-draining")
	sim.AtQuiesce(wq.checkFn)
	return wq
}

// Name is the workqueue's name.
func (wq *Workqueue) Name() string { return wq.name }

// MaxActive is the workqueue's max_active.
func (wq *Workqueue) MaxActive() int { return wq.maxActive }

// Queued is the number of items waiting to run.
func (wq *Workqueue) Queued() int { return len(wq.worklist) }

// insert puts w on the worklist (the tail of __queue_work). It reports whether w was queued;
// a workqueue that is draining accepts only chained work, as the kernel does.
func (wq *Workqueue) insert(p *des.Proc, w *Work) bool {
	if !wq.Use(p, des.Join(wq.sim, "queue_work on ", wq.name)) {
		return false
	}
	if wq.drainers > 0 && !wq.isChained(p) {
		// WARN_ON_ONCE(!is_chained_work(wq)): the item stays PENDING and never runs.
		wq.lost = append(wq.lost, w)
		wq.sim.Emit(p, wq.evDrop, w.label, 0, 0)
		return false
	}
	if len(wq.worklist) >= MaxQueued {
		panic(fmt.Sprintf("workqueue %s: more than %d items queued", wq.name, MaxQueued))
	}
	wq.tickets++
	w.ticket = wq.tickets
	w.queued = true
	wq.worklist = append(wq.worklist, w)
	wq.wakeWorker()
	return true
}

// remove takes w off the worklist (try_to_grab_pending's list_del_init); false if not there.
func (wq *Workqueue) remove(w *Work) bool {
	for i, x := range wq.worklist {
		if x == w {
			wq.worklist = append(wq.worklist[:i], wq.worklist[i+1:]...)
			wq.progress.WakeAll()
			return true
		}
	}
	return false
}

// isChained is is_chained_work: p is a worker of wq running an item.
func (wq *Workqueue) isChained(p *des.Proc) bool {
	for _, wk := range wq.workers {
		if wk.p == p && wk.cur != nil {
			return true
		}
	}
	return false
}

// wakeWorker wakes an idle worker or starts one, up to max_active.
func (wq *Workqueue) wakeWorker() {
	if idle := len(wq.workers) - wq.busy; idle < len(wq.worklist) && len(wq.workers) < wq.maxActive {
		sim := wq.sim
		wk := workers.New(sim)
		wk.wq = wq
		if wk.loopFn == nil {
			wk.loopFn = func(p *des.Proc) { wk.wq.workerLoop(p, wk) }
		}
		name := des.JoinN(sim, des.Join(sim, des.Join(sim, "kworker/", wq.name), ":"), uint64(len(wq.workers)))
		wk.p = sim.Spawn(name, des.Worker, wk.loopFn).SetDaemon()
		wq.workers = append(wq.workers, wk)
	}
	wq.more.WakeAll()
}

// next returns the index of the first queued item not running on another worker, or -1.
func (wq *Workqueue) next() int {
	for i, w := range wq.worklist {
		if w.running == nil {
			return i
		}
	}
	return -1
}

// workerLoop is worker_thread: wait for an item, run it, repeat.
func (wq *Workqueue) workerLoop(p *des.Proc, wk *worker) {
	for i := 0; i < maxItemsWorker; i++ {
		stop := wq.more.WaitStop(p, func() bool { return wq.destroyed || wq.next() >= 0 })
		if stop || wq.destroyed {
			return
		}
		idx := wq.next()
		w := wq.worklist[idx]
		wq.worklist = append(wq.worklist[:idx], wq.worklist[idx+1:]...)
		w.queued = false
		w.running, w.runGen = p, w.gen // current_work, set with the dequeue under pool->lock
		w.pending = false              // set_work_pool_and_clear_pending, under the same lock
		wq.busy++
		wk.cur, wk.ticket = w, w.ticket
		wq.processOneWork(p, w)
		wk.cur = nil
		wq.busy--
		wq.progress.WakeAll()
		wq.more.WakeAll() // an item skipped because it was running may be eligible now
	}
}

// processOneWork is process_one_work (PENDING was cleared with the dequeue): run the function with the
// workqueue's and the work's lockdep maps held. The function may free the work item, so the
// worker touches nothing of it afterwards but the model's bookkeeping.
func (wq *Workqueue) processOneWork(p *des.Proc, w *Work) {
	wq.observeIRQWork(w)
	p.Point(wq.evExec, w.label, int64(w.ticket), 0)
	gen := w.runGen
	if !w.Use(p, "process_one_work") {
		w.running = nil
		w.finish()
		return
	}
	depth := len(lock.Held(p))
	wq.dep.Acquire(p)
	w.dep.Acquire(p)
	w.fn(p, w)
	w.dep.Release(p)
	wq.dep.Release(p)
	checkLeak(p, w, depth)
	w.running = nil
	w.runs++
	w.finish()
	p.Trace(wq.evDone, w.label, int64(gen), 0)
}

// checkLeak is process_one_work's check after the function returns: a function that leaves
// a lock held or atomic context entered is a bug the kernel prints (and lockdep then blames on
// the next item the worker runs).
func checkLeak(p *des.Proc, w *Work, depth int) {
	held := lock.Held(p)
	if !p.InAtomic() && len(held) == depth {
		return
	}
	preempt := 0
	if p.InAtomic() {
		preempt = 1
	}
	p.Sim().Violate(p, oracle.LockOrder, w.label, splat.WorkqueueLeak(splat.WorkqueueLeakReport{
		Comm: p.Name(), PID: p.ID(), Preempt: preempt, LocksFrom: depth, LocksTo: len(held),
		WorkFn: w.name, HeldLocks: lock.HeldLocks(p)}))
}

// oldestRunner is who a flush_workqueue waits for, for the deadlock report.
func (wq *Workqueue) oldestRunner() *des.Proc {
	for _, wk := range wq.workers {
		if wk.cur != nil {
			return wk.p
		}
	}
	return nil
}

// outstanding reports whether an item inserted at or before ticket is queued or running.
func (wq *Workqueue) outstanding(ticket uint64) bool {
	for _, w := range wq.worklist {
		if w.ticket <= ticket {
			return true
		}
	}
	for _, wk := range wq.workers {
		if wk.cur != nil && wk.ticket <= ticket {
			return true
		}
	}
	return false
}

// FlushWorkqueue is flush_workqueue: it waits until every item queued before the call ran.
func FlushWorkqueue(p *des.Proc, wq *Workqueue) {
	mightSleep(p, wq.label, "flush_workqueue")
	wq.dep.Acquire(p)
	wq.dep.Release(p)
	p.Point(wq.evFlush, wq.label, 0, 0)
	if !wq.Use(p, "flush_workqueue") {
		return
	}
	target := wq.tickets
	wq.progress.Wait(p, func() bool { return !wq.outstanding(target) })
}

// DrainWorkqueue is drain_workqueue: flush until empty; meanwhile only chained work (queued
// by the workqueue's own items) is accepted.
func DrainWorkqueue(p *des.Proc, wq *Workqueue) {
	wq.drainers++
	defer func() { wq.drainers-- }()
	for i := 0; i < maxDrainLoops; i++ {
		FlushWorkqueue(p, wq)
		if wq.idle() {
			return
		}
	}
	wq.sim.Violate(p, oracle.Progress, wq.label,
		splat.DrainIncomplete(wq.name, maxDrainLoops, oracle.Site(wq.sim, p, "drain_workqueue")))
}

func (wq *Workqueue) idle() bool { return len(wq.worklist) == 0 && wq.busy == 0 }

// DestroyWorkqueue is destroy_workqueue: drain, stop the workers, free the workqueue.
// Queueing on it afterwards is a use-after-free. A workqueue still busy after the drain is
// the kernel's WARN, and it is left as it is (destroy_workqueue returns).
func DestroyWorkqueue(p *des.Proc, wq *Workqueue) {
	DrainWorkqueue(p, wq)
	if !wq.idle() {
		wq.reportBusy(p)
		return
	}
	wq.destroyed = true
	wq.more.WakeAll()
	wq.Free(p)
}

// checkQuiesced reports work that was queued but will never run, and work that never
// finished running.
func (wq *Workqueue) checkQuiesced() {
	for _, w := range wq.worklist {
		wq.reportLockup(w, "queued on "+wq.name+" and never ran")
	}
	for _, w := range wq.lost {
		if w.pending && !w.Freed() {
			wq.reportLockup(w, "queued on "+wq.name+" while it was draining (WARN in __queue_work): pending forever")
		}
	}
	for _, wk := range wq.workers {
		if wk.cur != nil {
			wq.reportHung(wk)
		}
	}
}

// reportBusy is destroy_workqueue's WARN_ON(pwq_busy(pwq)) (oracle.Warn's kind, a panic).
func (wq *Workqueue) reportBusy(p *des.Proc) {
	pending, inFlight := wq.busyWorks()
	s := oracle.Site(wq.sim, p, "destroy_workqueue")
	s.Seq = 0
	wq.sim.Violate(p, oracle.Panic, wq.label, splat.DestroyBusy(wq.name, pending, inFlight, s))
}

// busyWorks is show_pwq's lists: the works queued on wq, and those running ("pid:fn").
func (wq *Workqueue) busyWorks() (pending, inFlight []string) {
	for _, w := range wq.worklist {
		pending = append(pending, w.name)
	}
	for _, wk := range wq.workers {
		if wk.cur != nil {
			inFlight = append(inFlight, fmt.Sprintf("%d:%s", wk.p.ID(), wk.cur.name))
		}
	}
	return pending, inFlight
}

// reportLockup is the workqueue watchdog's lockup report for w, queued and never run (a
// progress violation: the run quiesced with it pending).
func (wq *Workqueue) reportLockup(w *Work, what string) {
	pending, inFlight := wq.busyWorks()
	wq.sim.Violate(nil, oracle.Progress, w.label,
		splat.WorkqueueLockup(wq.name, pending, inFlight, fmt.Sprintf("work %s %s", w.name, what)))
}

// reportHung is the hung-task report for wk, whose work never finished: the run quiesced
// with it blocked.
func (wq *Workqueue) reportHung(wk *worker) {
	w := wk.cur
	s := oracle.Site(wq.sim, wk.p, w.name, "process_one_work", "worker_thread")
	s.Seq = 0 // the report is made at quiesce, no event of the worker's to cite
	wq.sim.Violate(nil, oracle.Progress, w.label, splat.HungTask(wq.name+" "+w.name,
		fmt.Sprintf("work %s still executing on %v: it never finished", w.name, wk.p), s, lock.HeldLocks(wk.p)))
}

// mightSleep is might_sleep() for the flush and cancel paths.
func mightSleep(p *des.Proc, obj des.Label, what string) {
	if p.InAtomic() {
		p.Sim().Violate(p, oracle.LockOrder, obj, des.MightSleepSplat(p, "kernel/workqueue.c", what+" on "+obj.String(), ""))
	}
}

var systemKey = des.NewSimKey[Workqueue]()

// SystemWQ is system_wq, the per-simulation workqueue schedule_work uses.
func SystemWQ(sim *des.Sim) *Workqueue {
	return systemKey.Get(sim, func(sim *des.Sim) *Workqueue { return AllocWorkqueue(sim, "events", 0) })
}

// ScheduleWork is schedule_work: QueueWork on SystemWQ.
func ScheduleWork(p *des.Proc, w *Work) bool { return QueueWork(p, SystemWQ(w.sim), w) }
