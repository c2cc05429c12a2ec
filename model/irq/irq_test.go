package irq_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/irq"
	"hotplugsim/model/oracle"
)

// spinlock is a minimal spin_lock for tests (model/lock is another package's concern).
type spinlock struct {
	wq    *des.WaitQueue
	owner *des.Proc
}

func newSpinlock(sim *des.Sim, name string) *spinlock {
	s := &spinlock{wq: des.NewWaitQueue(sim, name)}
	s.wq.SetOwner(func() *des.Proc { return s.owner })
	return s
}

func (s *spinlock) lock(p *des.Proc) {
	s.wq.Spin(p, func() bool { return s.owner == nil })
	s.owner = p
	p.EnterAtomic()
}

func (s *spinlock) unlock(p *des.Proc) {
	s.owner = nil
	p.ExitAtomic()
	s.wq.WakeOne()
}

// counting returns a handler that spends busy in the handler and records what it saw.
type counting struct {
	calls, concurrent, maxConcurrent int
	kinds                            []des.Kind
	busy                             des.Duration
}

func (c *counting) handler(p *des.Proc) irq.Return {
	c.calls++
	c.concurrent++
	c.maxConcurrent = max(c.maxConcurrent, c.concurrent)
	c.kinds = append(c.kinds, p.Kind())
	p.Busy(c.busy)
	c.concurrent--
	return irq.Handled
}

func TestRaiseRunsHandlerInIRQContext(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := irq.NewLine(sim, "gpu")
	c := &counting{busy: 5}
	require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", c.handler))
	sim.Spawn("device", des.Task, func(p *des.Proc) { l.Raise(p); p.Sleep(100); l.Raise(p) })
	r := sim.Run()
	modeltest.OK(t, r)
	assert.Equal(t, 2, c.calls)
	assert.Equal(t, []des.Kind{des.IRQ, des.IRQ}, c.kinds)
	assert.Equal(t, irq.Stats{Handled: 2}, l.Stats())
}

func TestSleepingHandlerIsLockOrder(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := irq.NewLine(sim, "gpu")
	require.NoError(t, irq.RequestIRQ(nil, l, "bad", func(p *des.Proc) irq.Return { p.Sleep(1); return irq.Handled }))
	sim.Spawn("device", des.Task, func(p *des.Proc) { l.Raise(p) })
	r := sim.Run()
	modeltest.First(t, r, oracle.LockOrder)
}

func TestRaiseWhileRunningIsReplayedByTheSameInstance(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "pct:3"} {
		for seed := uint64(0); seed < 20; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat})
			l := irq.NewLine(sim, "gpu")
			c := &counting{busy: 100}
			require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", c.handler))
			sim.Spawn("device", des.Task, func(p *des.Proc) {
				l.Raise(p)
				p.Sleep(10)
				l.Raise(p) // while the handler runs: coalesced into one replay
				l.Raise(p)
			})
			r := sim.Run()
			modeltest.OK(t, r)
			assert.Equal(t, 2, c.calls)
			assert.Equal(t, 1, c.maxConcurrent, "one handler instance per line")
			assert.False(t, l.Pending())
		}
	}
}

func TestRaiseWhileDisabledIsDeliveredAtEnable(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := irq.NewLine(sim, "hda")
	c := &counting{}
	require.NoError(t, irq.RequestIRQ(nil, l, "snd_hda_intel", c.handler))
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		irq.DisableIRQ(p, l)
		l.Raise(p)
		p.Sleep(50)
		assert.Zero(t, c.calls, "no handler while disabled")
		assert.True(t, l.Pending(), "IRQS_PENDING")
		irq.DisableIRQNosync(p, l) // nesting: depth 2
		irq.EnableIRQ(p, l)
		p.Sleep(50)
		assert.Zero(t, c.calls, "still disabled at depth 1")
		irq.EnableIRQ(p, l)
		p.Sleep(50)
		assert.Equal(t, 1, c.calls, "resent at enable")
		assert.False(t, l.Pending())
	})
	r := sim.Run()
	modeltest.OK(t, r)
}

func TestDisableIRQWaitsForRunningHandlerNosyncDoesNot(t *testing.T) {
	for _, sync := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		l := irq.NewLine(sim, "gpu")
		c := &counting{busy: 100}
		require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", c.handler))
		var returned des.Time
		sim.Spawn("device", des.Task, func(p *des.Proc) { l.Raise(p) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			p.Sleep(10)
			if sync {
				irq.DisableIRQ(p, l)
			} else {
				irq.DisableIRQNosync(p, l)
			}
			returned = p.Now()
			assert.Equal(t, !sync, l.InProgress())
		})
		r := sim.Run()
		modeltest.OK(t, r)
		if sync {
			assert.Equal(t, des.Time(100), returned)
		} else {
			assert.Equal(t, des.Time(10), returned)
		}
	}
}

// waitUnderHandlersLock: the handler takes ih_lock; a task takes ih_lock, raises the line,
// lets the handler start spinning, then calls wait, with the lock held across it or dropped
// first.
func waitUnderHandlersLock(holdAcross bool, wait func(*des.Proc, *irq.Line)) (des.Result, *irq.Line) {
	sim := des.MustNew(des.Config{})
	l := irq.NewLine(sim, "gpu")
	lock := newSpinlock(sim, "ih_lock")
	if err := irq.RequestIRQ(nil, l, "amdgpu", func(p *des.Proc) irq.Return {
		lock.lock(p)
		lock.unlock(p)
		return irq.Handled
	}); err != nil {
		panic(err)
	}
	sim.Spawn("fini", des.Task, func(p *des.Proc) {
		lock.lock(p)
		l.Raise(p)
		p.Busy(10) // the handler starts and spins on ih_lock
		if !holdAcross {
			lock.unlock(p)
		}
		wait(p, l)
		if holdAcross {
			lock.unlock(p)
		}
	})
	return sim.Run(), l
}

// The handler takes a spinlock; the task holds it across synchronize_irq: the engine reports
// the deadlock with the wait-for chain. Dropping the lock first is the correct use.
func TestSynchronizeIRQHoldingWhatTheHandlerNeeds(t *testing.T) {
	r, _ := waitUnderHandlersLock(false, irq.SynchronizeHardIRQ)
	modeltest.OK(t, r)
	r, _ = waitUnderHandlersLock(true, irq.SynchronizeHardIRQ)
	modeltest.First(t, r, oracle.Deadlock, "waits for irq-inprogress:gpu held by irq/gpu", "waits for ih_lock held by fini")
}

func TestSynchronizeIRQInAtomicIsLockOrder(t *testing.T) {
	for _, hard := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		l := irq.NewLine(sim, "gpu")
		require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", (&counting{}).handler))
		lock := newSpinlock(sim, "lock")
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			lock.lock(p)
			if hard {
				irq.SynchronizeHardIRQ(p, l) // allowed with care in atomic context
			} else {
				irq.SynchronizeIRQ(p, l)
			}
			lock.unlock(p)
		})
		r := sim.Run()
		if hard {
			modeltest.OK(t, r)
			continue
		}
		modeltest.First(t, r, oracle.LockOrder, "sleeping function called from invalid context")
	}
}

// disable_irq from the line's own handler is reported by its might_sleep, then hangs spinning
// on its own IRQD_IRQ_INPROGRESS; disable_irq_nosync is the correct use.
func TestDisableIRQFromItsOwnHandlerIsLockOrderThenDeadlock(t *testing.T) {
	for _, nosync := range []bool{true, false} {
		sim := des.MustNew(des.Config{CollectAll: true})
		l := irq.NewLine(sim, "gpu")
		require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", func(p *des.Proc) irq.Return {
			if nosync {
				irq.DisableIRQNosync(p, l) // the correct way from a handler
			} else {
				irq.DisableIRQ(p, l)
			}
			return irq.Handled
		}))
		sim.Spawn("device", des.Task, func(p *des.Proc) { l.Raise(p) })
		r := sim.Run()
		if nosync {
			modeltest.OK(t, r)
			assert.True(t, l.Disabled())
			continue
		}
		require.Len(t, r.Violations, 2)
		assert.Equal(t, oracle.LockOrder, r.Violations[0].Kind)
		assert.Contains(t, r.Violations[0].Msg, "context: irq, atomic depth 0\ncall: disable_irq(gpu)")
		assert.Equal(t, oracle.Deadlock, r.Violations[1].Kind)
	}
}

// disable_irq under a spinlock the running handler needs: the kernel's might_sleep reports it
// before the wait that would deadlock (v6.2+). Dropping the lock first is the correct use.
func TestDisableIRQUnderSpinlockIsReportedBeforeItWaits(t *testing.T) {
	r, l := waitUnderHandlersLock(false, irq.DisableIRQ)
	modeltest.OK(t, r)
	assert.True(t, l.Disabled())
	r, _ = waitUnderHandlersLock(true, irq.DisableIRQ)
	modeltest.First(t, r, oracle.LockOrder, "context: task, atomic depth 1\ncall: disable_irq(gpu)")
}

func TestFreeIRQWaitsForHandlerThenRaiseIsSpurious(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := irq.NewLine(sim, "gpu")
	c := &counting{busy: 100}
	require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", c.handler))
	var freedAt des.Time
	sim.Spawn("device", des.Task, func(p *des.Proc) {
		l.Raise(p)
		p.Sleep(200)
		l.Raise(p) // after free_irq
	})
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		p.Sleep(10)
		irq.FreeIRQ(p, l)
		freedAt = p.Now()
		assert.False(t, l.InProgress())
		assert.False(t, l.Requested())
	})
	r := sim.Run()
	modeltest.OK(t, r)
	assert.Equal(t, des.Time(100), freedAt, "free_irq waits for the running handler")
	assert.Equal(t, irq.Stats{Handled: 1, Spurious: 1}, l.Stats())
}

func TestRequestIRQTwiceIsBusy(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := irq.NewLine(sim, "gpu")
	h := (&counting{}).handler
	require.NoError(t, irq.RequestIRQ(nil, l, "a", h))
	assert.ErrorIs(t, irq.RequestIRQ(nil, l, "b", h), irq.ErrBusy)
	irq.FreeIRQ(nil, l)
	assert.NoError(t, irq.RequestIRQ(nil, l, "b", h))
}

func TestRequestIRQInAtomicIsLockOrder(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := irq.NewLine(sim, "gpu")
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		p.EnterAtomic()
		_ = irq.RequestIRQ(p, l, "a", (&counting{}).handler)
	})
	r := sim.Run()
	modeltest.First(t, r, oracle.LockOrder)
}

// free_irq from atomic context is one report (its might_sleep), not one per sleeping step.
func TestFreeIRQInAtomicIsOneLockOrder(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		sim := des.MustNew(des.Config{CollectAll: true})
		l := irq.NewLine(sim, "gpu")
		require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", (&counting{}).handler))
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			if atomic {
				p.EnterAtomic()
				defer p.ExitAtomic()
			}
			irq.FreeIRQ(p, l)
		})
		r := sim.Run()
		if !atomic {
			modeltest.OK(t, r)
			continue
		}
		require.Len(t, r.Violations, 1)
		assert.Equal(t, oracle.LockOrder, r.Violations[0].Kind)
		assert.Contains(t, r.Violations[0].Msg, "free_irq(gpu)")
	}
}

func TestUnbalancedEnableAndDoubleFreePanic(t *testing.T) {
	for _, op := range []func(p *des.Proc, l *irq.Line){irq.EnableIRQ, irq.FreeIRQ} {
		sim := des.MustNew(des.Config{})
		l := irq.NewLine(sim, "gpu")
		sim.Spawn("t", des.Task, func(p *des.Proc) { op(p, l) })
		r := sim.Run()
		modeltest.First(t, r, oracle.Panic)
	}
}

func TestUnhandledIsCounted(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := irq.NewLine(sim, "gpu")
	require.NoError(t, irq.RequestIRQ(nil, l, "other", func(*des.Proc) irq.Return { return irq.None }))
	sim.Spawn("device", des.Task, func(p *des.Proc) { l.Raise(p) })
	r := sim.Run()
	modeltest.OK(t, r)
	assert.Equal(t, irq.Stats{Unhandled: 1}, l.Stats())
}

// handle_edge_irq replays a raise that came while the handler ran without letting
// synchronize_irq see the line idle in between: IRQD_IRQ_INPROGRESS is cleared and set again
// under desc->lock, which __synchronize_hardirq re-checks. So synchronize_irq returns only
// after the replay, and no handler runs after it returns.
func TestSynchronizeIRQWaitsForTheReplay(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "pct:3"} {
		for seed := uint64(0); seed < 20; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat})
			l := irq.NewLine(sim, "gpu")
			c := &counting{busy: 100}
			synced, late := false, 0
			require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", func(p *des.Proc) irq.Return {
				if synced {
					late++
				}
				return c.handler(p)
			}))
			var returned des.Time
			sim.Spawn("device", des.Task, func(p *des.Proc) { l.Raise(p); p.Sleep(10); l.Raise(p) })
			sim.Spawn("fini", des.Task, func(p *des.Proc) {
				p.Sleep(20)
				irq.SynchronizeIRQ(p, l)
				synced, returned = true, p.Now()
			})
			r := sim.Run()
			modeltest.OK(t, r)
			assert.Equal(t, 2, c.calls, "%s seed %d", strat, seed)
			assert.Zero(t, late, "%s seed %d: handler ran after synchronize_irq returned", strat, seed)
			assert.Equal(t, des.Time(200), returned, "%s seed %d", strat, seed)
		}
	}
}

// free_irq shuts the line down (irq_shutdown: depth 1), so one enable_irq after it is balanced
// and a second one is the kernel's "Unbalanced enable" WARN; request_irq starts the line at
// depth 0 again.
func TestFreeIRQLeavesDepthOne(t *testing.T) {
	free, req := func(p *des.Proc, l *irq.Line) { irq.FreeIRQ(p, l) }, func(p *des.Proc, l *irq.Line) {
		_ = irq.RequestIRQ(p, l, "again", (&counting{}).handler)
	}
	for _, tc := range []struct {
		name  string
		ops   []func(p *des.Proc, l *irq.Line)
		panic bool
	}{
		{"free-enable", []func(*des.Proc, *irq.Line){free, irq.EnableIRQ}, false},
		{"disable-free-enable", []func(*des.Proc, *irq.Line){irq.DisableIRQ, free, irq.EnableIRQ}, false},
		{"disable2-free-enable2", []func(*des.Proc, *irq.Line){irq.DisableIRQ, irq.DisableIRQ, free, irq.EnableIRQ, irq.EnableIRQ}, true},
		{"free-request-enable", []func(*des.Proc, *irq.Line){free, req, irq.EnableIRQ}, true},
	} {
		sim := des.MustNew(des.Config{})
		l := irq.NewLine(sim, "gpu")
		require.NoError(t, irq.RequestIRQ(nil, l, "amdgpu", (&counting{}).handler))
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			for _, op := range tc.ops {
				op(p, l)
			}
		})
		r := sim.Run()
		if !tc.panic {
			assert.True(t, r.OK(), "%s: %v", tc.name, r.Violations)
			continue
		}
		require.NotNil(t, r.First(), tc.name)
		assert.Equal(t, oracle.Panic, r.First().Kind, tc.name)
		assert.Contains(t, r.First().Msg, "Unbalanced enable", tc.name)
	}
}
