package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
)

// unplugRun is the amdgpu hot-unplug v6 thread's unplug against two submitting apps. With guard, pushes and the
// unplug path are serialised by an rw_semaphore and a pushed-after-unplug check ("drm/amdgpu:
// Add rw_sem to pushing job into sched queue"); without it a job can land in an entity that
// the remove path already killed, and its published fence never signals.
func unplugRun(t *testing.T, cfg des.Config, guard bool) des.Result {
	sim := des.MustNew(cfg)
	d := newDriver(sim, sched.Config{HWSubmission: 2, Timeout: 50})
	d.status = sched.StatENODEV
	sem := lock.NewRWSem(sim, "adev->reset_sem")
	unplugged := false
	e1, e2 := sched.NewEntity(sim, "a", d.s), sched.NewEntity(sim, "b", d.s)
	push := func(p *des.Proc, e *sched.Entity, name string, h hw, deps ...*fence.Fence) *sched.Job {
		if guard {
			sem.DownRead(p)
			defer sem.UpRead(p)
			if unplugged {
				return nil // -ENODEV
			}
		}
		j, err := sched.JobInit(p, e, name)
		if err != nil {
			return nil
		}
		j.Payload = h
		for _, f := range deps {
			j.AddDependency(p, f.Get(p))
		}
		j.Arm(p)
		j.Finished().Get(p)                      // the submitter's reference, kept by the test
		p.Sleep(sim.Stream("cs").Between(0, 20)) // amdgpu_cs: fences into the resvs, syncobjs
		sched.PushJob(p, j)
		return j
	}
	sim.Spawn("app1", des.Task, func(p *des.Proc) {
		for i := 0; i < 5; i++ {
			if push(p, e1, "a", hw{dur: 7}) == nil {
				return
			}
			p.Sleep(sim.Stream("app").Between(0, 30))
		}
	})
	sim.Spawn("app2", des.Task, func(p *des.Proc) {
		if j := push(p, e2, "b0", hw{dur: 3}); j != nil {
			push(p, e2, "b1", hw{hang: true}, j.Finished())
		}
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(sim.Stream("rm").Between(0, 200))
		if guard {
			sem.DownWrite(p)
		}
		unplugged = true
		d.ring.Unplug()
		sched.Fini(p, d.s)
		d.ring.ForceCompletion(p, -fence.ENODEV)
		if guard {
			sem.UpWrite(p)
		}
		sched.EntityFini(p, e1) // the apps close their files
		sched.EntityFini(p, e2)
	})
	return sim.Run()
}

func TestPushRacingUnplugNeedsTheRWSem(t *testing.T) {
	found := 0
	for _, strat := range []string{"random", "random:20ns", "pct:3"} {
		for seed := uint64(0); seed < 100; seed++ {
			cfg := des.Config{Seed: seed, Strategy: strat}
			r := unplugRun(t, cfg, true)
			require.True(t, r.OK(), "%s seed %d: %v", strat, seed, r.Violations)
			if r := unplugRun(t, cfg, false); !r.OK() {
				assert.Equal(t, oracle.FenceNeverSignalled, r.First().Kind)
				found++
			}
		}
	}
	assert.Positive(t, found, "some schedule pushes into the killed entity")
}

// drm_sched_job_init does not look at sched->ready: after drm_sched_fini a single-scheduler
// entity still accepts jobs, which then never run. Only the driver's own check rejects them.
func TestJobInitAfterFiniIsAccepted(t *testing.T) {
	for _, guard := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{})
		e := sched.NewEntity(sim, "ctx1", d.s)
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			sched.Fini(p, d.s)
			if guard && !d.s.Ready() {
				return // the driver's -ENODEV
			}
			j, err := sched.JobInit(p, e, "late")
			require.NoError(t, err, "drm_sched_job_init has no -ENOENT for a single-scheduler entity")
			j.Payload = hw{dur: 10}
			j.Arm(p)
			sched.PushJob(p, j)
		})
		r := sim.Run()
		if guard {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.FenceNeverSignalled, r.First().Kind)
	}
}

// The scheduler is embedded in the driver's ring: once it is freed, arming or pushing a job of
// one of its entities, or flushing one, reads freed memory.
func TestSchedulerUsedAfterFree(t *testing.T) {
	cases := map[string]func(p *des.Proc, d *driver, e *sched.Entity){
		"ok": func(p *des.Proc, d *driver, e *sched.Entity) {
			sched.Fini(p, d.s)
			d.ring.ForceCompletion(p, -fence.ENODEV)
			sched.EntityFini(p, e)
			d.s.Free(p)
		},
		"drm_sched_job_arm": func(p *des.Proc, d *driver, e *sched.Entity) {
			sched.Fini(p, d.s)
			d.ring.ForceCompletion(p, -fence.ENODEV)
			d.s.Free(p)
			j, _ := sched.JobInit(p, e, "late")
			j.Arm(p)
			sched.PushJob(p, j)
		},
		"drm_sched_entity_flush": func(p *des.Proc, d *driver, e *sched.Entity) {
			sched.Fini(p, d.s)
			d.ring.ForceCompletion(p, -fence.ENODEV)
			d.s.Free(p)
			sched.EntityFlush(p, e, 10)
		},
	}
	access := map[string]string{ // the field each path touches first
		"drm_sched_job_arm":      "Write of size 8", // atomic64_inc_return(&sched->job_id_count)
		"drm_sched_entity_flush": "Write of size 4", // the job_scheduled wait queue's lock
	}
	for _, name := range []string{"ok", "drm_sched_job_arm", "drm_sched_entity_flush"} {
		sim := des.MustNew(des.Config{})
		d := newDriver(sim, sched.Config{})
		e := sched.NewEntity(sim, "ctx1", d.s)
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			submit(t, p, e, "hung", hw{hang: true})
			p.Sleep(10)
			cases[name](p, d, e)
		})
		r := sim.Run()
		if name == "ok" {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First(), name)
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind, name)
		assert.Contains(t, r.First().Msg, name+"\n"+access[name]+" at addr ")
	}
}
