package des

import "fmt"

// The dispatcher. Logically there is one loop: pick a ready process (the strategy decides),
// run it until its next scheduling point, and when nothing is ready advance virtual time to the
// next timer. Physically the loop runs in whichever coroutine is parking, so that:
//   - a process that is picked again right away continues without any coroutine switch;
//   - a process that hands over to another resumes it directly (one switch), nesting the
//     resumed coroutine under its own (the "resume chain");
//   - a process picked while it sits lower in the chain is reached by unwinding the chain.
// Which coroutine executes the loop never affects what is picked, so the schedule, the trace
// and the fingerprint are those of the single logical loop.

// dispatch is the loop as the Run caller runs it, until the run is over. The Run caller is
// the root of the resume chain, so every pick is resumed nested under it.
func (s *Sim) dispatch() {
	next := s.pickNext()
	for next != nil {
		s.resume(next)
		s.cur = nil
		next, s.target = s.target, nil
		if next == nil && !s.over {
			next = s.pickNext() // the resumed process finished its body
		}
	}
}

// resume runs p's coroutine nested under the current one until p parks or finishes.
func (s *Sim) resume(p *Proc) {
	c := p.c
	if c == nil {
		c = s.attach(p)
	}
	p.inChain = true
	s.cur = p
	c.next()
	p.inChain = false
	if p.state == stDone {
		s.release(p)
	}
}

// schedule parks the running process self until it is picked again or the run is over.
// With on set, self first blocks on it without a timeout (wait_event's prepare_to_wait +
// schedule in one frame, so that a wait written as a loop around it inlines into its caller).
func (s *Sim) schedule(self *Proc, on *WaitQueue) {
	if s.killing || s.cur != self {
		s.badPark(self)
	}
	if on != nil {
		// on.enqueue(self, Forever, false), written out: the block of every hand-off.
		self.mightSleep("wait", on.name)
		on.add(self, false)
		if !self.daemon {
			s.blockUnbounded(self)
		}
		if s.event(s.now, self, evBlock, on.name, 0, 0) {
			s.deliver()
		}
	}
	var next *Proc
	if s.picked != nil {
		next, s.picked = s.picked, nil
	} else if len(s.ready) == 1 && s.fastPick && s.steps < s.stepCap {
		// pickNext's lone-process case, written out (the hot path of every hand-off).
		next = s.ready[0]
		s.ready, s.readyHard = s.ready[:0], 0
		s.step(next)
	} else {
		next = s.pickNext()
	}
	for next != self {
		if next == nil || next.inChain || s.flat {
			// Over, or the pick is an ancestor in the chain: unwind towards it. When self is
			// picked again, someone resumes it and suspend returns.
			s.target = next
			self.suspend()
			break
		}
		// s.resume(next), written out: one frame less to return through after the switch.
		c := next.c
		if c == nil {
			c = s.attach(next)
		}
		next.inChain = true
		s.cur = next
		c.next()
		next.inChain = false
		if next.state == stDone {
			s.release(next)
		}
		s.cur = self
		next, s.target = s.target, nil
		if next == nil && !s.over {
			next = s.pickNext() // the resumed process finished its body
		}
	}
	// s.cur is self again: whoever resumes a process sets s.cur to it first.
}

// badPark unwinds a process that parks after the run ended, and catches a park from outside
// the running process.
func (s *Sim) badPark(p *Proc) {
	if s.killing {
		panic(errKilled)
	}
	panic(fmt.Sprintf("des: %v parked while %v is running", p, s.cur))
}

// attach gives p, about to take its first step, a carrier to run its body on.
func (s *Sim) attach(p *Proc) *carrier {
	c := s.pool.get()
	c.p = p
	p.c = c
	return c
}

// release gives p's carrier back to the pool once its body has ended.
func (s *Sim) release(p *Proc) {
	if c := p.c; c != nil {
		p.c = nil
		s.pool.put(c)
	}
}

// pickNext chooses the process for the next step, advancing time as needed. It returns nil
// when the run is over.
func (s *Sim) pickNext() *Proc {
	for !s.over {
		n := len(s.ready)
		if n == 0 {
			if !s.advance() {
				s.end()
			}
			continue
		}
		if s.steps >= s.stepCap { // Config.MaxEvents
			s.endBudget("events")
			break
		}
		var p *Proc
		if n == 1 && s.soloFast {
			// fifo without delays or a tape: a lone runnable process is picked, no decision.
			p = s.ready[0]
			s.ready, s.readyHard = s.ready[:0], 0 // the stale pointer left behind keeps nothing alive: s.procs holds p
		} else if p = s.take(s.choose()); p == nil {
			continue
		}
		s.step(p)
		return p
	}
	return nil
}

// step begins a step of p, the process picked to take it.
func (s *Sim) step(p *Proc) {
	s.steps++
	s.lastID = p.id
	p.state = stRunning
}

// take takes the process choose picked (index i), or nil when time moved on first: the pick
// wakes later, or the strategy delays it.
func (s *Sim) take(i int) *Proc {
	if i < 0 {
		s.deferTime() // the strategy picked a process that wakes later
		return nil
	}
	p := s.takeReady(i)
	if d := s.preemptDelay(p); d > 0 {
		s.emit(s.now, p, evPreempt, engineObj, int64(d), 0)
		s.sleepUntil(p, s.now.Add(d), stPreempted)
		return nil
	}
	return p
}

// yieldPCT is Yield's makeReady and schedule under PCT recording, where nearly every step
// continues the yielding process: PCT decides at once (choosePCT, with p as if last in the
// run queue), and when it picks p, p goes on without entering the queue or the dispatcher's
// round trip. Any other pick is handed to schedule, p queued. It reports false, deciding
// nothing, where schedule must decide (the run ends at its step budget, or p may not park).
// A run that is over (and so one whose processes are being killed) has pctFused off.
func (s *Sim) yieldPCT(p *Proc) bool {
	if s.cur != p || s.steps >= s.stepCap {
		return false
	}
	p.readyAt = s.now
	i := s.choosePCT(p)
	if i == len(s.ready) { // p
		s.step(p)
		return true
	}
	s.makeReady(p)
	if next := s.take(i); next != nil {
		s.step(next)
		s.picked = next
	}
	s.schedule(p, nil)
	return true
}

// fusedPCT: PCT's decisions take choosePCT; a test turns it off to check that the general
// path (laterCandidates, then pct.Pick) decides the same.
var fusedPCT = true

// choose asks the strategy (or the tape) for an index into s.ready and records it. It returns
// -1 when the pick is a process that wakes later (see laterCandidates): time moves on first.
func (s *Sim) choose() int {
	if s.pctFused {
		return s.choosePCT(nil)
	}
	n := len(s.ready)
	if s.fifo && n == 1 {
		return 0
	}
	later := s.laterCandidates()
	m := n + len(later)
	i := 0
	switch {
	case s.replay != nil:
		if m > 1 {
			i = s.sched.Intn(m)
		}
	default:
		if s.pct != nil {
			i = s.pct.Pick(s, s.ready, later)
		} else if !s.fifo {
			i = s.strat.Pick(s, s.ready, later)
		}
		if m > 1 {
			s.sched.record(uint64(i))
		}
	}
	if i >= n {
		return -1
	}
	return i
}

// preemptDelay is the delay the strategy (or the tape) gives p before it runs; small enough
// to inline, so that a strategy without delays pays one test per pick.
func (s *Sim) preemptDelay(p *Proc) Duration {
	if !s.delayed {
		return 0
	}
	return s.drawDelay(p)
}

func (s *Sim) drawDelay(p *Proc) Duration {
	if s.replay != nil {
		if len(s.delay.replay) == 0 {
			return 0
		}
		return Duration(s.delay.Uint64())
	}
	d := s.strat.Delay(s, p)
	s.delay.record(uint64(d))
	return d
}

func (s *Sim) takeReady(i int) *Proc {
	p := s.ready[i]
	last := len(s.ready) - 1
	if i != last {
		copy(s.ready[i:], s.ready[i+1:])
	}
	s.ready = s.ready[:last] // the stale pointer left behind keeps nothing alive: s.procs holds p
	if p.hard {
		s.readyHard--
	}
	return p
}

func (s *Sim) makeReady(p *Proc) {
	p.state = stReady
	p.readyAt = s.now
	s.ready = append(s.ready, p)
	s.readyTop = max(s.readyTop, p.prio)
	if p.hard {
		s.readyHard++
	}
}

// sleepFast is the general path (push a timer, park, advance time, pop it, pick p again)
// collapsed for the case whose outcome is known: p is the only process that could run before
// t, no check or budget falls due, and with fifo and no delays a lone runnable process is
// picked without a decision. It reports whether it took p to t.
func (s *Sim) sleepFast(p *Proc, t Time) bool {
	if !s.fastSleep || len(s.ready) > 0 || t >= s.hangCheckAt || s.steps >= s.stepCap {
		return false
	}
	if s.cfg.MaxTime > 0 && t > s.cfg.MaxTime {
		return false
	}
	if q := s.timers.items; len(q) > 0 && q[0].at <= t {
		return false
	}
	s.now = t
	s.step(p)
	return true
}

// sleepUntil puts p in the timer heap until t.
func (s *Sim) sleepUntil(p *Proc, t Time, st procState) {
	p.state = st
	s.seq++
	s.timers.push(t, s.seq, p)
}

// advance moves time to the next timer and fires every timer due then. It returns false when
// the run cannot go on (idle, a budget, a hang).
func (s *Sim) advance() bool {
	t, ok := s.timers.Min()
	if !ok {
		return s.idle()
	}
	if t >= s.hangCheckAt && s.checkHang(t) {
		return !s.over
	}
	if s.cfg.MaxTime > 0 && t > s.cfg.MaxTime {
		s.now = s.cfg.MaxTime
		s.endBudget("time")
		return false
	}
	s.now = t
	for {
		s.fire(s.timers.pop())
		if t2, ok := s.timers.Min(); !ok || t2 != t {
			return true
		}
	}
}

// fire handles p's timer: the end of a sleep or preemption, or a wait timing out.
func (s *Sim) fire(p *Proc) {
	if p.state == stBlocked {
		p.waitOn.remove(p)
		p.timedOut = true
		s.emit(s.now, p, evTimeout, p.waitOn.name, 0, 0)
		s.unblock(p)
	}
	s.makeReady(p)
}

func (s *Sim) endBudget(which string) {
	s.budget = which
	s.end()
}
