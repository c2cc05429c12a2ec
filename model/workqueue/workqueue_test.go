package workqueue_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/irq"
	"hotplugsim/model/oracle"
	wqm "hotplugsim/model/workqueue"
)

var strategies = []string{"fifo", "random", "random:5us", "pct:3"}

// forSeeds runs body under several strategies and seeds.
func forSeeds(t *testing.T, n int, body func(t *testing.T, cfg des.Config)) {
	for _, s := range strategies {
		for seed := uint64(0); seed < uint64(n); seed++ {
			body(t, des.Config{Seed: seed, Strategy: s})
		}
	}
}

// tracker counts concurrent executions.
type tracker struct{ now, max int }

func (c *tracker) enter() { c.now++; c.max = max(c.max, c.now) }
func (c *tracker) exit()  { c.now-- }

func TestQueueWorkRunsInAWorkerAndCoalesces(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocOrderedWorkqueue(sim, "events")
	var kinds []des.Kind
	w := wqm.InitWork(sim, "reset", func(p *des.Proc, _ *wqm.Work) { kinds = append(kinds, p.Kind()) })
	busy := wqm.InitWork(sim, "busy", func(p *des.Proc, _ *wqm.Work) { p.Sleep(5) })
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		assert.True(t, wqm.QueueWork(p, wq, busy)) // keeps w on the worklist while it is queued twice
		assert.True(t, wqm.QueueWork(p, wq, w))
		assert.False(t, wqm.QueueWork(p, wq, w), "already pending")
		assert.True(t, w.Pending())
		p.Sleep(10)
		assert.False(t, w.Pending())
		assert.True(t, wqm.QueueWork(p, wq, w), "ran: may be queued again")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []des.Kind{des.Worker, des.Worker}, kinds)
	assert.Equal(t, 2, w.Runs())
}

func TestOrderedVersusConcurrent(t *testing.T) {
	for _, ordered := range []bool{true, false} {
		forSeeds(t, 5, func(t *testing.T, cfg des.Config) {
			sim := des.MustNew(cfg)
			wq := wqm.AllocWorkqueue(sim, "conc", 2)
			if ordered {
				wq = wqm.AllocOrderedWorkqueue(sim, "ord")
			}
			var c tracker
			var order []int
			works := make([]*wqm.Work, 4)
			for i := range works {
				works[i] = wqm.InitWork(sim, fmt.Sprint("w", i), func(p *des.Proc, _ *wqm.Work) {
					c.enter()
					order = append(order, i)
					p.Sleep(10)
					c.exit()
				})
			}
			sim.Spawn("q", des.Task, func(p *des.Proc) {
				for _, w := range works {
					wqm.QueueWork(p, wq, w)
				}
			})
			r := sim.Run()
			require.True(t, r.OK(), r.Violations)
			if ordered {
				assert.Equal(t, 1, c.max)
				assert.Equal(t, []int{0, 1, 2, 3}, order)
				if cfg.Strategy == "fifo" {
					assert.Equal(t, des.Time(40), r.End)
				}
			} else {
				assert.LessOrEqual(t, c.max, 2, "max_active 2")
				if cfg.Strategy == "fifo" {
					assert.Equal(t, 2, c.max)
					assert.Equal(t, des.Time(20), r.End)
				}
				assert.Len(t, order, 4)
			}
		})
	}
}

func TestWorkIsNotReentrant(t *testing.T) {
	forSeeds(t, 10, func(t *testing.T, cfg des.Config) {
		sim := des.MustNew(cfg)
		wq := wqm.AllocWorkqueue(sim, "events", 4)
		var c tracker
		started := des.NewCompletion(sim, "started")
		w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) {
			c.enter()
			started.Complete()
			p.Sleep(10)
			c.exit()
		})
		sim.Spawn("q", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wq, w)
			started.Wait(p)
			assert.True(t, w.Running())
			assert.True(t, wqm.QueueWork(p, wq, w), "running is not pending")
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		assert.Equal(t, 1, c.max)
		assert.Equal(t, 2, w.Runs())
	})
}

func TestFlushWork(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 0)
	w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) { p.Sleep(10) })
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		assert.False(t, wqm.FlushWork(p, w), "idle: nothing to wait for")
		wqm.QueueWork(p, wq, w)
		assert.True(t, wqm.FlushWork(p, w))
		assert.Equal(t, des.Time(10), p.Now())
		assert.Equal(t, 1, w.Runs())
		wqm.QueueWork(p, wq, w)
		p.Sleep(3) // running now
		assert.True(t, wqm.FlushWork(p, w))
		assert.Equal(t, des.Time(20), p.Now())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestCancelWorkSyncPendingNeverRuns(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocOrderedWorkqueue(sim, "ord")
	busy := wqm.InitWork(sim, "busy", func(p *des.Proc, _ *wqm.Work) { p.Sleep(10) })
	w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) {})
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		wqm.QueueWork(p, wq, busy)
		wqm.QueueWork(p, wq, w) // behind busy
		assert.True(t, wqm.CancelWorkSync(p, w))
		assert.False(t, wqm.CancelWorkSync(p, w))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Zero(t, w.Runs())
}

// After cancel_work_sync returns, the work is neither pending nor running, whatever an irq
// that keeps queueing it does meanwhile.
func TestCancelWorkSyncAgainstRacingQueuer(t *testing.T) {
	forSeeds(t, 25, func(t *testing.T, cfg des.Config) {
		sim := des.MustNew(cfg)
		wq := wqm.AllocWorkqueue(sim, "events", 0)
		w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) { p.Sleep(3) })
		line := irq.NewLine(sim, "dev")
		require.NoError(t, irq.RequestIRQ(nil, line, "dev", func(p *des.Proc) irq.Return {
			wqm.QueueWork(p, wq, w)
			return irq.Handled
		}))
		sim.Spawn("device", des.Task, func(p *des.Proc) {
			for i := 0; i < 10; i++ {
				line.Raise(p)
				p.Sleep(2)
			}
		})
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			p.Sleep(7)
			wqm.CancelWorkSync(p, w)
			assert.False(t, w.Pending(), "pending after cancel_work_sync")
			assert.False(t, w.Running(), "running after cancel_work_sync")
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
	})
}

func TestCancelWorkSyncWaitsForRunning(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 0)
	w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) { p.Sleep(10) })
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		wqm.QueueWork(p, wq, w)
		p.Sleep(1)
		assert.False(t, wqm.CancelWorkSync(p, w), "running, not pending")
		assert.Equal(t, des.Time(10), p.Now())
		assert.False(t, w.Running())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestCancelWorkDoesNotWait(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 0)
	w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) { p.Sleep(10) })
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		wqm.QueueWork(p, wq, w)
		p.Sleep(1)
		assert.False(t, wqm.CancelWork(p, w))
		assert.True(t, w.Running())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestDelayedWork(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 0)
	var ranAt []des.Time
	dw := wqm.InitDelayedWork(sim, "tdr", func(p *des.Proc, _ *wqm.Work) { ranAt = append(ranAt, p.Now()) })
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		assert.True(t, wqm.QueueDelayedWork(p, wq, dw, 100))
		assert.False(t, wqm.QueueDelayedWork(p, wq, dw, 10), "pending")
		p.Sleep(50)
		assert.True(t, wqm.ModDelayedWork(p, wq, dw, 100), "was pending: pushed back to 150")
		p.Sleep(200)
		assert.False(t, wqm.ModDelayedWork(p, wq, dw, 0), "not pending: queued now")
		p.Sleep(10)
		wqm.QueueDelayedWork(p, wq, dw, 1000)
		assert.True(t, wqm.FlushDelayedWork(p, dw), "armed: queued now and flushed")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []des.Time{150, 250, 260}, ranAt)
}

func TestCancelDelayedWorkSync(t *testing.T) {
	forSeeds(t, 10, func(t *testing.T, cfg des.Config) {
		sim := des.MustNew(cfg)
		wq := wqm.AllocWorkqueue(sim, "events", 0)
		dw := wqm.InitDelayedWork(sim, "tdr", func(p *des.Proc, _ *wqm.Work) { p.Sleep(5) })
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			wqm.QueueDelayedWork(p, wq, dw, 10)
			p.Sleep(10) // races with the timer
			wqm.CancelDelayedWorkSync(p, dw)
			assert.False(t, dw.Pending())
			assert.False(t, dw.Running())
			assert.False(t, dw.Armed())
			assert.True(t, wqm.CancelDelayedWork(p, dw) == false)
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		assert.LessOrEqual(t, dw.Runs(), 1)
	})
}

func TestFlushAndDrainWorkqueue(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 2)
	chained := 0
	var self *wqm.Work
	self = wqm.InitWork(sim, "chain", func(p *des.Proc, w *wqm.Work) {
		p.Sleep(10)
		if chained < 3 {
			chained++
			wqm.QueueWork(p, wq, self) // chained work: allowed while draining
		}
	})
	other := wqm.InitWork(sim, "other", func(p *des.Proc, _ *wqm.Work) { p.Sleep(25) })
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		wqm.QueueWork(p, wq, other)
		wqm.QueueWork(p, wq, self)
		wqm.FlushWorkqueue(p, wq)
		assert.Equal(t, des.Time(25), p.Now(), "waits for both, not for the re-queued chain")
		wqm.DrainWorkqueue(p, wq)
		assert.Equal(t, 3, chained)
		assert.Zero(t, wq.Queued())
		assert.False(t, self.Pending())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 4, self.Runs())
}

// An irq queueing work on a workqueue that is draining: the kernel WARNs and the item stays
// pending forever, found at quiesce. Disabling the irq before draining is the fix.
func TestQueueOnDrainingWorkqueueIsProgress(t *testing.T) {
	for _, disableFirst := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocWorkqueue(sim, "hda", 0)
		busy := wqm.InitWork(sim, "busy", func(p *des.Proc, _ *wqm.Work) { p.Sleep(100) })
		unsol := wqm.InitWork(sim, "unsol", func(p *des.Proc, _ *wqm.Work) {})
		line := irq.NewLine(sim, "hda")
		require.NoError(t, irq.RequestIRQ(nil, line, "hda", func(p *des.Proc) irq.Return {
			wqm.QueueWork(p, wq, unsol)
			return irq.Handled
		}))
		sim.Spawn("codec", des.Task, func(p *des.Proc) { p.Sleep(50); line.Raise(p) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wq, busy)
			if disableFirst {
				irq.DisableIRQ(p, line)
			}
			wqm.DrainWorkqueue(p, wq)
		})
		r := sim.Run()
		if disableFirst {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.Progress, r.First().Kind)
		assert.Contains(t, r.First().Msg, "work unsol queued on hda while it was draining")
	}
}

func TestUseAfterFreeOfWork(t *testing.T) {
	for _, misuse := range []string{"", "free-queued", "queue-freed", "flush-freed"} {
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocWorkqueue(sim, "events", 0)
		w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) {})
		sim.Spawn("t", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wq, w)
			switch misuse {
			case "free-queued":
				w.Free(p) // kfree(container) with the work still queued
			case "queue-freed":
				wqm.CancelWorkSync(p, w)
				w.Free(p)
				wqm.QueueWork(p, wq, w)
			case "flush-freed":
				wqm.CancelWorkSync(p, w)
				w.Free(p)
				wqm.FlushWork(p, w)
			default:
				wqm.CancelWorkSync(p, w) // the correct teardown
				w.Free(p)
			}
		})
		r := sim.Run()
		if misuse == "" {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First(), misuse)
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind, misuse)
	}
}

// A work may free itself (its container) while it runs: the worker must not touch it after.
func TestWorkMayFreeItself(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 0)
	w := wqm.InitWork(sim, "release", func(p *des.Proc, w *wqm.Work) { w.Free(p) })
	sim.Spawn("t", des.Task, func(p *des.Proc) { wqm.QueueWork(p, wq, w) })
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestDestroyWorkqueue(t *testing.T) {
	for _, misuse := range []string{"", "queue-after", "armed-delayed"} {
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocWorkqueue(sim, "amdgpu-reset", 1)
		w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) { p.Sleep(5) })
		dw := wqm.InitDelayedWork(sim, "tdr", func(p *des.Proc, _ *wqm.Work) {})
		sim.Spawn("fini", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wq, w)
			wqm.QueueDelayedWork(p, wq, dw, 100)
			if misuse != "armed-delayed" {
				wqm.CancelDelayedWorkSync(p, dw)
			}
			wqm.DestroyWorkqueue(p, wq)
			assert.Equal(t, 1, w.Runs(), "destroy drains")
			if misuse == "queue-after" {
				wqm.QueueWork(p, wq, w)
			}
		})
		r := sim.Run()
		if misuse == "" {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First(), misuse)
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind, misuse)
		assert.Contains(t, r.First().Msg, "wq:amdgpu-reset", misuse)
	}
}

// A worker blocked for good inside a work item: the engine ignores daemon workers, the
// quiesce check reports the stuck item and the one queued behind it.
func TestStuckWorkIsProgressAtQuiesce(t *testing.T) {
	for _, stuck := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocOrderedWorkqueue(sim, "ord")
		fw := des.NewCompletion(sim, "fw-loaded")
		first := wqm.InitWork(sim, "first", func(p *des.Proc, _ *wqm.Work) { fw.Wait(p) })
		second := wqm.InitWork(sim, "second", func(p *des.Proc, _ *wqm.Work) {})
		sim.Spawn("probe", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wq, first)
			wqm.QueueWork(p, wq, second)
			if !stuck {
				p.Sleep(10)
				fw.Complete()
			}
		})
		r := sim.Run()
		if !stuck {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.Progress, r.First().Kind)
		assert.Contains(t, r.First().Msg, "work second queued on ord and never ran")
	}
}

func TestFlushInAtomicIsLockOrder(t *testing.T) {
	ops := map[string]func(p *des.Proc, wq *wqm.Workqueue, w *wqm.Work){
		"flush_work":       func(p *des.Proc, _ *wqm.Workqueue, w *wqm.Work) { wqm.FlushWork(p, w) },
		"cancel_work_sync": func(p *des.Proc, _ *wqm.Workqueue, w *wqm.Work) { wqm.CancelWorkSync(p, w) },
		"flush_workqueue":  func(p *des.Proc, wq *wqm.Workqueue, _ *wqm.Work) { wqm.FlushWorkqueue(p, wq) },
	}
	for _, name := range []string{"flush_work", "cancel_work_sync", "flush_workqueue"} {
		for _, atomic := range []bool{false, true} {
			sim := des.MustNew(des.Config{})
			wq := wqm.AllocWorkqueue(sim, "events", 0)
			w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) {})
			sim.Spawn("t", des.Task, func(p *des.Proc) {
				if atomic {
					p.EnterAtomic()
				}
				ops[name](p, wq, w)
			})
			r := sim.Run()
			if !atomic {
				require.True(t, r.OK(), r.Violations)
				continue
			}
			require.NotNil(t, r.First(), name)
			assert.Equal(t, oracle.LockOrder, r.First().Kind, name)
		}
	}
}

// The micro scenario drivers build on: irq -> queue_work -> the work touches a register.
func TestIRQQueuesWork(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 0)
	var touchedAt des.Time
	var touchedIn des.Kind
	w := wqm.InitWork(sim, "unsol", func(p *des.Proc, _ *wqm.Work) { touchedAt, touchedIn = p.Now(), p.Kind() })
	line := irq.NewLine(sim, "hda")
	require.NoError(t, irq.RequestIRQ(nil, line, "hda", func(p *des.Proc) irq.Return {
		p.Busy(2)
		wqm.QueueWork(p, wq, w)
		return irq.Handled
	}))
	sim.Spawn("codec", des.Task, func(p *des.Proc) { p.Sleep(10); line.Raise(p) })
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, des.Time(12), touchedAt)
	assert.Equal(t, des.Worker, touchedIn)
}

// flush_workqueue waits for an item that was running when it started even if the item queues
// itself again meanwhile: the running instance keeps its colour (worker->current_color).
func TestFlushWorkqueueWaitsForRunningItemRequeuedMeanwhile(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 2)
	var self *wqm.Work
	self = wqm.InitWork(sim, "poll", func(p *des.Proc, _ *wqm.Work) {
		if self.Runs() > 0 {
			return
		}
		p.Sleep(5)
		wqm.QueueWork(p, wq, self) // re-armed poll, queued after the flush started
		p.Sleep(5)
	})
	other := wqm.InitWork(sim, "other", func(p *des.Proc, _ *wqm.Work) { p.Sleep(4) })
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		wqm.QueueWork(p, wq, self)
		p.Sleep(1)
		wqm.FlushWorkqueue(p, wq)
		assert.Equal(t, des.Time(10), p.Now(), "returned before the first instance finished")
	})
	sim.Spawn("q", des.Task, func(p *des.Proc) { p.Sleep(2); wqm.QueueWork(p, wq, other) })
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// flush_work of a running instance waits for that instance, whatever happens to a newer
// one queued and cancelled meanwhile (the barrier sits on the running worker's list).
func TestFlushWorkIgnoresCancelOfANewerInstance(t *testing.T) {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocWorkqueue(sim, "events", 0)
	w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) { p.Sleep(10) })
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		wqm.QueueWork(p, wq, w)
		p.Sleep(1)
		assert.True(t, wqm.FlushWork(p, w))
		assert.Equal(t, des.Time(10), p.Now(), "returned while the instance it waited for ran")
	})
	sim.Spawn("q", des.Task, func(p *des.Proc) {
		p.Sleep(2)
		assert.True(t, wqm.QueueWork(p, wq, w))
		p.Sleep(1)
		assert.True(t, wqm.CancelWork(p, w))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, w.Runs())
}

// Two drainers: the workqueue stays __WQ_DRAINING until the last one returns (nr_drainers),
// so a queue_work from the first one, right after its drain, is refused in the schedules
// where the second has not returned yet.
func TestDrainingLastsUntilTheLastDrainer(t *testing.T) {
	for _, second := range []bool{false, true} {
		refused := 0
		forSeeds(t, 10, func(t *testing.T, cfg des.Config) {
			sim := des.MustNew(cfg)
			wq := wqm.AllocWorkqueue(sim, "events", 0)
			busy := wqm.InitWork(sim, "busy", func(p *des.Proc, _ *wqm.Work) { p.Sleep(10) })
			late := wqm.InitWork(sim, "late", func(p *des.Proc, _ *wqm.Work) {})
			sim.Spawn("a", des.Task, func(p *des.Proc) {
				wqm.QueueWork(p, wq, busy)
				wqm.DrainWorkqueue(p, wq)
				wqm.QueueWork(p, wq, late)
			})
			if second {
				sim.Spawn("b", des.Task, func(p *des.Proc) { p.Sleep(1); wqm.DrainWorkqueue(p, wq) })
			}
			r := sim.Run()
			if r.OK() {
				return
			}
			refused++
			assert.Equal(t, oracle.Progress, r.First().Kind)
			assert.Contains(t, r.First().Msg, "work late queued on events while it was draining")
		})
		if second {
			assert.Positive(t, refused, "never refused while the second drainer was inside")
		} else {
			assert.Zero(t, refused, "one drainer, queued after it returned")
		}
	}
}

// PENDING is cleared with the worker's dequeue: a queue_work after it queues a second instance,
// which runs after the first (never concurrently); one before it coalesces.
func TestPendingClearedWithTheDequeue(t *testing.T) {
	forSeeds(t, 20, func(t *testing.T, cfg des.Config) {
		sim := des.MustNew(cfg)
		wq := wqm.AllocWorkqueue(sim, "events", 4)
		var c tracker
		w := wqm.InitWork(sim, "w", func(p *des.Proc, _ *wqm.Work) { c.enter(); p.Sleep(10); c.exit() })
		queued := 0
		sim.Spawn("q", des.Task, func(p *des.Proc) {
			for i := 0; i < 3; i++ {
				if wqm.QueueWork(p, wq, w) {
					queued++
				}
				if w.Running() && !w.Pending() {
					assert.True(t, wqm.QueueWork(p, wq, w), "dequeued: PENDING is clear")
					queued++
				}
			}
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		assert.Equal(t, 1, c.max, "never run by two workers at once")
		assert.Equal(t, queued, w.Runs(), "every successful queue_work runs once")
	})
}

// A work that a draining workqueue refused stays PENDING on no list: cancel_work_sync spins in
// try_to_grab_pending forever. Disabling the interrupt that queues it before draining is the fix.
func TestCancelOfWorkRefusedByDrainingSpins(t *testing.T) {
	for _, disableFirst := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		wq := wqm.AllocWorkqueue(sim, "hda", 0)
		busy := wqm.InitWork(sim, "busy", func(p *des.Proc, _ *wqm.Work) { p.Sleep(100) })
		unsol := wqm.InitWork(sim, "unsol", func(p *des.Proc, _ *wqm.Work) {})
		line := irq.NewLine(sim, "hda")
		require.NoError(t, irq.RequestIRQ(nil, line, "hda", func(p *des.Proc) irq.Return {
			wqm.QueueWork(p, wq, unsol)
			return irq.Handled
		}))
		sim.Spawn("codec", des.Task, func(p *des.Proc) { p.Sleep(50); line.Raise(p) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			wqm.QueueWork(p, wq, busy)
			if disableFirst {
				irq.DisableIRQ(p, line)
			}
			wqm.DrainWorkqueue(p, wq)
			wqm.CancelWorkSync(p, unsol)
		})
		r := sim.Run()
		if disableFirst {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.Progress, r.First().Kind)
		assert.Contains(t, r.First().Msg, "cancel_work_sync: work unsol is PENDING on no worklist")
	}
}

// mod_delayed_work racing with the timer's callback owns PENDING atomically: whichever wins,
// exactly one instance is pending afterwards and it runs; a cancel after it leaves none.
func TestModDelayedWorkRacingTheTimer(t *testing.T) {
	forSeeds(t, 20, func(t *testing.T, cfg des.Config) {
		sim := des.MustNew(cfg)
		wq := wqm.AllocWorkqueue(sim, "events", 2)
		dw := wqm.InitDelayedWork(sim, "tdr", func(p *des.Proc, _ *wqm.Work) { p.Sleep(3) })
		sim.Spawn("arm", des.Task, func(p *des.Proc) {
			wqm.QueueDelayedWork(p, wq, dw, 10)
			p.Sleep(10) // the timer fires now too
			wqm.ModDelayedWork(p, wq, dw, 5)
			assert.True(t, dw.Pending())
			p.Sleep(20 * des.Microsecond) // past the strategies' delay bound
			assert.False(t, dw.Pending())
			assert.False(t, wqm.CancelDelayedWorkSync(p, dw))
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		assert.GreaterOrEqual(t, dw.Runs(), 1)
		assert.LessOrEqual(t, dw.Runs(), 2)
	})
}
