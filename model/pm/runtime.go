package pm

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
	"hotplugsim/model/timer"
	"hotplugsim/model/workqueue"
)

// Status is enum rpm_status.
type Status uint8

// Runtime PM states.
const (
	Active Status = iota
	Resuming
	Suspended
	Suspending
)

var statusNames = [...]string{"active", "resuming", "suspended", "suspending"}

func (s Status) String() string { return statusNames[s] }

// Errors the runtime PM core returns.
var (
	ErrAgain      = errors.New("-EAGAIN")
	ErrBusy       = errors.New("-EBUSY")
	ErrAccess     = errors.New("-EACCES")
	ErrInval      = errors.New("-EINVAL")
	ErrInProgress = errors.New("-EINPROGRESS")
)

// Callbacks are the runtime part of struct dev_pm_ops as the PM core finds them (the bus's,
// which call the driver's). Any may be nil: no callback succeeds.
type Callbacks struct {
	Suspend func(p *des.Proc) error // runtime_suspend
	Resume  func(p *des.Proc) error // runtime_resume
	Idle    func(p *des.Proc) error // runtime_idle: 0 lets the core suspend
}

// rpmflags.
type flags uint8

const (
	rpmAsync flags = 1 << iota
	rpmNoWait
	rpmAuto
)

// request is enum rpm_request, in the kernel's order (rpm_check_suspend_allowed compares).
type request uint8

const (
	reqNone request = iota
	reqIdle
	reqSuspend
	reqAutosuspend
	reqResume
)

// Runtime is the runtime PM part of struct dev_pm_info of one device.
type Runtime struct {
	sim          *des.Sim
	label        des.Label
	cb           Callbacks
	usage        int64
	status       Status
	disableDepth int
	runtimeError error
	forbidden    bool // !runtime_auto
	useAuto      bool
	delay        des.Duration
	lastBusy     des.Time
	request      request
	timerExpires des.Time // 0: the suspend timer is not armed
	timerAuto    bool
	idling       bool // idle_notification
	wait         *des.WaitQueue
	work         *workqueue.Work
	timer        *timer.Timer
	ev           [numEv]des.Label
}

var wqKey = des.NewSimKey[workqueue.Workqueue]()

// pmWQ is pm_wq: one freezable unbound workqueue for every device.
func pmWQ(sim *des.Sim) *workqueue.Workqueue {
	return wqKey.Get(sim, func(sim *des.Sim) *workqueue.Workqueue { return workqueue.AllocWorkqueue(sim, "pm", 0) })
}

// Init is pm_runtime_init: suspended, disabled (disable_depth 1), usage count 0, runtime PM
// allowed. Callers then SetActive and Enable, as the bus does (pci_pm_init).
func Init(sim *des.Sim, name string, cb Callbacks) *Runtime {
	r := &Runtime{sim: sim, label: des.L(name), cb: cb, status: Suspended, disableDepth: 1}
	r.wait = des.NewWaitQueue(sim, name+".power.wait_queue")
	r.work = workqueue.InitWorkKey(sim, name+".power.work", "(work_completion)(&dev->power.work)",
		func(p *des.Proc, _ *workqueue.Work) { r.runWork(p) })
	r.timer = timer.TimerSetupKey(sim, name+".power.suspend_timer", "pm_suspend_timer_fn",
		func(p *des.Proc, _ *timer.Timer) { r.timerFn(p) })
	for i := range r.ev {
		r.ev[i] = des.L(evNames[i])
	}
	return r
}

// Name is the device name.
func (r *Runtime) Name() string { return r.label.String() }

// Status is dev->power.runtime_status.
func (r *Runtime) Status() Status { return r.status }

// Suspended reports whether the device is runtime-suspended (pm_runtime_suspended).
func (r *Runtime) Suspended() bool { return r.status == Suspended && r.disableDepth == 0 }

// UsageCount is dev->power.usage_count.
func (r *Runtime) UsageCount() int64 { return r.usage }

// Enabled reports whether runtime PM is enabled (disable_depth 0).
func (r *Runtime) Enabled() bool { return r.disableDepth == 0 }

// RuntimeError is dev->power.runtime_error (a failed callback stops runtime PM until cleared).
func (r *Runtime) RuntimeError() error { return r.runtimeError }

// dropUsage is rpm_drop_usage_count: decrement, or warn and undo below zero. It returns the
// new count, or -1 after an underflow.
func (r *Runtime) dropUsage(p *des.Proc, what string) int64 {
	if r.usage == 0 {
		r.sim.Violate(p, oracle.RuntimePMUnderflow, r.label,
			splat.RuntimePMUnderflow(r.label.String(), what, oracle.Site(r.sim, p, "rpm_drop_usage_count", what)))
		return -1
	}
	r.usage--
	return r.usage
}

// wakeAll is wake_up_all(&dev->power.wait_queue) after a status change.
func (r *Runtime) wakeAll() { r.wait.WakeAll() }

// waitSettled waits until no suspend or resume is in progress (the kernel's loop around
// prepare_to_wait on power.wait_queue, with power.lock dropped).
func (r *Runtime) waitSettled(p *des.Proc) {
	r.wait.Wait(p, func() bool { return r.status != Resuming && r.status != Suspending })
}

func (r *Runtime) callback(p *des.Proc, cb func(*des.Proc) error) error {
	if cb == nil {
		return nil
	}
	err := cb(p)
	if err != nil && err != ErrAgain && err != ErrBusy {
		r.runtimeError = err
	}
	return err
}
