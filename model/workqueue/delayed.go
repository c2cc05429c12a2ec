package workqueue

import (
	"hotplugsim/des"
	"hotplugsim/model/timer"
)

// DelayedWork is struct delayed_work: a work item and the timer that queues it.
type DelayedWork struct {
	Work
	timer *timer.Timer
	armed bool // the timer is set to queue this pending instance

	timerFnV timer.Callback // dw.timerFn
}

// Recycle keeps a reused DelayedWork's timer callback, bound to it (des.Recycler).
func (dw *DelayedWork) Recycle() { *dw = DelayedWork{timerFnV: dw.timerFnV} }

// InitDelayedWork is INIT_DELAYED_WORK.
func InitDelayedWork(sim *des.Sim, name string, fn Func) *DelayedWork {
	return InitDelayedWorkKey(sim, name, name, fn)
}

// InitDelayedWorkKey is InitDelayedWork with the lockdep classes of the work and its timer named
// by key (INIT_DELAYED_WORK keys both by its call site; see InitWorkKey).
func InitDelayedWorkKey(sim *des.Sim, name, key string, fn Func) *DelayedWork {
	dw := delayedWorks.New(sim)
	dw.init(sim, name, key, fn)
	dw.dwork = dw
	if dw.timerFnV == nil {
		dw.timerFnV = dw.timerFn // made once per DelayedWork, which a sweep worker reuses
	}
	dw.timer = timer.TimerSetupKey(sim, des.Join(sim, "dwork:", name), des.Join(sim, "dwork:", key), dw.timerFnV)
	return dw
}

// timerFn is delayed_work_timer_fn: queue the work on the workqueue it was armed for.
func (dw *DelayedWork) timerFn(p *des.Proc, _ *timer.Timer) {
	if !dw.armed || !dw.Use(p, "delayed_work_timer_fn") {
		return
	}
	dw.armed = false
	dw.wq.insert(p, &dw.Work)
}

func (dw *DelayedWork) arm(p *des.Proc, wq *Workqueue, delay des.Duration) {
	if delay <= 0 {
		wq.insert(p, &dw.Work)
		return
	}
	dw.armed = true
	timer.ModTimer(p, dw.timer, dw.sim.Now().Add(delay))
}

// Armed reports whether the item waits on its timer.
func (dw *DelayedWork) Armed() bool { return dw.armed }

// QueueDelayedWork is queue_delayed_work: it queues dw on wq after delay unless it is
// already pending, and reports whether it did.
func QueueDelayedWork(p *des.Proc, wq *Workqueue, dw *DelayedWork, delay des.Duration) bool {
	point(&dw.Work, p, wq.evQueue)
	if !dw.Use(p, "queue_delayed_work") || dw.pending || dw.canceling > 0 {
		return false
	}
	dw.setPending(wq)
	dw.noteIRQ(p, wq)
	dw.arm(p, wq, delay)
	return true
}

// ModDelayedWork is mod_delayed_work: it (re)queues dw on wq after delay whether or not it
// was pending, and reports whether it was. It fails while the work is being cancelled.
func ModDelayedWork(p *des.Proc, wq *Workqueue, dw *DelayedWork, delay des.Duration) bool {
	point(&dw.Work, p, wq.evQueue)
	if !dw.Use(p, "mod_delayed_work") || dw.canceling > 0 {
		return false
	}
	was := dw.grabPending(p, "mod_delayed_work") // PENDING is ours: queue the new instance
	dw.setPending(wq)
	dw.noteIRQ(p, wq)
	dw.arm(p, wq, delay)
	dw.ungrab()
	return was
}

// CancelDelayedWork is cancel_delayed_work: no wait for a running instance.
func CancelDelayedWork(p *des.Proc, dw *DelayedWork) bool { return CancelWork(p, &dw.Work) }

// CancelDelayedWorkSync is cancel_delayed_work_sync.
func CancelDelayedWorkSync(p *des.Proc, dw *DelayedWork) bool { return CancelWorkSync(p, &dw.Work) }

// FlushDelayedWork is flush_delayed_work: queue an armed item now (del_timer_sync, then
// __queue_work, which a draining workqueue may refuse), then flush it.
func FlushDelayedWork(p *des.Proc, dw *DelayedWork) bool {
	if dw.armed && timer.DelTimerSync(p, dw.timer) {
		dw.armed = false
		dw.wq.insert(p, &dw.Work)
	}
	return FlushWork(p, &dw.Work)
}
