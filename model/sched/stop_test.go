package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
)

// A reset as a driver's timeout handler does it: drm_sched_stop takes the hung job's hardware
// callback, the driver resets, drm_sched_start completes it with -ECANCELED; a job submitted
// while stopped waits for the start and then runs.
func TestStopStartCompletesTheHungJobAndResumes(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "pct:3"} {
		for seed := uint64(0); seed < 10; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat})
			d := newDriver(sim, sched.Config{})
			e := sched.NewEntity(sim, "ctx1", d.s)
			var hung, queued *sched.Job
			sim.Spawn("app", des.Task, func(p *des.Proc) {
				hung = submit(t, p, e, "hung", hw{hang: true})
				hung.Finished().Publish(p)
				p.Sleep(100)
				queued = submit(t, p, e, "queued", hw{dur: 10})
				queued.Finished().Publish(p)
				queued.Finished().Wait(p)
			})
			sim.Spawn("reset", des.Task, func(p *des.Proc) {
				p.Sleep(50)
				sched.Stop(p, d.s, nil)
				d.ring.ForceCompletion(p, -fence.ECANCELED) // the ring reset: the hung fence signals, no job sees it
				p.Sleep(100)                                // the queued job is pushed meanwhile and does not run
				assert.False(t, queued.Scheduled().Signalled(), "a stopped scheduler runs nothing")
				sched.Start(p, d.s, 0)
			})
			r := sim.Run()
			require.True(t, r.OK(), "%s seed %d: %v", strat, seed, r.Violations)
			assert.Equal(t, -fence.ECANCELED, hung.Finished().Error())
			assert.Zero(t, queued.Finished().Error())
			assert.Equal(t, []string{"hung", "queued"}, d.freed)
		}
	}
}

// A hardware fence that signals while the scheduler is stopped completes its job at the start
// with the fence's error.
func TestStartCompletesAJobWhoseFenceSignalledMeanwhile(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{})
	e := sched.NewEntity(sim, "ctx1", d.s)
	var j *sched.Job
	sim.Spawn("app", des.Task, func(p *des.Proc) { j = submit(t, p, e, "slow", hw{dur: 100}) })
	sim.Spawn("reset", des.Task, func(p *des.Proc) {
		p.Sleep(50)
		sched.Stop(p, d.s, nil)
		p.Sleep(100)
		assert.True(t, j.Parent() == nil, "stop took the parent")
		assert.False(t, j.Finished().Signalled())
		sched.Start(p, d.s, -fence.ETIME)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, -fence.ETIME, j.Finished().Error(), "without a parent the job is done with errno")
}

// A driver that stops its scheduler for a reset and never starts it leaves the jobs' published
// fences unsignalled.
func TestStopWithoutStartIsFenceNeverSignalled(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{})
	e := sched.NewEntity(sim, "ctx1", d.s)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		submit(t, p, e, "hung", hw{hang: true}).Finished().Publish(p)
	})
	sim.Spawn("reset", des.Task, func(p *des.Proc) {
		p.Sleep(50)
		sched.Stop(p, d.s, nil)
	})
	r := sim.Run()
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.FenceNeverSignalled, r.First().Kind)
}

// The timeout handler resets as drivers do: stop with the bad job (it goes back on the pending
// list), reset the ring, start; the bad job is completed with the start's errno and freed by
// the scheduler afterwards. The handler's own rearm (StatNominal) after Start's races the
// scheduler thread's cancel of the TDR: two try_to_grab_pending at once, not a lockup.
func TestTimeoutHandlerStopsAndStartsWithTheBadJob(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "pct:3"} {
		for seed := uint64(0); seed < 20; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strat})
			ring := sched.NewRing(sim, "gfx")
			var s *sched.Scheduler
			var freed []string
			s = sched.Init(sim, sched.Config{Name: "gfx", Timeout: 1000}, sched.Ops{
				RunJob: func(p *des.Proc, j *sched.Job) *fence.Fence { return ring.Submit(p, 0, true) },
				TimedoutJob: func(p *des.Proc, j *sched.Job) sched.Stat {
					sched.Stop(p, s, j)
					ring.ForceCompletion(p, -fence.ECANCELED)
					sched.Start(p, s, -fence.ETIME)
					return sched.StatNominal
				},
				FreeJob: func(p *des.Proc, j *sched.Job) { freed = append(freed, j.Name()); sched.JobCleanup(p, j); j.Free(p) },
			})
			e := sched.NewEntity(sim, "ctx1", s)
			var j *sched.Job
			sim.Spawn("app", des.Task, func(p *des.Proc) {
				j = submit(t, p, e, "hang", hw{})
				j.Finished().Publish(p)
				j.Finished().Wait(p)
			})
			r := sim.Run()
			require.True(t, r.OK(), "%s seed %d: %v", strat, seed, r.Violations)
			assert.Equal(t, -fence.ETIME, j.Finished().Error())
			assert.Equal(t, []string{"hang"}, freed)
			assert.GreaterOrEqual(t, s.TDRRuns(), 1) // a rearm the cleanup did not cancel in time runs on an empty list
		}
	}
}

// A guilty job whose hardware fence signalled before drm_sched_stop took its callback is not
// freed by the stop (the driver may still use it): sched->free_guilty makes the timeout
// handler free it once the driver's handler returned, exactly once.
func TestStopLeavesACompletedBadJobToTheTimeoutHandler(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ring := sched.NewRing(sim, "gfx")
	var s *sched.Scheduler
	var freed []string
	s = sched.Init(sim, sched.Config{Name: "gfx", Timeout: 1000}, sched.Ops{
		RunJob: func(p *des.Proc, j *sched.Job) *fence.Fence { return ring.Submit(p, 0, true) },
		TimedoutJob: func(p *des.Proc, j *sched.Job) sched.Stat {
			ring.ForceCompletion(p, -fence.ETIME) // the hang resolved itself: a false timeout
			sched.Stop(p, s, j)
			assert.False(t, j.Freed(), "drm_sched_stop keeps the bad job")
			sched.Start(p, s, 0)
			return sched.StatNominal
		},
		FreeJob: func(p *des.Proc, j *sched.Job) { freed = append(freed, j.Name()); sched.JobCleanup(p, j); j.Free(p) },
	})
	e := sched.NewEntity(sim, "ctx1", s)
	var j *sched.Job
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		j = submit(t, p, e, "hang", hw{})
		j.Finished().Wait(p)
		j.Finished().Put(p)
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, []string{"hang"}, freed)
}
