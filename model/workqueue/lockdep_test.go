package workqueue_test

import (
	"fmt"
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

// Lockdep keys a work's class by its INIT_WORK site, so the same work of two devices is one
// class: gpu1's reset work taking its reset lock, then gpu0's remove flushing its own reset
// work under its reset lock (another instance of the same class), is the inversion the kernel
// reports, although gpu0's work never took the lock in this run. With a class per instance
// (InitWork) the two never meet and the bug waits for an unlucky run on one device.
func TestWorkClassIsSharedByItsInitSite(t *testing.T) {
	for _, shared := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		var wqs [2]*wqm.Workqueue // one per device, so that only the work class links them
		var locks [2]*lock.Mutex
		var works [2]*wqm.Work
		for i := range 2 {
			wqs[i] = wqm.AllocWorkqueue(sim, fmt.Sprintf("gpu%d-reset", i), 0)
			m := lock.NewMutex(sim, "&adev->reset_lock")
			busy := i == 1 // only gpu1's reset has something to do in this run
			fn := func(p *des.Proc, _ *wqm.Work) {
				if busy {
					m.Lock(p)
					defer m.Unlock(p)
				}
				p.Sleep(5)
			}
			name := fmt.Sprintf("gpu%d.reset_work", i)
			if shared {
				works[i] = wqm.InitWorkKey(sim, name, "(&adev->reset_work)", fn)
			} else {
				works[i] = wqm.InitWork(sim, name, fn)
			}
			locks[i] = m
		}
		sim.Spawn("gpu1-reset", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wqs[1], works[1])
			wqm.FlushWork(p, works[1]) // not under any lock: fine on its own
		})
		sim.Spawn("gpu0-remove", des.Task, func(p *des.Proc) {
			p.Sleep(100) // after gpu1's reset work has run
			locks[0].Lock(p)
			wqm.QueueWork(p, wqs[0], works[0])
			wqm.FlushWork(p, works[0])
			locks[0].Unlock(p)
		})
		r := sim.Run()
		if !shared {
			require.True(t, r.OK(), "per-instance classes never meet: %v", r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.LockOrder, r.First().Kind)
	}
}
