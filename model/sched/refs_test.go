package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
)

// refsRun is one job with a dependency on an external fence, pushed by an app that keeps its
// reference on the finished fence (amdgpu_cs_submit's p->fence) until drop, then closes its
// context (drm_sched_entity_fini drops last_scheduled). It returns the run's result, whether
// the finished fence still had references before the app's drop and before the entity fini, and the job's
// fences: dependency, scheduled, finished, parent.
func refsRun(t *testing.T, drop func(p *des.Proc, finished *fence.Fence)) (des.Result, [2]bool, [4]*fence.Fence) {
	sim := modeltest.Collect()
	d := newDriver(sim, sched.Config{})
	e := sched.NewEntity(sim, "ctx1", d.s)
	var fs [4]*fence.Fence
	var live [2]bool
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		dep := fence.NewContext(sim, "other").NewFence(p) // the app's reference
		j := submit(t, p, e, "a", hw{dur: 10}, dep)
		fs = [4]*fence.Fence{dep, j.Scheduled(), j.Finished(), nil}
		_ = dep.Signal(p)
		dep.Put(p)
		fs[2].Wait(p)
		p.Sleep(10) // the scheduler thread frees the job
		require.True(t, j.Freed(), "free_job ran")
		fs[3] = j.Parent()
		live[0] = fs[2].Refs() > 0
		drop(p, fs[2])
		live[1] = fs[2].Refs() > 0
		sched.EntityFini(p, e)
	})
	return sim.Run(), live, fs
}

// Every fence of a job is freed once the app, the entity and the scheduler dropped their
// references, and not before: a missing put leaves one allocated, a doubled one is a
// use-after-free.
func TestJobFencesFreedAfterTheLastPut(t *testing.T) {
	r, live, fs := refsRun(t, func(p *des.Proc, f *fence.Fence) { f.Put(p) })
	modeltest.OK(t, r)
	assert.Equal(t, [2]bool{true, true}, live, "the app's, then the entity's reference keep it")
	for i, f := range fs {
		assert.True(t, f.Freed(), "fence %d (%s) freed", i, f.Name())
	}
}

// A driver that drops a reference it does not own kills the fence under the entity, whose
// drm_sched_entity_fini then reports the use-after-free (drm_sched_entity_kill's
// dma_fence_get of last_scheduled: refcount_t's "addition on 0").
func TestPutOfAReferenceNotOwnedIsUseAfterFree(t *testing.T) {
	r, live, _ := refsRun(t, func(p *des.Proc, f *fence.Fence) {
		f.Put(p)
		f.Put(p) // the entity's last_scheduled reference
	})
	assert.Equal(t, [2]bool{true, false}, live)
	modeltest.First(t, r, oracle.UseAfterFree, "dma_fence_get", "fence:ctx1.finished#1")
}

// A driver whose free_job skips drm_sched_job_cleanup leaks the finished fence: it is never
// freed although the app dropped its reference.
func TestFreeJobWithoutCleanupLeaksTheFinishedFence(t *testing.T) {
	sim := des.MustNew(des.Config{})
	ring := sched.NewRing(sim, "gfx")
	s := sched.Init(sim, sched.Config{Name: "gfx"}, sched.Ops{
		RunJob:  func(p *des.Proc, j *sched.Job) *fence.Fence { return ring.Submit(p, 10, false) },
		FreeJob: func(p *des.Proc, j *sched.Job) { j.Free(p) }, // no sched.JobCleanup
	})
	e := sched.NewEntity(sim, "ctx1", s)
	var fin *fence.Fence
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		fin = submit(t, p, e, "a", hw{}).Finished()
		fin.Wait(p)
		p.Sleep(10)
		fin.Put(p)
	})
	modeltest.OK(t, sim.Run())
	assert.False(t, fin.Freed(), "the job's reference was never dropped")
}

// drm_sched_job_add_dependency keeps one fence per context, the later one; the other
// reference is dropped.
func TestDependenciesOfOneContextAreDeduplicated(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDriver(sim, sched.Config{})
	e := sched.NewEntity(sim, "ctx1", d.s)
	var early, late *fence.Fence
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		ctx := fence.NewContext(sim, "other")
		early, late = ctx.NewFence(p), ctx.NewFence(p)
		j := submit(t, p, e, "a", hw{dur: 1}, late, early)
		early.Put(p)
		assert.Zero(t, early.Refs(), "the earlier fence's job reference was put at once")
		p.Sleep(5)
		assert.False(t, j.Scheduled().Signalled(), "waits for the later fence")
		_ = late.Signal(p)
		late.Put(p)
		j.Finished().Wait(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.True(t, late.Freed(), "the job's reference on the later fence was put at cleanup")
}

// job_list_lock is a lockdep class of its own ("&sched->job_list_lock"): a driver lock taken
// around drm_sched_start (which takes it to rearm the TDR) orders the two; a driver path that
// takes them the other way round is a circular dependency.
func TestJobListLockOrderIsCheckedByLockdep(t *testing.T) {
	for _, inverted := range []bool{false, true} {
		sim := modeltest.Collect()
		d := newDriver(sim, sched.Config{Timeout: 100})
		drv := lockNew(sim)
		sim.Spawn("reset", des.Task, func(p *des.Proc) {
			drv.Lock(p)
			sched.Start(p, d.s, 0)
			drv.Unlock(p)
		})
		sim.Spawn("debugfs", des.Task, func(p *des.Proc) {
			p.Sleep(10)
			if inverted {
				sched.LockJobList(p, d.s)
				drv.Lock(p)
				drv.Unlock(p)
				sched.UnlockJobList(p, d.s)
				return
			}
			drv.Lock(p)
			sched.LockJobList(p, d.s)
			sched.UnlockJobList(p, d.s)
			drv.Unlock(p)
		})
		r := sim.Run()
		if !inverted {
			modeltest.OK(t, r)
			continue
		}
		modeltest.Only(t, r, oracle.LockOrder, sched.JobListLockClass, "drv->lock")
	}
}

func lockNew(sim *des.Sim) *lock.SpinLock { return lock.NewSpinLock(sim, "drv->lock") }
