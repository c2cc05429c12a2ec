package xe_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/fence"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
)

// leakWorld is one xe device under the fixed design with model/fence's leak check on (as the
// xe scenarios turn it on): an app opens it and runs two jobs, keeping the second job's fence
// (its out-syncobj) until put says; the device is removed, and the app closes its file unless
// holdOpen. put runs at one of the points below.
func leakWorld(t *testing.T, put leakPut, holdOpen bool) des.Result {
	t.Helper()
	sim := modeltest.Collect()
	fence.CheckLeaks(sim)
	pl, err := xe.NewPlatform(sim, xe.PlatformConfig{Devices: []xe.DeviceConfig{{Name: "xe0", Policy: xe.DefaultPolicy}}})
	require.NoError(t, err)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		require.NoError(t, pl.ProbeAll(p))
		gpu := pl.Device("xe0")
		c, err := gpu.Open(p, "app")
		require.NoError(t, err)
		require.NoError(t, c.ExecWait(p, nil)) // exec, wait, syncobj destroyed
		f, err := c.Exec(p, nil)
		require.NoError(t, err)
		f.Wait(p)
		if put == putBeforeRemove {
			f.Put(p)
		}
		gpu.Remove(p) // unbind: drm_dev_unplug, the wedge, the devm drm_dev_put
		if put == putAfterRemove {
			f.Put(p)
		}
		if !holdOpen {
			require.NoError(t, c.Close(p)) // the final drm_dev_put: drm_dev_release
		}
		if put == putAfterFinalPut {
			f.Put(p)
		}
	})
	return sim.Run()
}

type leakPut int

const (
	putBeforeRemove  leakPut = iota
	putAfterRemove           // after unbind, with the file still open
	putAfterFinalPut         // after the drm_device's final put (late, but put)
	putNever
)

// Every reference dropped, before the remove, between the remove and the final put, or even
// after it: nothing is referenced when the run ends.
func TestNoFenceLeakWhenEveryReferenceIsDropped(t *testing.T) {
	for _, tc := range []struct {
		name string
		put  leakPut
	}{{"before-remove", putBeforeRemove}, {"after-remove", putAfterRemove}, {"after-final-put", putAfterFinalPut}} {
		t.Run(tc.name, func(t *testing.T) { modeltest.OK(t, leakWorld(t, tc.put, false)) })
	}
}

// A fence still referenced after the drm_device's final put is unreachable: kmemleak reports
// it, the ring's hardware fence, with its state.
func TestFenceKeptPastTheFinalPutIsALeak(t *testing.T) {
	v := modeltest.Only(t, leakWorld(t, putNever, false), oracle.FenceLeak,
		"kmemleak: 1 new suspected memory leaks", "unreferenced object 0xffff888",
		"fence:xe0.1.ring#2: dma_fence context", "seqno 2, signalled, refcount 1")
	assert.NotContains(t, v.Msg, "ring#1", "the first job's fence was put")
}

// The timeline ends at the final put, not at unbind: while the app keeps its file (and so the
// drm_device) open, the fence it holds is still reachable, removed device or not.
func TestFenceOfAnOpenRemovedDeviceIsNoLeak(t *testing.T) {
	modeltest.OK(t, leakWorld(t, putNever, true))
}
