package pm_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pm"
)

// dev is a device whose callbacks journal what they do and take virtual time.
type dev struct {
	rpm        *pm.Runtime
	log        []string
	failResume error
}

func newDev(sim *des.Sim) *dev {
	d := &dev{}
	d.rpm = pm.Init(sim, "0000:03:00.0", pm.Callbacks{
		Suspend: func(p *des.Proc) error {
			d.log = append(d.log, fmt.Sprintf("suspend%v", p.Now()))
			p.Sleep(10 * des.Microsecond)
			return nil
		},
		Resume: func(p *des.Proc) error {
			d.log = append(d.log, fmt.Sprintf("resume%v", p.Now()))
			p.Sleep(20 * des.Microsecond)
			return d.failResume
		},
	})
	require.NoError(nil, d.rpm.SetActive(nil))
	d.rpm.Enable(nil)
	return d
}

func runOK(t *testing.T, sim *des.Sim) des.Result {
	t.Helper()
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	return r
}

func TestPutSuspendsAsynchronouslyAndGetSyncResumes(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDev(sim)
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		d.rpm.GetNoresume(p)
		require.NoError(t, d.rpm.Put(p))
		assert.Equal(t, pm.Active, d.rpm.Status(), "pm_runtime_put only queues the idle request")
		p.Sleep(100 * des.Microsecond)
		assert.Equal(t, pm.Suspended, d.rpm.Status(), "pm_wq ran the suspend")
		require.NoError(t, d.rpm.GetSync(p))
		assert.Equal(t, pm.Active, d.rpm.Status(), "get_sync returns with the device resumed")
		assert.Equal(t, des.Time(120*des.Microsecond), p.Now(), "after the 20us resume callback")
		require.NoError(t, d.rpm.PutSync(p))
		assert.Equal(t, pm.Suspended, d.rpm.Status(), "put_sync suspends in the caller")
	})
	runOK(t, sim)
	assert.Equal(t, []string{"suspend@0ns", "resume@100us", "suspend@120us"}, d.log)
}

func TestPutAutosuspendWaitsForTheDelayAfterLastBusy(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDev(sim)
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		d.rpm.UseAutosuspend(p, des.Millisecond)
		d.rpm.GetNoresume(p)
		require.NoError(t, d.rpm.PutAutosuspend(p))
		p.Sleep(600 * des.Microsecond)
		require.NoError(t, d.rpm.GetSync(p), "still active: no resume needed")
		require.NoError(t, d.rpm.PutAutosuspend(p), "re-marks last busy at 600us")
		p.Sleep(900 * des.Microsecond)
		assert.Equal(t, pm.Active, d.rpm.Status(), "1ms after the first put, but not after the second")
		p.Sleep(200 * des.Microsecond)
		assert.Equal(t, pm.Suspended, d.rpm.Status())
	})
	runOK(t, sim)
	assert.Equal(t, []string{"suspend@1.6ms"}, d.log)
}

func TestGetSyncDuringSuspendWaitsThenResumes(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDev(sim)
	sim.Spawn("idle", des.Task, func(p *des.Proc) {
		d.rpm.GetNoresume(p)
		require.NoError(t, d.rpm.PutSync(p)) // suspend callback runs 0..10us here
	})
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		p.Sleep(5 * des.Microsecond)
		assert.Equal(t, pm.Suspending, d.rpm.Status())
		require.NoError(t, d.rpm.GetSync(p))
		assert.Equal(t, pm.Active, d.rpm.Status())
		d.rpm.PutNoidle(p)
	})
	runOK(t, sim)
	assert.Equal(t, []string{"suspend@0ns", "resume@10us"}, d.log)
}

func TestFailedResumeSetsRuntimeError(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDev(sim)
	eio := errors.New("-EIO")
	sim.Spawn("driver", des.Task, func(p *des.Proc) {
		require.NoError(t, d.rpm.PutSync(nilGet(p, d)))
		d.failResume = eio
		assert.ErrorIs(t, d.rpm.ResumeAndGet(p), eio)
		assert.Zero(t, d.rpm.UsageCount(), "resume_and_get drops the reference on failure")
		assert.ErrorIs(t, d.rpm.GetSync(p), pm.ErrInval, "runtime_error stops runtime PM")
		assert.Equal(t, int64(1), d.rpm.UsageCount(), "get_sync keeps the reference on failure")
		d.rpm.PutNoidle(p)
	})
	runOK(t, sim)
	assert.Equal(t, eio, d.rpm.RuntimeError())
}

func nilGet(p *des.Proc, d *dev) *des.Proc { d.rpm.GetNoresume(p); return p }

func TestBarrierWaitsForSuspendInProgress(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := newDev(sim)
	sim.Spawn("put", des.Task, func(p *des.Proc) { d.rpm.GetNoresume(p); _ = d.rpm.PutSync(p) })
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		d.rpm.Barrier(p)
		assert.Equal(t, des.Time(10*des.Microsecond), p.Now())
		assert.Equal(t, pm.Suspended, d.rpm.Status())
	})
	runOK(t, sim)
}

func TestBalancedGetPutIsClean(t *testing.T) {
	for seed := uint64(1); seed <= 50; seed++ {
		sim := des.MustNew(des.Config{Seed: seed, Strategy: "random"})
		d := newDev(sim)
		d.rpm.UseAutosuspend(nil, 50*des.Microsecond)
		for i := range 3 {
			sim.Spawn(fmt.Sprintf("ioctl%d", i), des.Task, func(p *des.Proc) {
				for range 4 {
					require.NoError(t, d.rpm.ResumeAndGet(p))
					assert.Equal(t, pm.Active, d.rpm.Status())
					p.Sleep(des.Duration(sim.Stream("ioctl").Between(1, 80)) * des.Microsecond)
					_ = d.rpm.PutAutosuspend(p)
				}
			})
		}
		r := runOK(t, sim)
		require.Zero(t, d.rpm.UsageCount(), "seed %d", seed)
		require.Equal(t, pm.Suspended, d.rpm.Status(), "seed %d: autosuspended at the end (%v)", seed, r.End)
	}
}

func TestPutWithoutGetIsUnderflow(t *testing.T) {
	for _, put := range []struct {
		name string
		fn   func(r *pm.Runtime, p *des.Proc)
	}{
		{"pm_runtime_put", func(r *pm.Runtime, p *des.Proc) { _ = r.Put(p) }},
		{"pm_runtime_put_sync", func(r *pm.Runtime, p *des.Proc) { _ = r.PutSync(p) }},
		{"pm_runtime_put_autosuspend", func(r *pm.Runtime, p *des.Proc) { _ = r.PutAutosuspend(p) }},
		{"pm_runtime_put_noidle", func(r *pm.Runtime, p *des.Proc) { r.PutNoidle(p) }},
	} {
		t.Run(put.name, func(t *testing.T) {
			sim := des.MustNew(des.Config{})
			d := newDev(sim)
			sim.Spawn("driver", des.Task, func(p *des.Proc) {
				require.NoError(t, d.rpm.GetSync(p))
				put.fn(d.rpm, p) // balanced
				put.fn(d.rpm, p) // the extra put
			})
			r := sim.Run()
			require.NotNil(t, r.First())
			assert.Equal(t, oracle.RuntimePMUnderflow, r.First().Kind)
			assert.Contains(t, r.First().Msg, "Runtime PM usage count underflow!")
			assert.Contains(t, r.First().Msg, put.name)
			assert.Zero(t, d.rpm.UsageCount(), "the count stays at zero")
		})
	}
}
