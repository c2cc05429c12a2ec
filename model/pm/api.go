package pm

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/workqueue"
)

const (
	evGetSync = iota
	evGet
	evGetNoresume
	evPut
	evPutSync
	evPutNoidle
	evPutAuto
	evLastBusy
	evEnable
	evDisable
	evAllow
	evForbid
	evBarrier
	evSetAuto
	evSetActive
	evRequestIdle
	evSuspendCb
	evSuspended
	evResumeCb
	evActive
	evWork
	evTimer
	numEv
)

var evNames = [numEv]string{
	"pm_runtime_get_sync", "pm_runtime_get", "pm_runtime_get_noresume", "pm_runtime_put",
	"pm_runtime_put_sync", "pm_runtime_put_noidle", "pm_runtime_put_autosuspend",
	"pm_runtime_mark_last_busy", "pm_runtime_enable", "pm_runtime_disable", "pm_runtime_allow",
	"pm_runtime_forbid", "pm_runtime_barrier", "pm_runtime_use_autosuspend",
	"pm_runtime_set_active", "pm_request_idle",
	"rpm-suspend-callback", "rpm-suspended", "rpm-resume-callback", "rpm-active",
	"pm_runtime_work", "pm_suspend_timer_fn",
}

// point is the spin_lock_irq(&dev->power.lock) every entry point takes: a scheduling point
// before the state is read; what follows up to a callback, a wait or a queue_work is one step.
// p may be nil in set-up code outside any process.
func (r *Runtime) point(p *des.Proc, ev int) {
	if p == nil {
		r.sim.Emit(nil, r.ev[ev], r.label, r.usage, int64(r.status))
		return
	}
	p.Point(r.ev[ev], r.label, r.usage, int64(r.status))
}

// GetSync is pm_runtime_get_sync: take a usage reference and resume synchronously. The
// reference is kept even when the resume fails (use ResumeAndGet to drop it then).
func (r *Runtime) GetSync(p *des.Proc) error {
	r.point(p, evGetSync)
	r.usage++
	return r.resume(p, 0)
}

// ResumeAndGet is pm_runtime_resume_and_get: GetSync that drops the reference on failure.
func (r *Runtime) ResumeAndGet(p *des.Proc) error {
	err := r.GetSync(p)
	if err != nil {
		r.PutNoidle(p)
	}
	return err
}

// Get is pm_runtime_get: take a reference and queue an asynchronous resume.
func (r *Runtime) Get(p *des.Proc) error {
	r.point(p, evGet)
	r.usage++
	return r.resume(p, rpmAsync)
}

// GetNoresume is pm_runtime_get_noresume: take a reference, do not resume.
func (r *Runtime) GetNoresume(p *des.Proc) {
	r.point(p, evGetNoresume)
	r.usage++
}

// Put is pm_runtime_put: drop a reference; at zero queue an idle notification.
func (r *Runtime) Put(p *des.Proc) error {
	r.point(p, evPut)
	if n := r.dropUsage(p, "pm_runtime_put"); n != 0 {
		return dropped(n)
	}
	return r.idle(p, rpmAsync)
}

// RequestIdle is pm_request_idle: queue an idle notification, no usage count change.
func (r *Runtime) RequestIdle(p *des.Proc) {
	r.point(p, evRequestIdle)
	_ = r.idle(p, rpmAsync)
}

// PutSync is pm_runtime_put_sync: drop a reference; at zero run the idle notification (and
// the suspend it leads to) in the caller.
func (r *Runtime) PutSync(p *des.Proc) error {
	r.point(p, evPutSync)
	if n := r.dropUsage(p, "pm_runtime_put_sync"); n != 0 {
		return dropped(n)
	}
	return r.idle(p, 0)
}

// PutAutosuspend is pm_runtime_put_autosuspend: mark the device busy now (v6.17 folds
// pm_runtime_mark_last_busy in), drop a reference, and at zero suspend once the autosuspend
// delay has passed (the suspend timer, then pm_wq).
func (r *Runtime) PutAutosuspend(p *des.Proc) error {
	r.point(p, evPutAuto)
	r.lastBusy = p.Now()
	if n := r.dropUsage(p, "pm_runtime_put_autosuspend"); n != 0 {
		return dropped(n)
	}
	return r.suspend(p, rpmAsync|rpmAuto)
}

// PutNoidle is pm_runtime_put_noidle: drop a reference without an idle check. The kernel's
// atomic_add_unless stops silently at zero; the model reports that put without its get.
func (r *Runtime) PutNoidle(p *des.Proc) {
	r.point(p, evPutNoidle)
	r.dropUsage(p, "pm_runtime_put_noidle")
}

func dropped(n int64) error {
	if n < 0 {
		return ErrInval
	}
	return nil
}

// MarkLastBusy is pm_runtime_mark_last_busy.
func (r *Runtime) MarkLastBusy(p *des.Proc) {
	r.point(p, evLastBusy)
	r.lastBusy = p.Now()
}

// UseAutosuspend is pm_runtime_set_autosuspend_delay plus pm_runtime_use_autosuspend: puts
// that reach zero suspend delay after the last busy mark.
func (r *Runtime) UseAutosuspend(p *des.Proc, delay des.Duration) {
	r.point(p, evSetAuto)
	r.useAuto, r.delay = true, delay
}

// SetActive is pm_runtime_set_active on a disabled device (-EAGAIN if enabled).
func (r *Runtime) SetActive(p *des.Proc) error {
	r.point(p, evSetActive)
	if r.disableDepth == 0 {
		return ErrAgain
	}
	r.status = Active
	r.runtimeError = nil
	return nil
}

// Enable is pm_runtime_enable; an unbalanced one is a dev_warn in the kernel and a panic
// (a model bug) here.
func (r *Runtime) Enable(p *des.Proc) {
	r.point(p, evEnable)
	if r.disableDepth == 0 {
		panic(fmt.Sprintf("pm: %s: Unbalanced pm_runtime_enable!", r.label))
	}
	r.disableDepth--
}

// Disable is pm_runtime_disable: wait for what is in flight (pm_runtime_barrier), then
// stop runtime PM (the status is left as it is).
func (r *Runtime) Disable(p *des.Proc) {
	r.point(p, evDisable)
	if r.disableDepth == 0 {
		r.barrier(p)
	}
	r.disableDepth++
}

// Forbid is pm_runtime_forbid ("on" in power/control): take a reference and resume.
func (r *Runtime) Forbid(p *des.Proc) {
	r.point(p, evForbid)
	if r.forbidden {
		return
	}
	r.forbidden = true
	r.usage++
	_ = r.resume(p, 0)
}

// Allow is pm_runtime_allow ("auto" in power/control): drop Forbid's reference.
func (r *Runtime) Allow(p *des.Proc) {
	r.point(p, evAllow)
	if !r.forbidden {
		return
	}
	r.forbidden = false
	if r.dropUsage(p, "pm_runtime_allow") == 0 {
		_ = r.idle(p, rpmAuto|rpmAsync)
	}
}

// Barrier is pm_runtime_barrier: run a pending resume request now, cancel the other
// requests, and wait for a suspend or resume in progress.
func (r *Runtime) Barrier(p *des.Proc) {
	r.point(p, evBarrier)
	r.usage++
	if r.request == reqResume {
		_ = r.resume(p, 0)
	}
	r.barrier(p)
	r.usage--
}

// barrier is __pm_runtime_barrier.
func (r *Runtime) barrier(p *des.Proc) {
	r.deactivateTimer(p)
	if r.request != reqNone {
		r.request = reqNone
		workqueue.CancelWorkSync(p, r.work)
	}
	r.wait.Wait(p, func() bool { return r.status != Resuming && r.status != Suspending && !r.idling })
}
