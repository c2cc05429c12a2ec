package drm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/kasan"
	"hotplugsim/model/oracle"
)

// racingRegister runs a probe whose drm_dev_register may fail part way (fault sites on) and an
// app that keeps trying to open the device, then closes it. The driver's private data is used
// by postclose. freeByHand is the error path that frees it itself, where the correct one leaves
// it to a drmm action (the final drm_dev_put). It returns the run's result, whether the
// registration failed and whether the app's open got in.
func racingRegister(t *testing.T, seed uint64, freeByHand bool) (des.Result, bool, bool) {
	t.Helper()
	sim := des.MustNew(des.Config{Seed: seed, Strategy: "random", Faults: true})
	priv := &kasan.Obj{}
	drv := &drm.Driver{Name: "racer", Postclose: func(p *des.Proc, _ *drm.File) { priv.Use(p, "racer_postclose") }}
	var ddev *drm.Device
	probed, failed, opened := false, false, false
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		ddev = drm.DevAlloc(sim, p, "card0", drv)
		priv.Alloc(sim, p, "racer_private")
		if !freeByHand {
			require.NoError(t, ddev.DrmmAddActionOrReset(p, "racer_fini", priv.Free))
		}
		if err := ddev.DevRegister(p); err != nil {
			failed = true
			assert.ErrorIs(t, err, drm.ErrNoMem)
			if freeByHand {
				priv.Free(p) // "nobody can have opened it": the render minor was visible
			}
			ddev.DevPut(p)
		}
		probed = true
	})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		for range 20 {
			if ddev != nil {
				if f, err := ddev.Open(p, "app"); err == nil {
					opened = true
					p.Sleep(des.Millisecond)
					require.NoError(t, f.Close(p))
					return
				}
			}
			if probed {
				return
			}
			p.Yield()
		}
	})
	return sim.Run(), failed, opened
}

// drm_dev_register that fails at the primary minor has had the render minor registered: an
// open can get in. A driver whose private data is a drmm action (freed at the final put, after
// that file's close) is clean; one whose error path frees it by hand is a use-after-free in
// postclose. Both outcomes need a seed on which the open got in.
func TestRegisterFailingPartWayLetsAnOpenIn(t *testing.T) {
	raced := 0
	for seed := uint64(1); seed <= 300 && raced < 3; seed++ {
		res, failed, opened := racingRegister(t, seed, false)
		require.True(t, res.OK(), "seed %d: %v", seed, res.Violations)
		if !failed || !opened {
			continue
		}
		raced++
		res, _, _ = racingRegister(t, seed, true)
		v := res.First()
		require.NotNil(t, v, "seed %d: the error path freed what the open file's postclose uses", seed)
		assert.Equal(t, oracle.UseAfterFree, v.Kind)
		assert.Contains(t, v.Msg, "racer_postclose")
	}
	require.Equal(t, 3, raced, "an open got into a failing drm_dev_register on three of 300 seeds")
}

// Without fault sites drm_dev_register never fails, and registers in one step.
func TestRegisterWithoutFaultSitesSucceeds(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	sim.Spawn("probe", des.Task, func(p *des.Proc) { require.NoError(t, d.DevRegister(p)) })
	res := sim.Run()
	require.True(t, res.OK(), res.Violations)
	sites, _ := sim.FaultSites()
	assert.Empty(t, sites)
}
