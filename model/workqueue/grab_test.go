package workqueue_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	wqm "hotplugsim/model/workqueue"
)

// mod_delayed_work and cancel_delayed_work of one armed item at once: both try_to_grab_pending,
// one wins the del_timer and the other retries (-EAGAIN), whatever the interleaving. Neither
// spins for good, as they would on a work a draining workqueue refused.
func TestConcurrentModAndCancelOfADelayedWork(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "pct:3"} {
		for seed := uint64(0); seed < 50; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat})
			wq := wqm.SystemWQ(sim)
			dw := wqm.InitDelayedWork(sim, "tdr", func(*des.Proc, *wqm.Work) {})
			sim.Spawn("armer", des.Task, func(p *des.Proc) {
				wqm.ModDelayedWork(p, wq, dw, 1000)
				wqm.ModDelayedWork(p, wq, dw, 1000)
			})
			sim.Spawn("canceller", des.Task, func(p *des.Proc) { wqm.CancelDelayedWork(p, dw) })
			r := sim.Run()
			require.True(t, r.OK(), "%s seed %d: %v", strat, seed, r.Violations)
		}
	}
}

// Two tasks pushing one TDR out at once (mod_delayed_work from two submissions): the grab that
// loses waits for the winner to arm the timer again, however long the strategy keeps the
// winner off the CPU, and the work runs once, after the last push.
func TestConcurrentModsOfADelayedWork(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "pct:3", "pct:3:40"} {
		for seed := uint64(0); seed < 100; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat})
			wq := wqm.SystemWQ(sim)
			runs := 0
			dw := wqm.InitDelayedWork(sim, "tdr", func(*des.Proc, *wqm.Work) { runs++ })
			for _, name := range []string{"submit0", "submit1", "submit2"} {
				sim.Spawn(name, des.Task, func(p *des.Proc) {
					for range 3 {
						wqm.ModDelayedWork(p, wq, dw, 1000)
					}
				})
			}
			r := sim.Run()
			require.True(t, r.OK(), "%s seed %d: %v", strat, seed, r.Violations)
			require.Equal(t, 1, runs, "%s seed %d", strat, seed)
		}
	}
}
