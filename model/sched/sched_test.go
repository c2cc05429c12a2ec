package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
)

// hw is what a job asks of the ring.
type hw struct {
	dur  des.Duration
	hang bool
}

// driver is a minimal amdgpu-like driver: one ring, one scheduler.
type driver struct {
	ring     *sched.Ring
	s        *sched.Scheduler
	freed    []string
	timedout []string
	tdrAt    []des.Time
	status   sched.Stat
}

func newDriver(sim *des.Sim, cfg sched.Config) *driver {
	d := &driver{ring: sched.NewRing(sim, "gfx")}
	if cfg.Name == "" {
		cfg.Name = "gfx"
	}
	d.s = sched.Init(sim, cfg, sched.Ops{
		RunJob: func(p *des.Proc, j *sched.Job) *fence.Fence {
			h := j.Payload.(hw)
			return d.ring.Submit(p, h.dur, h.hang)
		},
		TimedoutJob: func(p *des.Proc, j *sched.Job) sched.Stat {
			d.timedout = append(d.timedout, j.Name())
			d.tdrAt = append(d.tdrAt, p.Now())
			return d.status
		},
		FreeJob: func(p *des.Proc, j *sched.Job) {
			d.freed = append(d.freed, j.Name())
			sched.JobCleanup(p, j)
			j.Free(p)
		},
	})
	return d
}

// submit is an ioctl's job submission: init, dependencies, arm, push.
func submit(t *testing.T, p *des.Proc, e *sched.Entity, name string, h hw, deps ...*fence.Fence) *sched.Job {
	j, err := sched.JobInit(p, e, name)
	require.NoError(t, err)
	j.Payload = h
	for _, f := range deps {
		j.AddDependency(p, f.Get(p))
	}
	j.Arm(p)
	j.Finished().Get(p) // the submitter's reference (amdgpu_cs_submit), kept by the test
	sched.PushJob(p, j)
	return j
}

func TestJobsRunInOrderAndAreFreed(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "pct:3"} {
		for seed := uint64(0); seed < 10; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat})
			d := newDriver(sim, sched.Config{Timeout: des.Second})
			e := sched.NewEntity(sim, "ctx1", d.s)
			var done []des.Time
			sim.Spawn("app", des.Task, func(p *des.Proc) {
				jobs := []*sched.Job{
					submit(t, p, e, "a", hw{dur: 10}),
					submit(t, p, e, "b", hw{dur: 10}),
					submit(t, p, e, "c", hw{dur: 10}),
				}
				for _, j := range jobs {
					j.Finished().Wait(p)
					assert.Zero(t, j.Finished().Error())
					done = append(done, j.Finished().Timestamp())
				}
			})
			r := sim.Run()
			require.True(t, r.OK(), r.Violations)
			assert.Equal(t, []string{"a", "b", "c"}, d.freed, "free_job in order")
			assert.True(t, done[0] < done[1] && done[1] < done[2], "hw_submission 1: one at a time")
			if strat == "fifo" {
				assert.Equal(t, []des.Time{10, 20, 30}, done)
			}
			assert.Zero(t, d.s.TDRRuns(), "no timeout")
		}
	}
}

func TestJobWaitsForItsDependency(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{HWSubmission: 2})
	copyEngine := newDriver(sim, sched.Config{Name: "sdma"})
	e1 := sched.NewEntity(sim, "ctx1", d.s)
	eCopy := sched.NewEntity(sim, "move", copyEngine.s)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		move := submit(t, p, eCopy, "move", hw{dur: 100})
		j := submit(t, p, e1, "render", hw{dur: 10}, move.Finished())
		j.Finished().Wait(p)
		assert.Equal(t, des.Time(100), j.Scheduled().Timestamp(), "runs only after the move")
		assert.Equal(t, des.Time(110), p.Now())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// The TDR takes the oldest pending job and calls timedout_job; it rearms unless the driver
// says the device is gone (the amdgpu hot-unplug v6 thread: no GPU recovery after unplug).
func TestTDRRearmsUnlessENODEV(t *testing.T) {
	for _, status := range []sched.Stat{sched.StatNominal, sched.StatENODEV} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{HWSubmission: 2, Timeout: 100})
		d.status = status
		e := sched.NewEntity(sim, "ctx1", d.s)
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			submit(t, p, e, "hung1", hw{hang: true})
			submit(t, p, e, "hung2", hw{hang: true})
		})
		sim.Spawn("unplug", des.Task, func(p *des.Proc) {
			p.Sleep(1000)
			sched.Fini(p, d.s)
			d.ring.ForceCompletion(p, -fence.ENODEV)
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		if status == sched.StatNominal {
			assert.Equal(t, []string{"hung1", "hung2"}, d.timedout, "rearmed for the next job")
		} else {
			assert.Equal(t, []string{"hung1"}, d.timedout, "ENODEV: not rearmed")
		}
	}
}

// the amdgpu hot-unplug v6 thread: on unplug the driver must force-signal the hardware fences, else the finished
// fences published to userspace never signal.
func TestUnplugMustForceCompleteFences(t *testing.T) {
	for _, force := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{Timeout: 10 * des.Millisecond})
		d.status = sched.StatENODEV
		e := sched.NewEntity(sim, "glxgears", d.s)
		var j *sched.Job
		sim.Spawn("app", des.Task, func(p *des.Proc) { j = submit(t, p, e, "draw", hw{dur: des.Millisecond}) })
		sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
			p.Sleep(100 * des.Microsecond)
			d.ring.Unplug() // surprise removal: the job never completes
			sched.Fini(p, d.s)
			if force {
				d.ring.ForceCompletion(p, -fence.ENODEV)
			}
		})
		r := sim.Run()
		if force {
			require.True(t, r.OK(), r.Violations)
			assert.Equal(t, -fence.ENODEV, j.Finished().Error())
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.FenceNeverSignalled, r.First().Kind)
	}
}

// drm_sched_fini cancels the TDR synchronously, so the driver may free the ring after it.
// Freeing it without fini leaves an armed TDR that runs on freed memory.
func TestFiniCancelsTDRBeforeFree(t *testing.T) {
	for _, fini := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{Timeout: 100})
		e := sched.NewEntity(sim, "ctx1", d.s)
		sim.Spawn("app", des.Task, func(p *des.Proc) { submit(t, p, e, "hung", hw{hang: true}) })
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			p.Sleep(50) // TDR armed for t=100
			if fini {
				sched.Fini(p, d.s)
				d.ring.ForceCompletion(p, -fence.ENODEV) // no hw fence callback left
			}
			d.s.Free(p) // kfree(ring)
		})
		r := sim.Run()
		if fini {
			require.True(t, r.OK(), r.Violations)
			assert.Zero(t, d.s.TDRRuns())
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
		assert.Contains(t, r.First().Msg, "slab-use-after-free in drm_sched_job_timedout\nWrite of size 4 at addr ")
	}
}

// drm_sched_entity_kill signals a killed job's finished fence with -ESRCH only after the
// job's dependencies signalled; the early variant lets the consumer free memory a
// dependency still writes.
func TestEntityKillWaitsForDependencies(t *testing.T) {
	for _, early := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{KillSignalsEarly: early})
		e := sched.NewEntity(sim, "ctx1", d.s)
		clears := fence.NewContext(sim, "sdma-clear")
		vram := fence.NewBacking(sim, nil, "vram:bo1")
		var clear *fence.Fence
		var killed *sched.Job
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			clear = clears.NewFence(p) // a clear still writing the BO
			vram.Access(p, clear, true)
			killed = submit(t, p, e, "render", hw{dur: 10}, clear)
			sched.EntityKill(p, e) // SIGKILL: the process exits
			killed.Finished().Wait(p)
			assert.Equal(t, -fence.ESRCH, killed.Finished().Error())
			vram.Free(p) // the BO's last user is gone
		})
		sim.Spawn("sdma", des.Task, func(p *des.Proc) { p.Sleep(100); _ = clear.Signal(p) })
		r := sim.Run()
		if !early {
			require.True(t, r.OK(), r.Violations)
			assert.Equal(t, []string{"render"}, d.freed)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.GPUUseAfterFree, r.First().Kind)
	}
}

// Killing an entity with several queued jobs kills them in order, after the last scheduled.
func TestEntityKillKillsQueuedJobsInOrder(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{})
	e := sched.NewEntity(sim, "ctx1", d.s)
	gate := fence.NewContext(sim, "gate")
	var jobs []*sched.Job
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		g := gate.NewFence(p)
		jobs = append(jobs, submit(t, p, e, "a", hw{dur: 10}, g), submit(t, p, e, "b", hw{dur: 10}))
		p.Sleep(5)
		sched.EntityKill(p, e)
		_ = g.Signal(p)
		jobs[1].Finished().Wait(p)
		assert.True(t, jobs[0].Finished().Signalled())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"a", "b"}, d.freed)
	assert.Zero(t, d.ring.Outstanding(), "killed jobs never reach the hardware")
}

func TestEntityFlushWaitsForQueueAndFiniWakesIt(t *testing.T) {
	for _, hang := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{})
		e := sched.NewEntity(sim, "ctx1", d.s)
		var left des.Duration
		var returned des.Time
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			submit(t, p, e, "a", hw{dur: 10, hang: hang})
			submit(t, p, e, "b", hw{dur: 10}) // queued behind a
			left = sched.EntityFlush(p, e, 1000)
			returned = p.Now()
		})
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			p.Sleep(500)
			sched.Fini(p, d.s)
			d.ring.ForceCompletion(p, -fence.ENODEV)
			sched.EntityFini(p, e)
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		if !hang {
			assert.Equal(t, des.Time(10), returned, "b popped when a finished")
			assert.Equal(t, des.Duration(990), left)
		} else {
			assert.Equal(t, des.Time(500), returned, "drm_sched_fini wakes the flusher")
		}
	}
}

// Pushing to a killed entity leaves the job queued for ever: its published finished fence
// never signals (what amdgpu's rw_sem in the amdgpu hot-unplug v6 thread prevents by rejecting the push).
func TestPushToKilledEntityNeverSignals(t *testing.T) {
	for _, reject := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{})
		e := sched.NewEntity(sim, "ctx1", d.s)
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			sched.EntityKill(p, e)
			if reject && e.Stopped() {
				return // -ENODEV to userspace
			}
			submit(t, p, e, "late", hw{dur: 10})
		})
		r := sim.Run()
		if reject {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.FenceNeverSignalled, r.First().Kind)
	}
}

func TestFaultRunsTDRNow(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{Timeout: des.Second})
	d.status = sched.StatENODEV
	e := sched.NewEntity(sim, "ctx1", d.s)
	var at des.Time
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		submit(t, p, e, "bad", hw{hang: true})
		p.Sleep(10)
		sched.Fault(p, d.s) // the driver saw a page fault interrupt
		p.Sleep(10)
		at = p.Now()
		assert.Equal(t, 1, d.s.TDRRuns())
		sched.Fini(p, d.s)
		d.ring.ForceCompletion(p, -fence.ETIME)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, des.Time(20), at)
	assert.Equal(t, []string{"bad"}, d.timedout)
}

// The same seed and strategy give the same run, bit for bit.
func TestDeterministic(t *testing.T) {
	run := func() uint64 {
		sim := des.MustNew(des.Config{Seed: 7, Strategy: "pct:3"})
		d := newDriver(sim, sched.Config{HWSubmission: 2, Timeout: 50})
		d.status = sched.StatENODEV
		e1, e2 := sched.NewEntity(sim, "a", d.s), sched.NewEntity(sim, "b", d.s)
		sim.Spawn("app1", des.Task, func(p *des.Proc) {
			for i := 0; i < 5; i++ {
				submit(t, p, e1, "a", hw{dur: 7})
			}
		})
		sim.Spawn("app2", des.Task, func(p *des.Proc) {
			j := submit(t, p, e2, "b0", hw{dur: 3})
			submit(t, p, e2, "b1", hw{hang: true}, j.Finished())
		})
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			p.Sleep(200)
			d.ring.Unplug()
			sched.Fini(p, d.s)
			d.ring.ForceCompletion(p, -fence.ENODEV)
			sched.EntityFini(p, e1) // the apps close their files: queued jobs are killed
			sched.EntityFini(p, e2)
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		return r.Fingerprint
	}
	assert.Equal(t, run(), run())
}

// drm_sched_start_timeout uses mod_delayed_work (v6.8+): a job reaching the hardware restarts
// the TDR, so a hung head job times out a full timeout after the last job began.
func TestTDRRestartsWhenAJobBegins(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{HWSubmission: 2, Timeout: 100})
	d.status = sched.StatENODEV
	e := sched.NewEntity(sim, "ctx1", d.s)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		submit(t, p, e, "hung", hw{hang: true})
		p.Sleep(50)
		submit(t, p, e, "next", hw{dur: 10})
		p.Sleep(200)
		sched.Fini(p, d.s)
		d.ring.ForceCompletion(p, -fence.ENODEV)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []des.Time{150}, d.tdrAt, "rearmed at t=50, not left at t=100")
	assert.Equal(t, []string{"hung"}, d.timedout)
}

// drm_sched_entity_add_dependency_cb: a dependency on a job of the same scheduler only waits
// until that job is scheduled; the ring then runs both in order.
func TestSameSchedulerDependencyIsPipelined(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{HWSubmission: 2})
	e1, e2 := sched.NewEntity(sim, "ctx1", d.s), sched.NewEntity(sim, "ctx2", d.s)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		a := submit(t, p, e1, "a", hw{dur: 100})
		b := submit(t, p, e2, "b", hw{dur: 10}, a.Finished())
		b.Finished().Wait(p)
		assert.Equal(t, des.Time(0), b.Scheduled().Timestamp(), "on the ring once a is scheduled")
		assert.Equal(t, des.Time(110), p.Now(), "after a on the ring")
		assert.True(t, a.Finished().Signalled())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"a", "b"}, d.freed)
}

func TestInitWithoutTimedoutJob(t *testing.T) {
	run := func(p *des.Proc, j *sched.Job) *fence.Fence { return nil }
	t.Run("no timeout: accepted and jobs run", func(t *testing.T) {
		sim := des.MustNew(des.Config{})
		s := sched.Init(sim, sched.Config{Name: "gfx"}, sched.Ops{RunJob: run})
		e := sched.NewEntity(sim, "ctx1", s)
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			j := submit(t, p, e, "a", hw{})
			j.Finished().Wait(p)
			assert.Zero(t, j.Finished().Error())
			sched.Fini(p, s)
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		assert.Zero(t, s.TDRRuns())
	})
	t.Run("timeout set: panics", func(t *testing.T) {
		sim := des.MustNew(des.Config{})
		assert.PanicsWithValue(t,
			"sched gfx: Init with a TDR timeout of 1s needs a TimedoutJob handler "+
				"(drm_sched_job_timedout calls ops->timedout_job); use Timeout 0 for no timeout",
			func() { sched.Init(sim, sched.Config{Name: "gfx", Timeout: des.Second}, sched.Ops{RunJob: run}) })
	})
	t.Run("no RunJob: panics", func(t *testing.T) {
		sim := des.MustNew(des.Config{})
		assert.PanicsWithValue(t, "sched: Init needs a sim, a name and RunJob",
			func() { sched.Init(sim, sched.Config{Name: "gfx"}, sched.Ops{}) })
	})
}

// drm_sched_fault queues the TDR at once: without a TimedoutJob the kernel would call NULL.
func TestFaultWithoutTimedoutJobPanics(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := sched.Init(sim, sched.Config{Name: "gfx"}, sched.Ops{
		RunJob: func(p *des.Proc, j *sched.Job) *fence.Fence { return nil },
	})
	sim.Spawn("irq", des.Task, func(p *des.Proc) { sched.Fault(p, s) })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.Panic, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "sched gfx: Fault (drm_sched_fault) needs a TimedoutJob handler")
}

// drm_sched_entity_kill_jobs_work runs from the system workqueue once a killed job's
// dependency signals, and dereferences job->sched; nothing in drm_sched_fini flushes it. A
// driver that frees the scheduler before the dependency signals is caught; one that waits
// for the kill works first (FlushKillJobs) is not.
func TestKillJobsWorkAfterSchedulerFree(t *testing.T) {
	for _, flush := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{})
		e := sched.NewEntity(sim, "ctx1", d.s)
		other := fence.NewContext(sim, "gpu0.gfx")
		var dep *fence.Fence
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			dep = other.NewFence(p) // another device's job, still running
			killed := submit(t, p, e, "render", hw{dur: 10}, dep)
			sched.Fini(p, d.s)
			sched.EntityKill(p, e)
			if flush {
				sched.FlushKillJobs(p, d.s)
				assert.Equal(t, -fence.ESRCH, killed.Finished().Error())
			}
			d.s.Free(p) // the last drm_dev_put: kfree(adev), ring and scheduler with it
		})
		sim.Spawn("gpu0", des.Task, func(p *des.Proc) { p.Sleep(100); _ = dep.Signal(p) })
		r := sim.Run()
		if flush {
			require.True(t, r.OK(), r.Violations)
			assert.Equal(t, []string{"render"}, d.freed)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
		assert.Contains(t, r.First().Msg, "slab-use-after-free in drm_sched_entity_kill_jobs_work\nRead of size 8 at addr ")
	}
}
