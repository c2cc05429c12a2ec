package des

import "fmt"

// WaitQueue is a kernel wait_queue_head: processes block on it until a condition holds, and
// whoever changes the condition wakes them. The engine knows who waits on what, which is how
// it reports deadlocks as wait-for chains and waits that outlive the hang bound.
type WaitQueue struct {
	sim     *Sim
	name    Label
	waiters []*Proc
	owner   func() *Proc
	holder  Holder
}

// NewWaitQueue makes a wait queue; name appears in traces and wait-for chains.
func NewWaitQueue(s *Sim, name string) *WaitQueue { return NewWaitQueueLabel(s, L(name)) }

// NewWaitQueueLabel is NewWaitQueue for a name whose Label the caller has already (a lock's
// class), without looking it up again.
func NewWaitQueueLabel(s *Sim, name Label) *WaitQueue {
	w := s.newQueue()
	w.sim, w.name = s, name
	return w
}

// Name is the queue's name.
func (w *WaitQueue) Name() string { return w.name.String() }

// SetOwner tells the deadlock report who is expected to wake this queue (a lock's holder).
func (w *WaitQueue) SetOwner(owner func() *Proc) { w.owner, w.holder = owner, nil }

// Holder is anything with an owner for deadlock reports: a lock whose Owner is its holder.
type Holder interface{ Owner() *Proc }

// SetHolder is SetOwner(h.Owner) without making a method value: a model that makes a lock per
// object in every run passes the lock itself, which allocates nothing.
func (w *WaitQueue) SetHolder(h Holder) { w.owner, w.holder = nil, h }

// ownerOf is the process the queue's owner names, and whether it has one.
func (w *WaitQueue) ownerOf() (*Proc, bool) {
	switch {
	case w.owner != nil:
		return w.owner(), true
	case w.holder != nil:
		return w.holder.Owner(), true
	}
	return nil, false
}

// Len is the number of blocked waiters.
func (w *WaitQueue) Len() int { return len(w.waiters) }

// Wait blocks p until cond() holds (wait_event). cond is evaluated in p's context, first
// before blocking and again after every wake-up.
func (w *WaitQueue) Wait(p *Proc, cond func() bool) {
	for !cond() {
		p.sim.schedule(p, w)
	}
}

// WaitIdle is Wait for a server waiting for work (a worker thread's worklist, an irq thread):
// while blocked here the process does not keep the run from quiescing and is never a hang.
// Anywhere else it waits like any process.
func (w *WaitQueue) WaitIdle(p *Proc, cond func() bool) {
	for !cond() {
		p.mightSleep("wait", w.name)
		w.enqueue(p, Forever, true)
		p.park()
	}
}

// WaitStop is Wait at a kernel thread's top-level wait: wait_event(wq, cond ||
// kthread_should_stop()) and then the kthread_should_stop() check. It reports true when the
// run ended while p waited here; the body must then return at once. A process ended so
// returns through its own frames, where one blocked in any other wait is unwound (a panic and
// a recover: the dearer end, and a run ends with every daemon blocked).
func (w *WaitQueue) WaitStop(p *Proc, cond func() bool) (stop bool) {
	for !cond() {
		p.stoppable = true
		p.sim.schedule(p, w)
		p.stoppable = false
		if p.sim.killing {
			return true
		}
	}
	return false
}

// WaitIdleStop is WaitIdle at a kernel thread's top-level wait, as WaitStop is Wait's.
func (w *WaitQueue) WaitIdleStop(p *Proc, cond func() bool) (stop bool) {
	for !cond() {
		p.mightSleep("wait", w.name)
		w.enqueue(p, Forever, true)
		p.stoppable = true
		p.park()
		p.stoppable = false
		if p.sim.killing {
			return true
		}
	}
	return false
}

// WaitTimeout is wait_event_timeout: it returns whether cond() held, false if d elapsed first.
func (w *WaitQueue) WaitTimeout(p *Proc, cond func() bool, d Duration) bool {
	deadline := p.sim.now.Add(d)
	for !cond() {
		if p.sim.now >= deadline {
			return false
		}
		p.mightSleep("wait", w.name)
		w.enqueue(p, deadline, false)
		p.park()
	}
	return true
}

// Spin busy-waits until cond() holds (a contended spinlock): allowed in atomic context, but
// a spin nobody ends is still a deadlock or a hang.
func (w *WaitQueue) Spin(p *Proc, cond func() bool) {
	for !cond() {
		w.enqueue(p, Forever, false)
		p.park()
	}
}

// enqueue puts p on w, blocked until a wake-up or deadline; the caller then parks. (Callers
// park themselves rather than through a helper so that code resuming after the coroutine
// switch returns through one frame less: each return after a stack switch is one the CPU's
// return predictor gets wrong.)
func (w *WaitQueue) enqueue(p *Proc, deadline Time, idle bool) {
	s := p.sim
	w.add(p, idle)
	if deadline != Forever {
		s.seq++
		s.timers.push(deadline, s.seq, p)
	} else if !p.daemon && !idle {
		s.blockUnbounded(p)
	}
	s.emit(s.now, p, evBlock, w.name, 0, 0)
}

// add puts p at the tail of w, blocked (prepare_to_wait). It is small enough to inline into
// schedule, which blocks the waiter of every hand-off itself.
func (w *WaitQueue) add(p *Proc, idle bool) {
	p.state = stBlocked
	p.waitOn = w
	p.blockedAt = p.sim.now
	p.timedOut = false
	p.idleWait = idle
	w.waiters = append(w.waiters, p)
}

// blockUnbounded counts p as blocked without a timeout, subject to the hang check.
func (s *Sim) blockUnbounded(p *Proc) {
	p.unbounded = true
	s.nBlocked++
	if len(s.armed) != 0 {
		s.windowMoment(p)
	}
	// Arm the hang check at now+bound if that is earlier (now < hangCheckAt-bound, which
	// cannot overflow, is the same test without computing the saturating sum every time).
	if b := s.cfg.HangTimeout; b > 0 && s.now < s.hangCheckAt-Time(b) {
		s.hangCheckAt = s.now.Add(b)
	}
}

// WakeOne wakes the longest waiter; it reports whether there was one.
func (w *WaitQueue) WakeOne() bool {
	if len(w.waiters) == 0 {
		return false
	}
	// w.wake(w.popFront()), written out: it is the wake-up of every completion hand-off.
	p := w.popFront()
	s := w.sim
	if p.tidx > 0 {
		s.timers.removeAt(int(p.tidx - 1))
	}
	s.unblock(p)
	s.makeReady(p)
	if s.event(s.now, p, evWake, w.name, 0, 0) {
		s.deliver()
	}
	return true
}

// popFront removes and returns the longest waiter.
func (w *WaitQueue) popFront() *Proc {
	p := w.waiters[0]
	n := len(w.waiters) - 1
	if n == 0 {
		w.waiters = w.waiters[:0] // a stale pointer in spare capacity keeps nothing alive: s.procs holds p
		return p
	}
	copy(w.waiters, w.waiters[1:])
	w.waiters = w.waiters[:n]
	return p
}

// WakeAll wakes every waiter and returns how many there were.
func (w *WaitQueue) WakeAll() int {
	n := len(w.waiters)
	for i := 0; i < n; i++ {
		p := w.waiters[i]
		w.waiters[i] = nil
		w.wake(p)
	}
	w.waiters = w.waiters[:0]
	return n
}

func (w *WaitQueue) wake(p *Proc) {
	s := w.sim
	s.timers.cancel(p)
	s.unblock(p)
	s.emit(s.now, p, evWake, w.name, 0, 0)
	s.makeReady(p)
}

func (w *WaitQueue) remove(p *Proc) {
	for i, q := range w.waiters {
		if q == p {
			copy(w.waiters[i:], w.waiters[i+1:])
			w.waiters[len(w.waiters)-1] = nil
			w.waiters = w.waiters[:len(w.waiters)-1]
			return
		}
	}
	panic(fmt.Sprintf("des: %v not on wait queue %s", p, w.name.String()))
}

func (s *Sim) unblock(p *Proc) {
	if p.unbounded {
		p.unbounded = false
		s.nBlocked--
	}
	p.waitOn = nil
	p.idleWait = false
}

// Completion is struct completion: complete() lets one waiter through, complete_all() all of
// them, now and later.
type Completion struct {
	wq   *WaitQueue
	done uint64
}

const completeAll = ^uint64(0) >> 1

// NewCompletion makes a completion (init_completion).
func NewCompletion(s *Sim, name string) *Completion {
	c := s.newCompletion()
	c.wq = NewWaitQueue(s, name)
	return c
}

// Queue is the underlying wait queue (for SetOwner).
func (c *Completion) Queue() *WaitQueue { return c.wq }

// Done reports whether a Wait would not block (completion_done).
func (c *Completion) Done() bool { return c.done > 0 }

func (c *Completion) take() bool {
	if c.done == 0 {
		return false
	}
	if c.done != completeAll {
		c.done--
	}
	return true
}

// Wait is wait_for_completion. It is WaitQueue.Wait written out with take inline: the
// method value would cost an indirect call per check on every hand-off.
func (c *Completion) Wait(p *Proc) {
	for c.done == 0 {
		p.sim.schedule(p, c.wq)
	}
	if c.done != completeAll {
		c.done--
	}
}

// WaitTimeout is wait_for_completion_timeout: false if d elapsed first.
func (c *Completion) WaitTimeout(p *Proc, d Duration) bool { return c.wq.WaitTimeout(p, c.take, d) }

// Complete is complete(): one waiter (or the next Wait) goes through.
func (c *Completion) Complete() {
	if c.done != completeAll {
		c.done++
	}
	c.wq.WakeOne()
}

// CompleteAll is complete_all().
func (c *Completion) CompleteAll() {
	c.done = completeAll
	c.wq.WakeAll()
}

// Reinit is reinit_completion.
func (c *Completion) Reinit() { c.done = 0 }
