package des

import (
	"errors"
	"fmt"
	"runtime/debug"

	"hotplugsim/model/splat"
)

// Kind is the execution context a process models.
type Kind uint8

const (
	// Task is process context: it may sleep and block.
	Task Kind = iota
	// IRQ is hard interrupt context: sleeping or blocking there is a violation.
	IRQ
	// Worker is a workqueue worker thread (process context).
	Worker
	// Timer is a timer softirq (atomic: it may not sleep).
	Timer
)

func (k Kind) String() string {
	switch k {
	case Task:
		return "task"
	case IRQ:
		return "irq"
	case Worker:
		return "worker"
	case Timer:
		return "timer"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

type procState uint8

const (
	stReady     procState = iota // in the ready list
	stRunning                    // picked; its code runs now (or will when its chain unwinds)
	stSleeping                   // in the timer heap
	stPreempted                  // descheduled by the strategy for a while
	stBlocked                    // on a wait queue
	stDone                       // body returned, panicked or was killed
)

// errKilled unwinds a process body when the run ends under it.
var errKilled = errors.New("des: process killed at end of run")

// Proc is a simulated thread of control: a task, an irq handler, a worker or a timer. Its body
// runs as a coroutine; exactly one process runs at a time, and it runs until it reaches a
// scheduling point (Yield, Point, Sleep, a wait).
type Proc struct {
	sim    *Sim
	id     int32
	name   Label
	kind   Kind
	daemon bool
	// atomicCtx: an irq or timer, which may never sleep. It also counts as one level of
	// atomic, so that might_sleep, on every sleep and wait, tests one field.
	atomicCtx bool
	// hard: its timing is the hardware's (a device, an interrupt, a timer's expiry); once
	// runnable it runs before virtual time moves on. A soft process (CPU work, a sleep, a
	// worker) may be kept waiting by the strategy, up to Config.DelayBound.
	hard  bool
	state procState
	body  func(*Proc)

	c       *carrier // the coroutine its body runs on (nil before its first step and after it ends)
	yield   func(struct{}) bool
	inChain bool // its coroutine is running or suspended inside a nested resume

	tidx      int32      // position+1 in the timer queue while a wake-up is pending, else 0
	waitOn    *WaitQueue // the queue it is blocked on
	blockedAt Time
	readyAt   Time // when it last became runnable
	unbounded bool // blocked without a timeout: subject to the hang check
	idleWait  bool // blocked in WaitIdle: waiting for work, not for progress
	stoppable bool // blocked in WaitStop or WaitIdleStop: the end of the run returns it
	timedOut  bool
	atomic    int // spinlocks held / preemption disabled depth, plus 1 in an irq or timer
	exitQ     *WaitQueue
	locals    locals
	lastEv    uint32 // label id of the kind of its last trace event (0: none yet)
	prio      int64  // its PCT priority (set by pct.Spawned)
	winLeft   int32  // waiting moments before its SleepRange fires early (0: not armed)
	extOp     bool   // its SleepRange has fired: it runs an external operation
}

// ID is the process's index in spawn order, from 0.
func (p *Proc) ID() int { return int(p.id) }

// Name is the name given at Spawn.
func (p *Proc) Name() string { return p.name.String() }

// Label is the name as a trace label.
func (p *Proc) Label() Label { return p.name }

// Kind is the process's execution context.
func (p *Proc) Kind() Kind { return p.kind }

// Sim is the simulation the process belongs to.
func (p *Proc) Sim() *Sim { return p.sim }

// Now is the current virtual time.
func (p *Proc) Now() Time { return p.sim.now }

// Done reports whether the body has finished.
func (p *Proc) Done() bool { return p.state == stDone }

// SetDaemon marks a service process: being blocked anywhere when the run goes idle is not a
// deadlock for it, and its waits are never hangs. Prefer WaitQueue.WaitIdle for the one wait
// where a server waits for work, so a server stuck elsewhere is still reported.
func (p *Proc) SetDaemon() *Proc { p.daemon = true; return p }

// SetHard marks a process whose timing is the hardware's: a device engine, an interrupt
// source, a timer wheel. Its sleeps end when they end and, once runnable, it runs before
// virtual time moves on: the strategy never delays it (Config.DelayBound). IRQ and Timer
// processes are hard from Spawn.
func (p *Proc) SetHard() *Proc {
	if !p.hard && p.state == stReady {
		p.sim.readyHard++
	}
	p.hard = true
	return p
}

// Hard reports whether the process's timing is the hardware's (SetHard).
func (p *Proc) Hard() bool { return p.hard }

// stuck reports whether p being blocked keeps the run from quiescing.
func (p *Proc) stuck() bool { return p.state == stBlocked && !p.daemon && !p.idleWait }

// String is "name#id".
func (p *Proc) String() string { return fmt.Sprintf("%s#%d", p.name.String(), p.id) }

// run runs the body on the current carrier; yield suspends it.
func (p *Proc) run(yield func(struct{}) bool) {
	p.yield = yield
	defer p.finish()
	p.body(p)
}

// finish runs as the coroutine's last deferred call: it turns a panic into a violation and
// wakes anyone joining the process.
func (p *Proc) finish() {
	r := recover()
	s := p.sim
	p.state = stDone
	p.inChain = false
	if r == errKilled || s.killing {
		return
	}
	if r != nil {
		s.record(Violation{Kind: KindPanic, At: s.now, Proc: p.name.String(), PID: p.ID(),
			Msg: fmt.Sprint(r), Stack: string(debug.Stack())}, p, engineObj)
	}
	s.emit(s.now, p, evExit, p.name, 0, 0)
	if p.exitQ != nil {
		p.exitQ.WakeAll()
	}
}

// suspend gives control back to whoever resumed this process. It returns when the process is
// picked again.
// When the run has ended it unwinds the body instead (killAll resumes it for that).
func (p *Proc) suspend() {
	if !p.yield(struct{}{}) || p.sim.killing {
		if p.stoppable && p.sim.killing {
			return // WaitStop returns, and the body with it
		}
		panic(errKilled)
	}
}

// park is called by a process that has changed its own state (ready, sleeping, blocked); it
// returns when the process is picked to run again.
// It is kept small enough to inline, so that the code resuming after a coroutine switch
// returns through as few frames as possible (each return after a stack switch is one the
// CPU's return predictor gets wrong).
func (p *Proc) park() { p.sim.schedule(p, nil) }

// Yield is a scheduling point: the strategy may run any other process enabled now first.
func (p *Proc) Yield() {
	if s := p.sim; s.pctFused && s.yieldPCT(p) {
		return
	}
	p.sim.makeReady(p)
	p.park()
}

// Point records a trace event and is a scheduling point. Model primitives call it at every
// access to shared state.
func (p *Proc) Point(kind, obj Label, a, b int64) {
	p.sim.emit(p.sim.now, p, kind, obj, a, b)
	p.Yield()
}

// Trace records a trace event without yielding.
func (p *Proc) Trace(kind, obj Label, a, b int64) { p.sim.emit(p.sim.now, p, kind, obj, a, b) }

// Sleep blocks the process for d of virtual time (msleep). Sleeping in irq or atomic context
// is a violation.
func (p *Proc) Sleep(d Duration) {
	p.mightSleep("sleep", Label{})
	s := p.sim
	if p.extOp && len(s.armed) != 0 {
		s.windowMoment(p)
	}
	now := s.now
	t := now.Add(d)
	if s.sleepFast(p, t) {
		// Taken to t in place; the sleep's event (at the time it began) goes last, so that
		// nothing is live across the call.
		if s.event(now, p, evSleep, engineObj, int64(d), 0) {
			s.deliver()
		}
		return
	}
	s.emit(now, p, evSleep, engineObj, int64(d), 0)
	// wait, written out: one frame less to return through after the switch.
	s.sleepUntil(p, t, stSleeping)
	s.schedule(p, nil)
}

// wait parks p until t.
func (p *Proc) wait(t Time) {
	if s := p.sim; !s.sleepFast(p, t) {
		s.sleepUntil(p, t, stSleeping)
		s.schedule(p, nil)
	}
}

// Busy spends d of virtual time without sleeping (udelay, a busy loop); allowed in any context.
func (p *Proc) Busy(d Duration) {
	p.sim.emit(p.sim.now, p, evBusy, engineObj, int64(d), 0)
	p.wait(p.sim.now.Add(d))
}

// EnterAtomic marks the start of an atomic section (spinlock held, preemption or irqs off).
func (p *Proc) EnterAtomic() { p.atomic++ }

// ExitAtomic ends an atomic section.
func (p *Proc) ExitAtomic() {
	if p.atomicDepth() == 0 {
		panic("des: ExitAtomic without EnterAtomic")
	}
	p.atomic--
}

// InAtomic reports whether the process may not sleep: an irq or timer, or inside an atomic section.
func (p *Proc) InAtomic() bool { return p.atomic > 0 }

// atomicDepth is the depth of atomic sections entered (EnterAtomic), not counting the context.
func (p *Proc) atomicDepth() int {
	if p.atomicCtx {
		return p.atomic - 1
	}
	return p.atomic
}

// mightSleep is might_sleep(): it reports sleeping in atomic context.
func (p *Proc) mightSleep(what string, on Label) {
	if p.atomic > 0 {
		p.sleepInAtomic(what, on)
	}
}

func (p *Proc) sleepInAtomic(what string, on Label) {
	if on.id != 0 {
		what += " on " + on.String()
	}
	p.sim.Violate(p, KindLockOrder, engineObj, MightSleepSplat(p, "include/linux/wait.h", what, ""))
}

// MightSleepSplat is the text of __might_sleep's report for p, which calls what (defined in the
// kernel file file) in atomic context; held is lockdep's list of held locks ("" if not known).
func MightSleepSplat(p *Proc, file, what, held string) string {
	return splat.MightSleep(splat.MightSleepReport{File: file, What: what, Task: p.name.String(), PID: p.ID(),
		Context: p.kind.String(), Depth: p.atomicDepth(), Held: held, At: p.sim.now})
}

// Join blocks until q has finished.
func (p *Proc) Join(q *Proc) {
	if q.exitQ == nil {
		q.exitQ = NewWaitQueue(p.sim, Join(p.sim, "exit:", q.name.String()))
	}
	q.exitQ.Wait(p, q.Done)
}

// stackReserve is how much stack a process's coroutine is grown to hold before its body runs.
// A coroutine starts on the runtime's minimum stack, and model code (lockdep, locals keyed by
// interface values) needs several KiB, so the stack would be copied at each doubling as the
// body grows it, with every live frame re-walked each time: 15-18% of a default-scenario run.
// Growing it once, while it holds only a few frames, made that run ~25% faster
// (workloads/amdgpuunplug BenchmarkDefaultRun).
const stackReserve = 8 << 10

// growStack makes the runtime grow the current goroutine's stack to fit a frame of
// stackReserve bytes.
//
//go:noinline
func growStack() {
	var buf [stackReserve]byte
	touchStack(buf[:])
}

//go:noinline
func touchStack(b []byte) { b[0], b[len(b)-1] = 1, 1 }
