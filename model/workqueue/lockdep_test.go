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

// start_flush_work annotates only when there is an instance to wait for (v6.16
// kernel/workqueue.c): flushing an idle work under a lock its function takes links nothing,
// flushing it while it is queued is the inversion.
func TestFlushAnnotatesOnlyAnInstanceToWaitFor(t *testing.T) {
	for _, queued := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocWorkqueue(sim, "events", 0)
		m := lock.NewMutex(sim, "&adev->reset_lock")
		w := wqm.InitWork(sim, "reset_work", func(p *des.Proc, _ *wqm.Work) {
			m.Lock(p)
			m.Unlock(p)
		})
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wq, w)
			wqm.FlushWork(p, w) // lockdep has seen (work_completion)reset_work -> reset_lock
			m.Lock(p)
			if queued {
				wqm.QueueWork(p, wq, w)
			}
			wqm.FlushWork(p, w)
			m.Unlock(p)
		})
		r := sim.Run()
		if !queued {
			require.True(t, r.OK(), "an idle work has no barrier to annotate: %v", r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.LockOrder, r.First().Kind)
	}
}

// Flushing one item under a lock that another item of the same workqueue takes: on an ordered
// workqueue the flushed item waits behind the other, which waits for the lock, and lockdep
// reports it through the workqueue's map; on a concurrent workqueue the items do not wait for
// each other and the workqueue's map is not touched. cancel_work_sync never touches it.
func TestFlushTouchesTheWorkqueueMapOnlyWhenOrdered(t *testing.T) {
	for _, tc := range []struct {
		ordered, cancel, want bool
	}{
		{ordered: false, want: false},
		{ordered: true, want: true},
		{ordered: true, cancel: true, want: false},
	} {
		name := fmt.Sprintf("ordered=%v cancel=%v", tc.ordered, tc.cancel)
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocWorkqueue(sim, "events", 0)
		if tc.ordered {
			wq = wqm.AllocOrderedWorkqueue(sim, "ordered")
		}
		m := lock.NewMutex(sim, "&adev->lock")
		takes := wqm.InitWork(sim, "takes_lock", func(p *des.Proc, _ *wqm.Work) {
			m.Lock(p)
			m.Unlock(p)
		})
		other := wqm.InitWork(sim, "other", func(p *des.Proc, _ *wqm.Work) { p.Sleep(10) })
		sim.Spawn("warmup", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wq, takes) // lockdep sees the workqueue's map -> adev->lock
		})
		sim.Spawn("flusher", des.Task, func(p *des.Proc) {
			p.Sleep(100)
			wqm.QueueWork(p, wq, other)
			p.Sleep(1) // other is running
			m.Lock(p)
			if tc.cancel {
				wqm.CancelWorkSync(p, other)
			} else {
				wqm.FlushWork(p, other)
			}
			m.Unlock(p)
		})
		r := sim.Run()
		if !tc.want {
			require.True(t, r.OK(), "%s: %v", name, r.Violations)
			continue
		}
		require.NotNil(t, r.First(), name)
		assert.Equal(t, oracle.LockOrder, r.First().Kind, name)
		assert.Contains(t, r.First().Msg, "(wq_completion)ordered", name)
	}
}

// cancel_work_sync annotates the work's map only when the work is still executing after it
// took PENDING: a pending instance (here, its timer still armed) is removed and nothing is
// waited for.
func TestCancelAnnotatesOnlyARunningWork(t *testing.T) {
	for _, running := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocWorkqueue(sim, "events", 0)
		m := lock.NewMutex(sim, "&adev->reset_lock")
		gate := des.NewCompletion(sim, "gate")
		dw := wqm.InitDelayedWork(sim, "reset_work", func(p *des.Proc, _ *wqm.Work) {
			gate.Wait(p)
			m.Lock(p)
			m.Unlock(p)
		})
		sim.Spawn("warmup", des.Task, func(p *des.Proc) {
			wqm.QueueDelayedWork(p, wq, dw, 0) // lockdep sees (work_completion)reset_work -> reset_lock
			gate.Complete()
			wqm.FlushDelayedWork(p, dw)
		})
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			p.Sleep(100)
			wqm.QueueDelayedWork(p, wq, dw, 10)
			if running {
				p.Sleep(20) // the worker took it and waits at the gate
			}
			m.Lock(p)
			wqm.CancelDelayedWorkSync(p, dw)
			m.Unlock(p)
			gate.Complete()
		})
		r := sim.Run()
		if !running {
			require.True(t, r.OK(), "a pending work is only removed: %v", r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.LockOrder, r.First().Kind)
	}
}

// A work function that returns with a lock held or in atomic context: process_one_work's
// "BUG: workqueue leaked atomic, lock or RCU".
func TestWorkLeakingALockOrAtomicIsReported(t *testing.T) {
	for _, leak := range []string{"", "lock", "atomic"} {
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocWorkqueue(sim, "events", 0)
		m := lock.NewMutex(sim, "dev->lock")
		w := wqm.InitWork(sim, "reset", func(p *des.Proc, _ *wqm.Work) {
			m.Lock(p)
			p.EnterAtomic()
			p.ExitAtomic()
			switch leak {
			case "lock":
				return // the error path forgot mutex_unlock
			case "atomic":
				p.EnterAtomic()
			}
			m.Unlock(p)
		})
		sim.Spawn("t", des.Task, func(p *des.Proc) { wqm.QueueWork(p, wq, w) })
		r := sim.Run()
		if leak == "" {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First(), leak)
		assert.Equal(t, oracle.LockOrder, r.First().Kind, leak)
		assert.Contains(t, r.First().Msg, "workqueue leaked atomic, lock or RCU", leak)
	}
}

// A work that requeues itself forever keeps drain_workqueue flushing: after its bound of
// tries it says so (progress), and destroy_workqueue then finds the pool busy (the kernel's
// WARN, a panic) and leaves the workqueue alive.
func TestDestroyOfABusyWorkqueueWarns(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true, MaxTime: 5000})
	wq := wqm.AllocWorkqueue(sim, "amdgpu-reset-dev", 1)
	var w *wqm.Work
	w = wqm.InitWork(sim, "amdgpu_ras_poll", func(p *des.Proc, _ *wqm.Work) { p.Sleep(1); wqm.QueueWork(p, wq, w) })
	sim.Spawn("probe", des.Task, func(p *des.Proc) { wqm.QueueWork(p, wq, w) })
	sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(3); wqm.DestroyWorkqueue(p, wq) })
	r := sim.Run()
	require.GreaterOrEqual(t, len(r.Violations), 2)
	assert.Equal(t, oracle.Progress, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "workqueue amdgpu-reset-dev: drain_workqueue() isn't complete after 1000 tries")
	assert.Equal(t, oracle.Panic, r.Violations[1].Kind)
	assert.Contains(t, r.Violations[1].Msg, "WARNING: at kernel/workqueue.c destroy_workqueue\n")
	assert.Contains(t, r.Violations[1].Msg, "destroy_workqueue: amdgpu-reset-dev has the following busy pwq")
	assert.Regexp(t, `in-flight: \d+:amdgpu_ras_poll|pending: amdgpu_ras_poll`, r.Violations[1].Msg)
}
