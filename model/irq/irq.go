package irq

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/oracle"
)

// Return is irqreturn_t.
type Return int

// Handler return values.
const (
	None    Return = iota // IRQ_NONE: not our device
	Handled               // IRQ_HANDLED
)

// Handler is an irq_handler_t. It runs in hard interrupt context (a des.IRQ process).
type Handler func(p *des.Proc) Return

// ErrBusy is request_irq's -EBUSY: the line already has a handler (no IRQF_SHARED).
var ErrBusy = errors.New("irq: -EBUSY: line already requested")

// maxReplay bounds the handle_edge_irq replay loop of one handler instance.
const maxReplay = 1 << 16

// Stats are the line's counters (/proc/interrupts and note_interrupt's).
type Stats struct {
	Handled   int // handler invocations that returned Handled
	Unhandled int // invocations that returned None
	Spurious  int // raises that found no handler
}

type action struct {
	name    string
	handler Handler
}

// Line is an interrupt line (struct irq_desc).
type Line struct {
	sim        *des.Sim
	name       string
	label      des.Label
	action     *action
	depth      int  // nested disables (desc->depth)
	pending    bool // IRQS_PENDING
	delivering bool // a handler process exists (spawned or running) for this line
	running    *des.Proc
	idle       *des.WaitQueue // synchronize_irq spins here while a handler is in progress
	stats      Stats
	rec        *metrics.Recorder // nil: metrics off
	unhandled  bool              // a raise not yet handled (metrics on)
	raisedAt   des.Time          // when it came

	evRaise, evEntry, evExit, evPending, evSpurious, evDisable, evEnable, evSync, evRequest, evFree des.Label
	flowFn                                                                                          func(*des.Proc) // l.flow, made once per Line
}

// NewLine makes an interrupt line named name (e.g. "amdgpu:0000:03:00.0").
func NewLine(sim *des.Sim, name string) *Line {
	if sim == nil || name == "" {
		panic("irq: NewLine needs a sim and a name")
	}
	l := lines.New(sim)
	l.sim, l.name, l.label, l.rec = sim, name, des.L(des.Join(sim, "irq:", name)), metrics.Of(sim)
	l.idle = des.NewWaitQueue(sim, des.Join(sim, "irq-inprogress:", name))
	l.idle.SetHolder((*runningLine)(l))
	if l.flowFn == nil {
		l.flowFn = l.flow
	}
	l.evRaise, l.evEntry, l.evExit = des.L("irq-raise"), des.L("irq-entry"), des.L("irq-exit")
	l.evPending, l.evSpurious = des.L("irq-pending"), des.L("irq-spurious")
	l.evDisable, l.evEnable, l.evSync = des.L("disable-irq"), des.L("enable-irq"), des.L("synchronize-irq")
	l.evRequest, l.evFree = des.L("request-irq"), des.L("free-irq")
	return l
}

// Name is the line's name.
func (l *Line) Name() string { return l.name }

// Stats returns the line's counters.
func (l *Line) Stats() Stats { return l.stats }

// Pending reports IRQS_PENDING: a raise waits for the line to be enabled or replayed.
func (l *Line) Pending() bool { return l.pending }

// Disabled reports whether the line is disabled (depth > 0).
func (l *Line) Disabled() bool { return l.depth > 0 }

// InProgress reports IRQD_IRQ_INPROGRESS: a handler is running.
func (l *Line) InProgress() bool { return l.running != nil }

// Requested reports whether a handler is installed.
func (l *Line) Requested() bool { return l.action != nil }

// RequestIRQ is request_irq: it installs h under name and enables the line. p may be nil for
// set-up code outside any process.
func RequestIRQ(p *des.Proc, l *Line, name string, h Handler) error {
	if h == nil {
		panic("irq: RequestIRQ with a nil handler")
	}
	point(l, p, l.evRequest, 0)
	mightSleep(l, p, "request_irq")
	if l.action != nil {
		return ErrBusy
	}
	l.action = actions.New(l.sim)
	*l.action = action{name: name, handler: h}
	l.depth = 0 // __setup_irq: first action starts the line enabled
	return nil
}

// FreeIRQ is free_irq: it removes the handler and waits for a running one to finish.
func FreeIRQ(p *des.Proc, l *Line) {
	point(l, p, l.evFree, 0)
	mightSleep(l, p, "free_irq")
	if l.action == nil {
		panic(fmt.Sprintf("WARNING: Trying to free already-free IRQ %s", l.name))
	}
	l.action = nil
	l.shutdown()
	SynchronizeHardIRQ(p, l) // __synchronize_irq; its might_sleep was just checked
}

// shutdown is irq_shutdown for the last action: depth 1, so one EnableIRQ starts the line
// again without a WARN. Unlike the kernel it drops the pending replay and does not mask.
func (l *Line) shutdown() {
	l.depth = 1
	l.pending = false
}

// Raise is the device asserting the line (an edge). p is the raising process, nil for the
// engine (a hook).
func (l *Line) Raise(p *des.Proc) {
	l.noteRaise()
	point(l, p, l.evRaise, 0)
	if l.delivering {
		l.setPending(p)
		return
	}
	l.deliver()
}

// deliver spawns the handler process: the interrupt on its way to a CPU.
func (l *Line) deliver() {
	l.delivering = true
	l.sim.Spawn(des.Join(l.sim, "irq/", l.name), des.IRQ, l.flowFn)
}

// lines are the Lines a sweep worker reuses run after run (des.SlabKey).
var (
	lines   = des.NewSlabKey[Line]()
	actions = des.NewSlabKey[action]()
)

// Recycle keeps a reused Line's handler body, bound to it (des.Recycler).
func (l *Line) Recycle() { *l = Line{flowFn: l.flowFn} }

// runningLine is a Line as its idle queue's des.Holder: the handler process in progress.
type runningLine Line

func (l *runningLine) Owner() *des.Proc { return l.running }

func (l *Line) setPending(p *des.Proc) {
	l.pending = true
	l.sim.Emit(p, l.evPending, l.label, 0, 0)
}

// flow is the flow handler (handle_edge_irq): it runs the action, then replays raises that
// arrived meanwhile, unless the line got disabled or freed.
func (l *Line) flow(p *des.Proc) {
	defer l.endDelivery()
	p.Point(l.evEntry, l.label, 0, 0)
	for i := 0; i < maxReplay; i++ {
		if l.action == nil { // freed (and shut down): counted, not left pending
			l.stats.Spurious++
			p.Trace(l.evSpurious, l.label, 0, 0)
			return
		}
		if l.depth > 0 {
			l.setPending(p) // disabled: left for EnableIRQ to resend
			return
		}
		l.pending = false
		l.handleEvent(p)
		if !l.pending {
			return
		}
	}
}

// handleEvent is handle_irq_event: it sets IRQD_IRQ_INPROGRESS and runs the action. The flag
// stays set across the flow handler's replays (endDelivery clears it): handle_edge_irq clears
// and sets it again under desc->lock, which __synchronize_hardirq re-checks, so
// synchronize_irq never sees the line idle between a handler and its replay.
func (l *Line) handleEvent(p *des.Proc) {
	a := l.action
	l.running = p
	l.beginHandler(p)
	ret := a.handler(p)
	l.endHandler(p)
	p.Point(l.evExit, l.label, int64(ret), 0)
	if ret == Handled {
		l.stats.Handled++
	} else {
		l.stats.Unhandled++
	}
}

// endDelivery runs when the handler process ends, also when its handler panicked: it
// clears IRQD_IRQ_INPROGRESS and wakes synchronize_irq.
func (l *Line) endDelivery() {
	l.delivering = false
	if l.running != nil {
		l.running = nil
		l.idle.WakeAll()
	}
}

// point is a scheduling point for p, or a plain trace event outside any process.
func point(l *Line, p *des.Proc, ev des.Label, a int64) {
	if p == nil {
		l.sim.Emit(nil, ev, l.label, a, 0)
		return
	}
	p.Point(ev, l.label, a, 0)
}

// mightSleep is might_sleep() for calls that take desc->request_mutex or wait_event.
func mightSleep(l *Line, p *des.Proc, what string) {
	if p != nil && p.InAtomic() {
		l.sim.Violate(p, oracle.LockOrder, l.label, des.MightSleepSplat(p, "kernel/irq/manage.c", what+"("+l.name+")", ""))
	}
}
