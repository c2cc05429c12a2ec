package timer_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/timer"
)

func TestModTimerFiresInSoftirqContext(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var at []des.Time
	var kinds []des.Kind
	tm := timer.TimerSetup(sim, "watchdog", func(p *des.Proc, _ *timer.Timer) {
		at = append(at, p.Now())
		kinds = append(kinds, p.Kind())
	})
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		assert.False(t, timer.ModTimer(p, tm, 100))
		assert.True(t, tm.Pending())
		assert.True(t, timer.ModTimer(p, tm, 50), "pending: re-armed earlier")
		p.Sleep(60)
		assert.False(t, tm.Pending())
		timer.ModTimer(p, tm, p.Now().Add(40))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []des.Time{50, 100}, at)
	assert.Equal(t, []des.Kind{des.Timer, des.Timer}, kinds)
	assert.Equal(t, des.Time(100), r.End)
}

func TestSleepingCallbackIsLockOrder(t *testing.T) {
	sim := des.MustNew(des.Config{})
	tm := timer.TimerSetup(sim, "bad", func(p *des.Proc, _ *timer.Timer) { p.Sleep(1) })
	timer.ModTimer(nil, tm, 10)
	r := sim.Run()
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.LockOrder, r.First().Kind)
}

func TestDelTimerDisarmsButDoesNotWait(t *testing.T) {
	sim := des.MustNew(des.Config{})
	runs := 0
	tm := timer.TimerSetup(sim, "t", func(p *des.Proc, _ *timer.Timer) { runs++; p.Busy(20) })
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		timer.ModTimer(p, tm, 100)
		assert.True(t, timer.DelTimer(p, tm))
		assert.False(t, timer.DelTimer(p, tm))
		timer.ModTimer(p, tm, 10)
		p.Sleep(15)
		assert.False(t, timer.DelTimer(p, tm), "expired")
		assert.True(t, tm.Running(), "del_timer does not wait")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, runs)
	assert.Equal(t, des.Time(30), r.End, "the cancelled 100ns expiry does not keep the run alive")
}

func TestDelTimerSyncWaitsForRunningCallback(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "pct:3"} {
		for seed := uint64(0); seed < 20; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat})
			tm := timer.TimerSetup(sim, "t", func(p *des.Proc, _ *timer.Timer) { p.Busy(20) })
			sim.Spawn("t", des.Task, func(p *des.Proc) {
				timer.ModTimer(p, tm, 10)
				p.Sleep(15)
				timer.DelTimerSync(p, tm)
				assert.False(t, tm.Running())
				assert.False(t, tm.Pending())
			})
			r := sim.Run()
			require.True(t, r.OK(), r.Violations)
		}
	}
}

// A timer that re-arms itself while running never runs twice at once, and del_timer_sync
// after the re-arming stopped waits for the last run.
func TestSelfRearmingTimerRunsOneAtATime(t *testing.T) {
	sim := des.MustNew(des.Config{Strategy: "random", Seed: 3})
	running, maxRunning, runs := 0, 0, 0
	var tm *timer.Timer
	tm = timer.TimerSetup(sim, "poll", func(p *des.Proc, _ *timer.Timer) {
		running++
		maxRunning = max(maxRunning, running)
		runs++
		if runs < 5 {
			timer.ModTimer(p, tm, p.Now()) // due at once, while still running
		}
		p.Busy(10)
		running--
	})
	timer.ModTimer(nil, tm, 5)
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, maxRunning)
	assert.Equal(t, 5, runs)
}

// del_timer_sync from the timer's own callback waits for itself.
func TestDelTimerSyncFromItsOwnCallback(t *testing.T) {
	for _, self := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		other := timer.TimerSetup(sim, "other", func(*des.Proc, *timer.Timer) {})
		var tm *timer.Timer
		tm = timer.TimerSetup(sim, "t", func(p *des.Proc, _ *timer.Timer) {
			if self {
				timer.DelTimerSync(p, tm)
			} else {
				timer.DelTimerSync(p, other) // allowed from softirq for another timer
			}
		})
		timer.ModTimer(nil, tm, 10)
		r := sim.Run()
		if !self {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.LockOrder, r.First().Kind, "lockdep: recursive locking of the timer map")
	}
}

// del_timer_sync while holding a lock the callback takes: lockdep reports it through the
// timer's lockdep map, even in a run where the timer never contends.
func TestDelTimerSyncHoldingWhatTheCallbackTakes(t *testing.T) {
	for _, hold := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		l := lock.NewSpinLock(sim, "ring_lock")
		tm := timer.TimerSetup(sim, "fence_fallback", func(p *des.Proc, _ *timer.Timer) {
			l.Lock(p)
			l.Unlock(p)
		})
		sim.Spawn("fini", des.Task, func(p *des.Proc) {
			timer.ModTimer(p, tm, 10)
			p.Sleep(20) // the callback has run once: lockdep knows timer -> ring_lock
			timer.ModTimer(p, tm, 100)
			l.Lock(p)
			if !hold {
				l.Unlock(p)
			}
			timer.DelTimerSync(p, tm)
			if hold {
				l.Unlock(p)
			}
		})
		r := sim.Run()
		if !hold {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.LockOrder, r.First().Kind)
	}
}

// Freeing the object that embeds an armed timer: the callback runs on freed memory. The
// correct teardown is del_timer_sync, then free.
func TestFreeArmedTimerIsUseAfterFree(t *testing.T) {
	for _, sync := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		tm := timer.TimerSetup(sim, "hda_jack_poll", func(*des.Proc, *timer.Timer) {})
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			timer.ModTimer(p, tm, 100)
			p.Sleep(10)
			if sync {
				timer.DelTimerSync(p, tm)
			}
			tm.Free(p)
		})
		r := sim.Run()
		if sync {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
		assert.Contains(t, r.First().Msg, "slab-use-after-free in call_timer_fn\n")
	}
}
