package des

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWaitTimeoutExpiresAtDeadline(t *testing.T) {
	s := MustNew(Config{})
	wq := NewWaitQueue(s, "wq")
	var got bool
	var at Time
	s.Spawn("waiter", Task, func(p *Proc) {
		got = wq.WaitTimeout(p, func() bool { return false }, 100)
		at = p.Now()
	})
	r := s.Run()
	require.True(t, r.OK())
	assert.False(t, got)
	assert.Equal(t, Time(100), at)
	assert.Zero(t, wq.Len())
}

func TestWakeCancelsTimeout(t *testing.T) {
	s := MustNew(Config{})
	wq := NewWaitQueue(s, "wq")
	flag := false
	var got bool
	var at Time
	s.Spawn("waiter", Task, func(p *Proc) {
		got = wq.WaitTimeout(p, func() bool { return flag }, 100)
		at = p.Now()
	})
	s.Spawn("waker", Task, func(p *Proc) {
		p.Sleep(10)
		flag = true
		wq.WakeAll()
	})
	r := s.Run()
	require.True(t, r.OK())
	assert.True(t, got)
	assert.Equal(t, Time(10), at)
	assert.Equal(t, Time(10), r.End, "the cancelled timeout must not keep the run alive")
}

func TestCompletionSemantics(t *testing.T) {
	s := MustNew(Config{})
	c := NewCompletion(s, "c")
	all := NewCompletion(s, "all")
	var through []string
	c.Complete() // complete before anyone waits: the next Wait passes
	s.Spawn("early", Task, func(p *Proc) { c.Wait(p); through = append(through, "early") })
	for _, n := range []string{"w1", "w2"} {
		s.Spawn(n, Task, func(p *Proc) { all.Wait(p); through = append(through, n) })
	}
	s.Spawn("timeout", Task, func(p *Proc) {
		assert.False(t, c.WaitTimeout(p, 5))
		through = append(through, "timeout")
	})
	s.Spawn("completer", Task, func(p *Proc) {
		p.Sleep(10)
		all.CompleteAll()
		assert.True(t, all.Done())
		all.Wait(p) // complete_all: later waits pass too
		through = append(through, "completer")
	})
	r := s.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"early", "timeout", "completer", "w1", "w2"}, through)
	assert.False(t, c.Done())
	c.Complete()
	c.Reinit()
	assert.False(t, c.Done())
}

// TestDeadlockReportsWaitForChain: an AB/BA deadlock on two owned queues (mutex-like).
func TestDeadlockReportsWaitForChain(t *testing.T) {
	s := MustNew(Config{})
	m := map[string]*Proc{}
	lock := func(name string) *WaitQueue {
		wq := NewWaitQueue(s, name)
		wq.SetOwner(func() *Proc { return m[name] })
		return wq
	}
	a, b := lock("A"), lock("B")
	take := func(p *Proc, name string, wq *WaitQueue) {
		wq.Wait(p, func() bool { return m[name] == nil })
		m[name] = p
		p.Yield()
	}
	s.Spawn("t1", Task, func(p *Proc) { take(p, "A", a); take(p, "B", b) })
	s.Spawn("t2", Task, func(p *Proc) { take(p, "B", b); take(p, "A", a) })
	r := s.Run()
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, KindDeadlock, v.Kind)
	assert.Contains(t, v.Msg, "t1#0 waits for B held by t2#1 waits for A held by t1#0 (cycle)")
	assert.NotEmpty(t, v.Related)
}

func TestNoDeadlockWhenOnlyDaemonsWait(t *testing.T) {
	s := MustNew(Config{})
	work := NewWaitQueue(s, "worklist")
	pending := 0
	s.Spawn("kworker", Worker, func(p *Proc) {
		for {
			work.Wait(p, func() bool { return pending > 0 })
			pending--
		}
	}).SetDaemon()
	s.Spawn("app", Task, func(p *Proc) { pending++; work.WakeOne(); p.Sleep(10) })
	r := s.Run()
	assert.True(t, r.OK(), r.Violations)
	assert.Equal(t, Time(10), r.End)
}

// TestHangWhenWaitOutlivesBound: a periodic daemon keeps time moving, so there is no deadlock,
// but the waiter never wakes: the hang check reports it at blockedAt + HangTimeout.
func TestHangWhenWaitOutlivesBound(t *testing.T) {
	s := MustNew(Config{HangTimeout: Second})
	never := NewCompletion(s, "never")
	s.Spawn("tick", Timer, func(p *Proc) {
		for {
			p.Busy(10 * Millisecond)
		}
	}).SetDaemon()
	s.Spawn("stuck", Task, func(p *Proc) { p.Sleep(5); never.Wait(p) })
	r := s.Run()
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, KindHang, v.Kind)
	assert.Equal(t, Time(5).Add(Second), v.At)
	assert.Equal(t, "stuck", v.Proc)
	assert.Contains(t, v.Msg, "blocked on never for more than 1s")
}

func TestBoundedWaitIsNoHang(t *testing.T) {
	s := MustNew(Config{HangTimeout: Second})
	never := NewCompletion(s, "never")
	s.Spawn("patient", Task, func(p *Proc) { never.WaitTimeout(p, 5*Second) })
	r := s.Run()
	assert.True(t, r.OK(), r.Violations)
}

func TestSleepingInIRQIsReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind Kind
		body func(p *Proc, wq *WaitQueue)
		want bool
	}{
		{"irq sleeps", IRQ, func(p *Proc, _ *WaitQueue) { p.Sleep(1) }, true},
		{"irq waits", IRQ, func(p *Proc, wq *WaitQueue) { wq.WaitTimeout(p, func() bool { return false }, 3) }, true},
		{"timer sleeps", Timer, func(p *Proc, _ *WaitQueue) { p.Sleep(1) }, true},
		{"task sleeps under spinlock", Task, func(p *Proc, _ *WaitQueue) { p.EnterAtomic(); p.Sleep(1); p.ExitAtomic() }, true},
		{"irq sleeps after unlock", IRQ, func(p *Proc, _ *WaitQueue) { p.EnterAtomic(); p.ExitAtomic(); p.Sleep(1) }, true},
		{"irq busy-waits", IRQ, func(p *Proc, _ *WaitQueue) { p.Busy(1) }, false},
		{"irq spins", IRQ, func(p *Proc, wq *WaitQueue) { n := 0; wq.Spin(p, func() bool { n++; return n > 1 }) }, false},
		{"task sleeps", Task, func(p *Proc, _ *WaitQueue) { p.Sleep(1) }, false},
		{"task sleeps after unlock", Task, func(p *Proc, _ *WaitQueue) { p.EnterAtomic(); p.ExitAtomic(); p.Sleep(1) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := MustNew(Config{})
			wq := NewWaitQueue(s, "wq")
			s.Spawn("poker", Task, func(p *Proc) { p.Sleep(1); wq.WakeAll() })
			s.Spawn("subject", tc.kind, func(p *Proc) { tc.body(p, wq) })
			r := s.Run()
			if !tc.want {
				assert.True(t, r.OK(), r.Violations)
				return
			}
			require.Len(t, r.Violations, 1)
			assert.Equal(t, KindLockOrder, r.Violations[0].Kind)
			assert.Contains(t, r.Violations[0].Msg, "sleeping function called from invalid context")
			assert.Equal(t, "subject", r.Violations[0].Proc)
		})
	}
}

func TestExitAtomicWithoutEnterPanics(t *testing.T) {
	for _, kind := range []Kind{Task, IRQ, Timer} {
		s := MustNew(Config{})
		s.Spawn("bad", kind, func(p *Proc) { p.EnterAtomic(); p.ExitAtomic(); p.ExitAtomic() })
		r := s.Run()
		require.Len(t, r.Violations, 1, kind)
		assert.Equal(t, KindPanic, r.Violations[0].Kind, kind)
		assert.Contains(t, r.Violations[0].Msg, "ExitAtomic without EnterAtomic", kind)
	}
}

// The atomic depth in might_sleep's report counts spinlocks held, not the irq context.
func TestAtomicDepthIsReportedWithoutTheContext(t *testing.T) {
	for _, tc := range []struct {
		kind  Kind
		locks int
		want  string
	}{
		{Task, 1, "context: task, atomic depth 1"},
		{IRQ, 0, "context: irq, atomic depth 0"},
		{Timer, 2, "context: timer, atomic depth 2"},
	} {
		s := MustNew(Config{})
		var inAtomic bool
		s.Spawn("subject", tc.kind, func(p *Proc) {
			for range tc.locks {
				p.EnterAtomic()
			}
			inAtomic = p.InAtomic()
			p.Sleep(1)
		})
		r := s.Run()
		require.Len(t, r.Violations, 1, tc.kind)
		assert.Contains(t, r.Violations[0].Msg, tc.want)
		assert.True(t, inAtomic, tc.kind)
	}
}

func TestAtQuiesceHooks(t *testing.T) {
	s := MustNew(Config{})
	var log []string
	s.Spawn("app", Task, func(p *Proc) { p.Sleep(10) })
	s.AtQuiesce(func() {
		log = append(log, "check")
		s.Spawn("drain", Task, func(p *Proc) { p.Sleep(5); log = append(log, "drained") })
	})
	s.AtQuiesce(func() { log = append(log, "second") })
	r := s.Run()
	require.True(t, r.OK())
	assert.Equal(t, []string{"check", "drained", "second"}, log, "a hook that makes work defers the rest")
	assert.Equal(t, Time(15), r.End)

	s = MustNew(Config{})
	s.Spawn("app", Task, func(p *Proc) {})
	s.AtQuiesce(func() { s.Violate(nil, "fence-never-signalled", L("fence:1"), "unsignalled") })
	r = s.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, ViolationKind("fence-never-signalled"), r.Violations[0].Kind)

	// A deadlocked run does not quiesce.
	s = MustNew(Config{})
	c := NewCompletion(s, "never")
	s.Spawn("stuck", Task, func(p *Proc) { c.Wait(p) })
	ran := false
	s.AtQuiesce(func() { ran = true })
	r = s.Run()
	assert.False(t, ran)
	assert.Equal(t, KindDeadlock, r.First().Kind)
}

// A server waiting for work does not block quiescence, but a server stuck elsewhere is
// still a deadlock (unlike SetDaemon, which exempts every wait).
func TestWaitIdle(t *testing.T) {
	run := func(stuckInWork bool) Result {
		s := MustNew(Config{})
		work := NewWaitQueue(s, "worklist")
		never := NewCompletion(s, "never")
		pending := 0
		s.Spawn("kworker", Worker, func(p *Proc) {
			for {
				work.WaitIdle(p, func() bool { return pending > 0 })
				pending--
				if stuckInWork {
					never.Wait(p)
				}
			}
		})
		s.Spawn("app", Task, func(p *Proc) { pending++; work.WakeOne(); p.Sleep(10) })
		return s.Run()
	}
	r := run(false)
	assert.True(t, r.OK(), r.Violations)
	r = run(true)
	require.Len(t, r.Violations, 1)
	assert.Equal(t, KindDeadlock, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "kworker#0 waits for never")
}

func TestQuiesceHooksStopAtTheFirstThatMakesWork(t *testing.T) {
	s := MustNew(Config{})
	flushed := false
	var seen []bool
	s.AtQuiesce(func() { s.Spawn("flush", Task, func(p *Proc) { p.Sleep(3); flushed = true }) })
	s.AtQuiesce(func() { seen = append(seen, flushed) })
	r := s.Run()
	require.True(t, r.OK())
	assert.Equal(t, []bool{true}, seen, "the second hook runs after the first one's work finished")
}

// A kernel thread blocked at its top-level wait (WaitStop, WaitIdleStop) when the run ends
// returns from it with stop set and leaves its body itself; one blocked in any other wait
// is unwound and runs nothing after the wait. Either way its defers run and the run is clean.
func TestWaitStopReturnsAtTheEndOfTheRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		wait func(w *WaitQueue, p *Proc, cond func() bool) bool
		want bool // the body saw stop and returned itself
	}{
		{"WaitStop", (*WaitQueue).WaitStop, true},
		{"WaitIdleStop", (*WaitQueue).WaitIdleStop, true},
		{"Wait", func(w *WaitQueue, p *Proc, cond func() bool) bool { w.Wait(p, cond); return false }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := NewPool(0)
			defer pool.Close()
			for run := 0; run < 2; run++ { // the second run reuses the first one's Proc and carrier
				s := MustNew(Config{Pool: pool})
				work := NewWaitQueue(s, "work")
				pending, served := 0, 0
				var returned, deferred bool
				s.Spawn("kthread", Worker, func(p *Proc) {
					defer func() { deferred = true }()
					for range 10 {
						if tc.wait(work, p, func() bool { return pending > 0 }) {
							returned = true
							return
						}
						pending--
						served++
					}
				}).SetDaemon()
				s.Spawn("app", Task, func(p *Proc) { pending++; work.WakeOne(); p.Sleep(10) })
				r := s.Run()
				require.True(t, r.OK(), r.Violations)
				assert.Equal(t, 1, served, "the work was served before the run ended")
				assert.Equal(t, tc.want, returned)
				assert.True(t, deferred)
			}
		})
	}
}

// Without the end of the run, WaitStop is Wait: it returns false once cond holds.
func TestWaitStopIsWaitDuringTheRun(t *testing.T) {
	s := MustNew(Config{})
	w := NewWaitQueue(s, "w")
	ready := false
	var stop, stopIdle bool
	s.Spawn("a", Task, func(p *Proc) { stop = w.WaitStop(p, func() bool { return ready }) })
	s.Spawn("b", Task, func(p *Proc) { stopIdle = w.WaitIdleStop(p, func() bool { return ready }) })
	s.Spawn("waker", Task, func(p *Proc) { p.Sleep(5); ready = true; w.WakeAll() })
	r := s.Run()
	require.True(t, r.OK(), r.Violations)
	assert.False(t, stop)
	assert.False(t, stopIdle)
}
