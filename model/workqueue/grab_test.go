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
