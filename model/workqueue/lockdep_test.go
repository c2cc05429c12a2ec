package workqueue_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	wqm "hotplugsim/model/workqueue"
)

// Flushing or cancelling a work while holding a mutex the work takes: lockdep reports the
// inversion through the work's lockdep map. Dropping the mutex first is the correct use.
func TestFlushWhileHoldingWhatTheWorkTakes(t *testing.T) {
	for _, op := range []string{"flush_work", "cancel_work_sync"} {
		for _, hold := range []bool{false, true} {
			sim := des.MustNew(des.Config{})
			wq := wqm.AllocWorkqueue(sim, "events", 0)
			m := lock.NewMutex(sim, "adev->reset_lock")
			w := wqm.InitWork(sim, "reset_work", func(p *des.Proc, _ *wqm.Work) {
				m.Lock(p)
				p.Sleep(5)
				m.Unlock(p)
			})
			sim.Spawn("remove", des.Task, func(p *des.Proc) {
				m.Lock(p)
				wqm.QueueWork(p, wq, w)
				if !hold {
					m.Unlock(p)
				}
				if op == "flush_work" {
					wqm.FlushWork(p, w)
				} else {
					wqm.CancelWorkSync(p, w)
				}
				if hold {
					m.Unlock(p)
				}
			})
			r := sim.Run()
			if !hold {
				require.True(t, r.OK(), r.Violations)
				continue
			}
			require.NotNil(t, r.First(), op)
			assert.Equal(t, oracle.LockOrder, r.First().Kind, op)
		}
	}
}

// flush_workqueue from a work item of the same workqueue waits for itself.
func TestFlushWorkqueueFromItsOwnWork(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocOrderedWorkqueue(sim, "ord")
	w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) { wqm.FlushWorkqueue(p, wq) })
	sim.Spawn("q", des.Task, func(p *des.Proc) { wqm.QueueWork(p, wq, w) })
	r := sim.Run()
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.LockOrder, r.First().Kind)
}
