package timer_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/timer"
)

// timer_delete and timer_delete_sync read the timer (timer->entry, its lockdep map and
// flags): deleting a timer whose object is already freed is a use-after-free.
func TestDeleteFreedTimerIsUseAfterFree(t *testing.T) {
	dels := map[string]func(*des.Proc, *timer.Timer) bool{
		"del_timer":      timer.DelTimer,
		"del_timer_sync": timer.DelTimerSync,
	}
	for _, name := range []string{"del_timer", "del_timer_sync"} {
		for _, freeFirst := range []bool{false, true} {
			sim := des.MustNew(des.Config{})
			tm := timer.TimerSetup(sim, "t", func(*des.Proc, *timer.Timer) {})
			sim.Spawn("remove", des.Task, func(p *des.Proc) {
				timer.ModTimer(p, tm, 100)
				if freeFirst {
					tm.Free(p)
					dels[name](p, tm)
					return
				}
				dels[name](p, tm)
				tm.Free(p)
			})
			r := sim.Run()
			if !freeFirst {
				require.True(t, r.OK(), "%s: %v", name, r.Violations)
				continue
			}
			require.NotNil(t, r.First(), name)
			assert.Equal(t, oracle.UseAfterFree, r.First().Kind, name)
			assert.Contains(t, r.First().Msg, name, name)
		}
	}
}

// A timer re-armed while its callback runs and then freed without del_timer_sync expires
// on freed memory, even though its previous callback is still running: that expiry is a
// use-after-free as much as the first one would be.
func TestFreedTimerExpiringWhileItsCallbackRunsIsUseAfterFree(t *testing.T) {
	for _, sync := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		runs := 0
		tm := timer.TimerSetup(sim, "t", func(p *des.Proc, _ *timer.Timer) { runs++; p.Busy(20) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			timer.ModTimer(p, tm, 10)
			p.Sleep(15)               // the callback runs until 30
			timer.ModTimer(p, tm, 18) // expires while it still runs
			if sync {
				timer.DelTimerSync(p, tm)
			}
			tm.Free(p)
		})
		r := sim.Run()
		if sync {
			require.True(t, r.OK(), r.Violations)
			assert.Equal(t, 1, runs)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
		assert.Contains(t, r.First().Msg, "slab-use-after-free in call_timer_fn\n")
		assert.Equal(t, 1, runs, "the callback does not run on the freed timer")
	}
}

// A callback that re-arms its timer for an expiry that passes before it returns: the kernel
// clears base->running_timer after each callback, and when the re-armed timer is for the next
// tick (or on PREEMPT_RT, where timer_sync_wait_running lets a waiter in) timer_delete_sync
// gets in between and takes the pending timer off. It must not have to wait for the chain of
// re-runs to end by itself. (Fixed priorities, as pct gives, can still starve it: so can a
// non-RT kernel whose callback outlasts its own re-arm period.)
func TestDelTimerSyncIsNotStarvedBySelfRearmingCallback(t *testing.T) {
	cancelled, bad := 0, []string(nil)
	for _, strat := range []string{"random", "random:2ns"} {
		for seed := uint64(0); seed < *sweepSeeds; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat, NoTape: true})
			var tm *timer.Timer
			tm = timer.TimerSetup(sim, "poll", func(p *des.Proc, _ *timer.Timer) {
				timer.ModTimer(p, tm, p.Now()) // due again at once
				p.Busy(10)
			})
			timer.ModTimer(nil, tm, 5)
			returned := false
			sim.Spawn("remove", des.Task, func(p *des.Proc) {
				p.Sleep(8)
				if timer.DelTimerSync(p, tm) {
					cancelled++
				}
				returned = !tm.Pending() && !tm.Running()
			})
			r := sim.Run()
			if !r.OK() || !returned || tm.Fired() > 64 {
				bad = append(bad, fmt.Sprintf("%s seed %d: ok=%v returned=%v fired=%d",
					strat, seed, r.OK(), returned, tm.Fired()))
			}
		}
	}
	require.Empty(t, bad, "%d runs went wrong; first: %v", len(bad), first(bad))
	assert.NotZero(t, cancelled, "some schedule cancels the re-armed timer between runs")
}

// timer_delete_sync WARNs in hard-irq context unless the timer is TIMER_IRQSAFE (which the
// model has not): waiting there for a softirq callback can deadlock the CPU.
func TestDelTimerSyncInHardirqWarns(t *testing.T) {
	for _, kind := range []des.Kind{des.Task, des.IRQ} {
		sim := des.MustNew(des.Config{})
		tm := timer.TimerSetup(sim, "t", func(*des.Proc, *timer.Timer) {})
		timer.ModTimer(nil, tm, 100)
		sim.Spawn("caller", kind, func(p *des.Proc) { timer.DelTimerSync(p, tm) })
		r := sim.Run()
		if kind == des.Task {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.Panic, r.First().Kind)
		assert.Contains(t, r.First().Msg, "in_hardirq")
	}
}
