package timer

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/internal/heap"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
)

// Callback is the timer function; it runs in softirq context (a des.Timer process).
type Callback func(p *des.Proc, t *Timer)

// maxRefire bounds how often one callback process runs its timer again back to back.
const maxRefire = 1 << 16

// Timer is struct timer_list. It has a KASAN lifetime: free it (t.Free) with the object that
// embeds it; a freed timer that is armed or expires is a use-after-free.
type Timer struct {
	kasan.Obj
	sim     *des.Sim
	w       *wheel
	name    string
	label   des.Label
	fn      Callback
	dep     *lock.Map // lockdep map of the callback (timer->lockdep_map)
	expires des.Time
	handle  heap.Handle // in the wheel while armed
	armed   bool        // in the wheel, waiting for its expiry
	due     bool        // expired, its callback not started: still pending, as on the base's expiry list
	softirq *des.Proc   // the callback process from its spawn to its end
	running *des.Proc   // the callback process while it runs the callback (base->running_timer)
	dead    bool        // shut down: timer->function is NULL, arming it is a silent no-op
	idle    *des.WaitQueue
	fired   int

	evMod, evDel, evDelSync, evFire des.Label
	runFn                           func(*des.Proc) // t.run, made once per Timer
}

// TimerSetup is timer_setup: it makes a timer named name that calls fn when it expires. Its
// lockdep map is a class of its own; see TimerSetupKey.
func TimerSetup(sim *des.Sim, name string, fn Callback) *Timer {
	return TimerSetupKey(sim, name, name, fn)
}

// TimerSetupKey is TimerSetup with the lockdep class of the timer's lockdep_map named by key
// ("timer:"+key): timer_setup keys it by its call site, so the same timer of every device
// shares one class.
func TimerSetupKey(sim *des.Sim, name, key string, fn Callback) *Timer {
	if sim == nil || name == "" || key == "" || fn == nil {
		panic("timer: TimerSetup needs a sim, a name, a key and a callback")
	}
	t := timers.New(sim)
	full := des.Join(sim, "timer:", name)
	t.sim, t.w, t.name, t.label, t.fn = sim, wheelOf(sim), name, des.L(full), fn
	t.Alloc(sim, sim.Current(), full)
	t.dep = lock.NewMap(sim, des.Join(sim, "timer:", key))
	t.idle = des.NewWaitQueue(sim, des.Join(sim, "timer-running:", name))
	t.idle.SetHolder((*runningTimer)(t))
	t.evMod, t.evDel, t.evDelSync, t.evFire = des.L("mod-timer"), des.L("del-timer"), des.L("del-timer-sync"), des.L("timer-fire")
	return t
}

// Name is the timer's name.
func (t *Timer) Name() string { return t.name }

// Pending is timer_pending: armed and its callback not started yet. A timer that expired is
// pending until its callback starts, as the kernel's is until expire_timers detaches it.
func (t *Timer) Pending() bool { return t.armed || t.due }

// Running reports whether the callback is running now.
func (t *Timer) Running() bool { return t.running != nil }

// Expires is the expiry of the last arming.
func (t *Timer) Expires() des.Time { return t.expires }

// Fired is how many times the callback ran.
func (t *Timer) Fired() int { return t.fired }

// ModTimer is mod_timer: it (re)arms t to expire at expires and reports whether t was pending.
// p may be nil for set-up code outside any process. A shut-down timer stays disarmed.
func ModTimer(p *des.Proc, t *Timer, expires des.Time) bool {
	point(t, p, t.evMod, int64(expires))
	if !t.Use(p, "mod_timer") || t.dead {
		return false // a shut-down timer is not re-armed, and __mod_timer returns 0
	}
	was := t.detach()
	t.expires = expires
	t.armed = true
	t.handle = t.w.add(t, expires)
	return was
}

// DelTimer is del_timer (timer_delete): it disarms t and reports whether it was pending (an
// expired callback that has not started does not run). The callback may still be running on
// return.
func DelTimer(p *des.Proc, t *Timer) bool {
	point(t, p, t.evDel, 0)
	if !t.Use(p, "del_timer") {
		return false
	}
	return t.detach()
}

// DelTimerSync is del_timer_sync (timer_delete_sync): it waits for a running callback, then
// disarms t and reports whether it was pending. On return the callback is neither pending,
// nor running, nor about to run (an expired callback that has not started never does). The
// caller must keep the timer from being re-armed. Calling it in hard-irq context is a WARN.
func DelTimerSync(p *des.Proc, t *Timer) bool {
	return t.deleteSync(p, false, "del_timer_sync")
}

// TimerShutdown is timer_shutdown (v6.2): DelTimer that also shuts t down, so that every later
// ModTimer, the callback's own included, is silently ignored. It does not wait for the callback.
func TimerShutdown(p *des.Proc, t *Timer) bool {
	point(t, p, t.evDel, 1)
	if !t.Use(p, "timer_shutdown") {
		return false
	}
	t.dead = true
	return t.detach()
}

// TimerShutdownSync is timer_shutdown_sync (v6.2): DelTimerSync that shuts t down first, so a
// callback that re-arms itself cannot keep it alive; on return t is neither pending nor running
// and can never be armed again. Its lockdep and hard-irq rules are DelTimerSync's.
func TimerShutdownSync(p *des.Proc, t *Timer) bool {
	return t.deleteSync(p, true, "timer_shutdown_sync")
}

// deleteSync is __timer_delete_sync: __try_to_del_timer_sync fails while base->running_timer
// is t (and sets timer->function = NULL on each try if shutdown), so wait for the callback,
// then detach what is pending; no scheduling point in between.
func (t *Timer) deleteSync(p *des.Proc, shutdown bool, what string) bool {
	if !t.Use(p, what) {
		return false
	}
	t.dep.Acquire(p) // lockdep: we wait for the callback, which holds this map
	t.dep.Release(p)
	if p != nil && p.Kind() == des.IRQ {
		warn(t, p, "__timer_delete_sync", "WARN_ON(in_hardirq() && !(timer->flags & TIMER_IRQSAFE)) in "+what)
	}
	if shutdown {
		t.dead = true // on the first try: a callback running now can no longer re-arm t
	}
	point(t, p, t.evDelSync, 0)
	t.idle.Spin(p, func() bool { return t.running == nil })
	return t.detach()
}

// detach is detach_if_pending: take t off the wheel, or off the expiry list if it expired
// and its callback has not started (the callback process then finds nothing to run).
func (t *Timer) detach() bool {
	was := t.due
	t.due = false
	if t.armed {
		t.w.cancel(t.handle)
		t.handle = heap.Handle{}
		t.armed = false
		was = true
	}
	return was
}

// expire is called by the wheel when t's expiry is reached: t moves to the expiry list and
// the callback process runs it, or runs it again when it is running now.
func (t *Timer) expire() {
	t.armed = false
	t.handle = heap.Handle{}
	t.due = true
	if t.softirq == nil {
		if t.runFn == nil {
			t.runFn = t.run
		}
		t.softirq = t.sim.Spawn(des.Join(t.sim, "timer/", t.name), des.Timer, t.runFn)
	}
}

// timers are the Timers a sweep worker reuses run after run (des.SlabKey).
var timers = des.NewSlabKey[Timer]()

// Recycle keeps a reused Timer's callback body, bound to it (des.Recycler).
func (t *Timer) Recycle() { *t = Timer{runFn: t.runFn} }

// runningTimer is a Timer as its idle queue's des.Holder.
type runningTimer Timer

func (t *runningTimer) Owner() *des.Proc { return t.running }

// run is the callback process: call_timer_fn while t is due (expired and not deleted since),
// again while it expired meanwhile. A timer deleted before its callback started is not touched.
// Between two runs base->running_timer is NULL and the base lock is free (the re-armed timer
// runs in a later softirq pass), so del_timer_sync, del_timer and mod_timer may get in there.
func (t *Timer) run(p *des.Proc) {
	defer t.stopped(p)
	p.Point(t.evFire, t.label, 0, 0)
	for i := 0; i < maxRefire && t.due; i++ { // !due: del_timer / mod_timer took it off
		if t.dead {
			return // shut down while it ran: expire_timers skips a NULL timer->function
		}
		if !t.Use(p, "call_timer_fn") {
			return
		}
		t.call(p)
		if !t.due {
			return
		}
		t.running = nil // expire_timers: base->running_timer = NULL, base lock dropped
		t.idle.WakeAll()
		p.Point(t.evFire, t.label, 0, 0)
	}
}

// call is expire_timers' detach_timer and running_timer = t, then call_timer_fn.
func (t *Timer) call(p *des.Proc) {
	t.due = false
	t.running = p
	t.fired++
	t.dep.Acquire(p)
	t.fn(p, t)
	t.dep.Release(p)
}

// stopped runs when the callback process ends, also when the callback panicked.
func (t *Timer) stopped(p *des.Proc) {
	if t.softirq == p {
		t.softirq = nil
	}
	t.running = nil
	t.due = false
	t.idle.WakeAll()
}

// warn is the kernel's WARN_ON in fn of kernel/time/timer.c (oracle.Warn: a panic, as with
// panic_on_warn), as model/fence and model/dmabuf report theirs.
func warn(t *Timer, p *des.Proc, fn, msg string) {
	oracle.Warn(t.sim, p, t.label, "kernel/time/timer.c", fn, msg+" of "+t.String())
}

func point(t *Timer, p *des.Proc, ev des.Label, a int64) {
	if p == nil {
		t.sim.Emit(nil, ev, t.label, a, 0)
		return
	}
	p.Point(ev, t.label, a, 0)
}

func (t *Timer) String() string { return fmt.Sprintf("timer:%s", t.name) }
