package pm

import (
	"hotplugsim/des"
	"hotplugsim/model/timer"
	"hotplugsim/model/workqueue"
)

// maxRepeat bounds the "goto repeat" loops: each round waits for a status change.
const maxRepeat = 1000

// checkSuspendAllowed is rpm_check_suspend_allowed: done is its 1 (already suspended).
func (r *Runtime) checkSuspendAllowed(f flags) (done bool, err error) {
	switch {
	case r.runtimeError != nil:
		return false, ErrInval
	case r.disableDepth > 0:
		return false, ErrAccess
	case r.usage > 0:
		return false, ErrAgain
	case f&rpmAsync != 0 && r.request > reqSuspend:
		return false, ErrAgain
	case r.status == Suspended:
		return true, nil
	}
	return false, nil
}

// idle is rpm_idle.
func (r *Runtime) idle(p *des.Proc, f flags) error {
	if _, err := r.checkSuspendAllowed(f); err != nil {
		return err
	}
	switch {
	case r.status != Active, r.request > reqIdle:
		return ErrAgain
	case r.idling:
		return ErrInProgress
	}
	r.request = reqNone
	if r.cb.Idle == nil {
		return r.suspend(p, f|rpmAuto)
	}
	if f&rpmAsync != 0 {
		r.queue(p, reqIdle)
		return nil
	}
	r.idling = true
	err := r.cb.Idle(p)
	r.idling = false
	r.wakeAll()
	if err != nil {
		return err
	}
	return r.suspend(p, f|rpmAuto)
}

// suspend is rpm_suspend.
func (r *Runtime) suspend(p *des.Proc, f flags) error {
	for n := 0; n < maxRepeat; n++ {
		done, err := r.checkSuspendAllowed(f)
		if err == nil && r.status == Resuming && f&rpmAsync == 0 {
			err = ErrAgain
		}
		if err != nil || done {
			return err
		}
		if f&rpmAuto != 0 && r.status != Suspending {
			if exp := r.autosuspendExpiration(); exp > 0 {
				r.armTimer(p, exp)
				return nil
			}
		}
		r.cancelPending(p)
		if r.status == Suspending {
			if f&(rpmAsync|rpmNoWait) != 0 {
				return ErrInProgress
			}
			r.waitSettled(p)
			continue
		}
		if f&rpmAsync != 0 {
			r.queue(p, suspendRequest(f))
			return nil
		}
		return r.callSuspend(p)
	}
	panic("pm: rpm_suspend repeated without end")
}

func suspendRequest(f flags) request {
	if f&rpmAuto != 0 {
		return reqAutosuspend
	}
	return reqSuspend
}

func (r *Runtime) callSuspend(p *des.Proc) error {
	r.status = Suspending
	p.Trace(r.ev[evSuspendCb], r.label, 0, 0)
	if err := r.callback(p, r.cb.Suspend); err != nil {
		r.status = Active
		r.wakeAll()
		return err
	}
	r.status = Suspended
	p.Trace(r.ev[evSuspended], r.label, 0, 0)
	r.wakeAll()
	return nil
}

// resume is rpm_resume.
func (r *Runtime) resume(p *des.Proc, f flags) error {
	for n := 0; n < maxRepeat; n++ {
		switch {
		case r.runtimeError != nil:
			return ErrInval
		case r.disableDepth > 0 && r.status == Active:
			return nil
		case r.disableDepth > 0:
			return ErrAccess
		}
		r.request = reqNone
		if !r.timerAuto {
			r.deactivateTimer(p)
		}
		switch {
		case r.status == Active:
			return nil
		case r.status == Resuming || r.status == Suspending:
			if f&(rpmAsync|rpmNoWait) != 0 {
				return ErrInProgress
			}
			r.waitSettled(p)
			continue
		case f&rpmAsync != 0:
			r.queue(p, reqResume)
			return nil
		}
		return r.callResume(p)
	}
	panic("pm: rpm_resume repeated without end")
}

func (r *Runtime) callResume(p *des.Proc) error {
	r.status = Resuming
	p.Trace(r.ev[evResumeCb], r.label, 0, 0)
	if err := r.callback(p, r.cb.Resume); err != nil {
		r.status = Suspended
		r.cancelPending(p)
		r.wakeAll()
		return err
	}
	r.status = Active
	p.Trace(r.ev[evActive], r.label, 0, 0)
	r.wakeAll()
	_ = r.idle(p, rpmAsync)
	return nil
}

// autosuspendExpiration is pm_runtime_autosuspend_expiration: the time the autosuspend delay
// ends, or 0 if it has ended or autosuspend is not in use.
func (r *Runtime) autosuspendExpiration() des.Time {
	if !r.useAuto || r.delay < 0 {
		return 0
	}
	exp := r.lastBusy.Add(r.delay)
	if exp <= r.sim.Now() {
		return 0
	}
	return exp
}

// armTimer starts the suspend timer at exp unless it is due earlier already.
func (r *Runtime) armTimer(p *des.Proc, exp des.Time) {
	if r.timerExpires == 0 || r.timerExpires > exp {
		r.timerExpires = exp
		timer.ModTimer(p, r.timer, exp)
	}
	r.timerAuto = true
}

func (r *Runtime) deactivateTimer(p *des.Proc) {
	if r.timerExpires != 0 {
		r.timerExpires = 0
		timer.DelTimer(p, r.timer)
	}
	r.timerAuto = false
}

// cancelPending is pm_runtime_cancel_pending: stop the timer, forget the queued request (the
// work item may still run and find none).
func (r *Runtime) cancelPending(p *des.Proc) {
	r.deactivateTimer(p)
	r.request = reqNone
}

// queue records req and queues dev->power.work on pm_wq.
func (r *Runtime) queue(p *des.Proc, req request) {
	r.request = req
	workqueue.QueueWork(p, pmWQ(r.sim), r.work)
}

// runWork is pm_runtime_work.
func (r *Runtime) runWork(p *des.Proc) {
	p.Point(r.ev[evWork], r.label, int64(r.request), 0)
	req := r.request
	r.request = reqNone
	switch req {
	case reqIdle:
		_ = r.idle(p, rpmNoWait)
	case reqSuspend:
		_ = r.suspend(p, rpmNoWait)
	case reqAutosuspend:
		_ = r.suspend(p, rpmNoWait|rpmAuto)
	case reqResume:
		_ = r.resume(p, rpmNoWait)
	}
}

// timerFn is pm_suspend_timer_fn.
func (r *Runtime) timerFn(p *des.Proc) {
	p.Point(r.ev[evTimer], r.label, int64(r.timerExpires), 0)
	exp := r.timerExpires
	if exp == 0 || exp > p.Now() {
		return
	}
	r.timerExpires = 0
	f := rpmAsync
	if r.timerAuto {
		f |= rpmAuto
	}
	_ = r.suspend(p, f)
}
