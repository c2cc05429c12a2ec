package timer_test

import (
	"flag"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/oracle"
	"hotplugsim/model/timer"
)

// sweepStrategies are the exploring strategies the schedule sweeps below run.
var sweepStrategies = []string{"random", "random:2ns", "pct:2", "pct:3"}

// sweepSeeds is how many seeds each strategy runs (go test -args -sweep-seeds=N for more).
var sweepSeeds = flag.Uint64("sweep-seeds", 300, "seeds per strategy of the timer schedule sweeps")

// sweep runs build under every strategy and seed and returns the runs that went wrong, as
// "strategy seed N: what": a violation, or what check (build's result, called after the run)
// says ("" if nothing).
func sweep(build func(sim *des.Sim) (check func() string)) []string {
	var bad []string
	for _, strat := range sweepStrategies {
		for seed := uint64(0); seed < *sweepSeeds; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat, NoTape: true})
			check := build(sim)
			r := sim.Run()
			what := ""
			if !r.OK() {
				what = r.First().String()
			} else if check != nil {
				what = check()
			}
			if what != "" {
				bad = append(bad, fmt.Sprintf("%s seed %d: %s", strat, seed, what))
			}
		}
	}
	return bad
}

// first is the first few of bad, for a failure message.
func first(bad []string) []string { return bad[:min(len(bad), 5)] }

// watchdog is a driver object embedding its timer: teardown stops the timer with
// del_timer_sync and frees the object, timer included.
type watchdog struct {
	kasan.Obj
	tm    *timer.Timer
	polls int
}

func newWatchdog(sim *des.Sim) *watchdog {
	w := &watchdog{}
	w.Alloc(sim, nil, "watchdog")
	w.tm = timer.TimerSetup(sim, "watchdog", func(p *des.Proc, tm *timer.Timer) {
		if w.Use(p, "watchdog_fn") { // container_of(tm, struct watchdog, timer)
			w.polls++
		}
	})
	return w
}

// The timer expires at the very moment teardown runs: under some schedules its softirq
// process is spawned but has not started the callback when del_timer_sync runs. Once
// del_timer_sync returns, the callback may be neither pending, nor running, nor about to run
// (kernel/time/timer.c: expire_timers detaches the timer and sets base->running_timer under
// the base lock, so __try_to_del_timer_sync sees it as pending or as running, never in
// between), so freeing the object after it is safe under every schedule.
func TestDelTimerSyncStopsAnExpiredCallbackNotYetStarted(t *testing.T) {
	outcomes := map[string]int{}
	bad := sweep(func(sim *des.Sim) func() string {
		w := newWatchdog(sim)
		var state string
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			timer.ModTimer(p, w.tm, 10)
			p.Sleep(10) // wakes with the timer's expiry
			was := timer.DelTimerSync(p, w.tm)
			state = fmt.Sprintf("del_timer_sync=%v pending=%v running=%v polls=%d",
				was, w.tm.Pending(), w.tm.Running(), w.polls)
			w.tm.Free(p)
			w.Free(p)
		})
		return func() string {
			switch state {
			case "del_timer_sync=true pending=false running=false polls=0":
				outcomes["cancelled"]++ // pending, or expired and not started: it never runs
			case "del_timer_sync=false pending=false running=false polls=1":
				outcomes["ran"]++ // the callback ran (del_timer_sync may have waited for it)
			default:
				return "after del_timer_sync: " + state
			}
			return ""
		}
	})
	require.Empty(t, bad, "%d runs went wrong; first: %v", len(bad), first(bad))
	assert.NotZero(t, outcomes["cancelled"], "some schedule cancels the timer")
	assert.NotZero(t, outcomes["ran"], "some schedule runs it first")
}

// The same race through del_timer: it disarms an expired callback that has not started, so
// the callback does not run afterwards (timer_delete's detach_if_pending), and reports it.
func TestDelTimerCancelsAnExpiredCallbackNotYetStarted(t *testing.T) {
	bad := sweep(func(sim *des.Sim) func() string {
		runs, was := 0, false
		tm := timer.TimerSetup(sim, "t", func(*des.Proc, *timer.Timer) { runs++ })
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			timer.ModTimer(p, tm, 10)
			p.Sleep(10)
			was = timer.DelTimer(p, tm)
		})
		return func() string {
			if was && runs != 0 {
				return fmt.Sprintf("del_timer returned true, yet the callback ran %d times", runs)
			}
			if !was && runs != 1 {
				return fmt.Sprintf("del_timer returned false, and the callback ran %d times", runs)
			}
			return ""
		}
	})
	require.Empty(t, bad, "%d runs went wrong; first: %v", len(bad), first(bad))
}

// mod_timer on an expired callback that has not started moves it to the new expiry: it runs
// once, at the new time, not at both.
func TestModTimerRearmsAnExpiredCallbackNotYetStarted(t *testing.T) {
	bad := sweep(func(sim *des.Sim) func() string {
		var at []des.Time
		was := false
		tm := timer.TimerSetup(sim, "t", func(p *des.Proc, _ *timer.Timer) { at = append(at, p.Now()) })
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			timer.ModTimer(p, tm, 10)
			p.Sleep(10)
			was = timer.ModTimer(p, tm, 30)
		})
		return func() string {
			runs := 2 // the old expiry ran (or had started) and the new one runs
			if was {
				runs = 1 // pending when re-armed: only the new expiry runs
			}
			if len(at) != runs || at[len(at)-1] < 30 {
				return fmt.Sprintf("mod_timer returned %v; the callback ran at %v", was, at)
			}
			return ""
		}
	})
	require.Empty(t, bad, "%d runs went wrong; first: %v", len(bad), first(bad))
}

// A self-re-arming timer stopped by del_timer_sync at any point: afterwards it is neither
// pending nor running and never runs again, so the object that embeds it can go.
func TestDelTimerSyncStopsASelfRearmingTimer(t *testing.T) {
	bad := sweep(func(sim *des.Sim) func() string {
		w := &watchdog{}
		w.Alloc(sim, nil, "poller")
		var tm *timer.Timer
		tm = timer.TimerSetup(sim, "poll", func(p *des.Proc, _ *timer.Timer) {
			if !w.Use(p, "poll_fn") {
				return
			}
			w.polls++
			p.Busy(3)
			timer.ModTimer(p, tm, p.Now().Add(2))
		})
		timer.ModTimer(nil, tm, 5)
		var state string
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			p.Sleep(des.Duration(5 + sim.Seed()%20))
			timer.DelTimerSync(p, tm)
			if tm.Pending() || tm.Running() {
				state = fmt.Sprintf("after del_timer_sync: pending=%v running=%v", tm.Pending(), tm.Running())
			}
			tm.Free(p)
			w.Free(p)
		})
		return func() string { return state }
	})
	require.Empty(t, bad, "%d runs went wrong; first: %v", len(bad), first(bad))
}

// Freeing a timer that is armed or has expired but not run (without del_timer_sync) is a
// use-after-free when its callback comes: only del_timer_sync makes freeing safe.
func TestFreeTimerThatHasNotRunIsUseAfterFree(t *testing.T) {
	for seed := uint64(0); seed < 50; seed++ {
		sim := des.MustNew(des.Config{Seed: seed, Strategy: "random", NoTape: true})
		tm := timer.TimerSetup(sim, "t", func(*des.Proc, *timer.Timer) {})
		freed := false
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			timer.ModTimer(p, tm, 10)
			p.Sleep(10)
			if tm.Fired() == 0 && !tm.Running() {
				tm.Free(p)
				freed = true
			}
		})
		r := sim.Run()
		if !freed {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First(), "seed %d", seed)
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
		assert.Contains(t, r.First().Msg, "slab-use-after-free in call_timer_fn\n")
	}
}
