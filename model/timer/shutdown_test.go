package timer_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/timer"
)

// After timer_shutdown_sync every arming is silently ignored (mod_timer returns 0), where
// after del_timer_sync the timer can be armed again.
func TestModTimerAfterShutdownIsIgnored(t *testing.T) {
	for _, shutdown := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		runs := 0
		tm := timer.TimerSetup(sim, "t", func(*des.Proc, *timer.Timer) { runs++ })
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			timer.ModTimer(p, tm, 10)
			if shutdown {
				assert.True(t, timer.TimerShutdownSync(p, tm))
			} else {
				assert.True(t, timer.DelTimerSync(p, tm))
			}
			assert.False(t, timer.ModTimer(p, tm, 20))
			assert.Equal(t, !shutdown, tm.Pending())
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		assert.Equal(t, map[bool]int{false: 1, true: 0}[shutdown], runs, "shutdown=%v", shutdown)
	}
}

// timer_shutdown does not wait for a running callback, but the callback's re-arm after it is
// ignored: the timer is not pending once the callback returns.
func TestTimerShutdownStopsTheCallbacksRearm(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var tm *timer.Timer
	tm = timer.TimerSetup(sim, "t", func(p *des.Proc, _ *timer.Timer) {
		p.Busy(10)
		timer.ModTimer(p, tm, p.Now().Add(5))
	})
	timer.ModTimer(nil, tm, 10)
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		p.Sleep(15)
		assert.False(t, timer.TimerShutdown(p, tm))
		assert.True(t, tm.Running(), "timer_shutdown does not wait")
		p.Sleep(10)
		assert.False(t, tm.Pending())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, tm.Fired())
}

// A timer whose callback re-arms it and a teardown that stops it with timer_shutdown_sync at
// any moment: afterwards it is neither pending nor running and never runs again, even though
// the callback keeps calling mod_timer (the circular timer/work case timer_shutdown_sync is
// for).
func TestTimerShutdownSyncStopsASelfRearmingTimer(t *testing.T) {
	bad := sweep(func(sim *des.Sim) func() string {
		var tm *timer.Timer
		var state string
		shut := false
		tm = timer.TimerSetup(sim, "poll", func(p *des.Proc, _ *timer.Timer) {
			if shut {
				state = "the callback of a shut-down timer ran"
			}
			timer.ModTimer(p, tm, p.Now()) // due again at once
			p.Busy(3)
		})
		timer.ModTimer(nil, tm, 5)
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			p.Sleep(des.Duration(5 + sim.Seed()%20))
			shut = true // no scheduling point before timer_shutdown_sync sets function = NULL
			timer.TimerShutdownSync(p, tm)
			fired := tm.Fired()
			p.Sleep(50)
			if state == "" && (tm.Pending() || tm.Running() || tm.Fired() != fired) {
				state = fmt.Sprintf("after timer_shutdown_sync: pending=%v running=%v runs %d -> %d",
					tm.Pending(), tm.Running(), fired, tm.Fired())
			}
			tm.Free(p)
		})
		return func() string { return state }
	})
	require.Empty(t, bad, "%d runs went wrong; first: %v", len(bad), first(bad))
}

// timer_shutdown_sync follows timer_delete_sync's rules: holding a lock the callback takes is
// a lockdep report, calling it in hard-irq context a WARN, on a freed timer a use-after-free.
func TestTimerShutdownSyncRules(t *testing.T) {
	for _, bug := range []string{"", "hold", "hardirq", "freed"} {
		sim := des.MustNew(des.Config{})
		l := lock.NewSpinLock(sim, "ring_lock")
		tm := timer.TimerSetup(sim, "t", func(p *des.Proc, _ *timer.Timer) { l.Lock(p); l.Unlock(p) })
		kind := map[bool]des.Kind{false: des.Task, true: des.IRQ}[bug == "hardirq"]
		expires := des.Time(10)
		if bug == "hardirq" {
			expires = 100 // the callback has not run: only the WARN can tell
		}
		timer.ModTimer(nil, tm, expires)
		sim.Spawn("fini", kind, func(p *des.Proc) {
			p.Busy(20) // the callback at 10 has run: lockdep knows timer -> ring_lock
			if bug == "freed" {
				tm.Free(p)
			}
			if bug == "hold" {
				l.Lock(p)
				defer l.Unlock(p)
			}
			timer.TimerShutdownSync(p, tm)
		})
		r := sim.Run()
		want := map[string]des.ViolationKind{
			"hold": oracle.LockOrder, "hardirq": oracle.Panic, "freed": oracle.UseAfterFree,
		}[bug]
		if want == "" {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First(), bug)
		assert.Equal(t, want, r.First().Kind, bug)
	}
}
