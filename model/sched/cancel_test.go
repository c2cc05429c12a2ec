package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
)

// cancelRun pushes a job that hangs the ring, finalises the scheduler with it pending and
// then force-completes the ring (amdgpu's remove path), with or without Ops.CancelJob; the
// app drops its references and the device is torn down (the ring's fence driver, then the
// scheduler). It returns the job and its finished, scheduled and hardware fences.
func cancelRun(t *testing.T, cancel bool) (des.Result, *sched.Job, [3]*fence.Fence) {
	sim := modeltest.Collect()
	fence.CheckLeaks(sim)
	ring := sched.NewRing(sim, "gfx")
	ops := sched.Ops{
		RunJob: func(p *des.Proc, j *sched.Job) *fence.Fence { return ring.Submit(p, 10, j.Payload.(hw).hang) },
		FreeJob: func(p *des.Proc, j *sched.Job) {
			sched.JobCleanup(p, j)
			j.Free(p)
		},
	}
	if cancel {
		ops.CancelJob = func(p *des.Proc, _ *sched.Job) { ring.ForceCompletion(p, -fence.ECANCELED) }
	}
	s := sched.Init(sim, sched.Config{Name: "gfx"}, ops)
	e := sched.NewEntity(sim, "ctx1", s)
	var j *sched.Job
	var fs [3]*fence.Fence
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		j = submit(t, p, e, "a", hw{hang: true})
		p.Sleep(5)
		fs = [3]*fence.Fence{j.Finished(), j.Scheduled(), j.Parent()}
		assert.Equal(t, 1, s.Pending(), "on the hardware")
		sched.Fini(p, s)
		ring.ForceCompletion(p, -fence.ENODEV)
		fs[0].Put(p) // the submitter's reference
		sched.EntityFini(p, e)
		ring.Fini(p)
		s.Free(p)
	})
	return sim.Run(), j, fs
}

// Without cancel_job (before v6.17) drm_sched_fini leaves a pending job on the list: the job
// and its three fences are never freed although every other reference was dropped, and the
// leak check reports the fences once the ring and the scheduler are gone.
func TestFiniWithoutCancelJobLeavesPendingJobs(t *testing.T) {
	r, j, fs := cancelRun(t, false)
	modeltest.Only(t, r, oracle.FenceLeak, "kmemleak: 3 new suspected memory leaks",
		"fence:ctx1.scheduled#1", "fence:ctx1.finished#1", "fence:gfx#1")
	assert.False(t, j.Freed(), "drm_sched_fini freed no job")
	for _, f := range fs {
		assert.False(t, f.Freed(), "%s is still referenced", f.Name())
		assert.Positive(t, f.Refs())
	}
}

// With cancel_job, drm_sched_cancel_remaining_jobs signals the job's hardware fence
// (-ECANCELED) and frees it: every fence goes with the last reference.
func TestFiniCancelsAndFreesPendingJobs(t *testing.T) {
	r, j, fs := cancelRun(t, true)
	modeltest.OK(t, r)
	assert.True(t, j.Freed(), "free_job ran at drm_sched_fini")
	assert.Equal(t, fence.Errno(-fence.ECANCELED), fs[0].Error(), "the finished fence carries the cancel")
	for _, f := range fs {
		assert.Zero(t, f.Refs(), "%s", f.Name())
	}
}
