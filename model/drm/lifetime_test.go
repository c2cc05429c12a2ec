package drm_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/oracle"
)

// Two processes drop the one reference there is (a double drm_dev_put), interleaved at the
// put's scheduling point: the second decrement is on a freed device and must be reported,
// as refcount_t/KASAN would, whichever order they run in.
func TestRacingDoublePutIsAUseAfterFree(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	for _, who := range []string{"remove", "buggy_put"} {
		sim.Spawn(who, des.Task, func(p *des.Proc) { d.DevPut(p) })
	}
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterFree, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "drm_dev_put of drm_device:card0")
}

// A single put per reference is fine, interleaved the same way.
func TestRacingPutsOfTwoReferencesAreFine(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	d.DevGet(nil)
	for _, who := range []string{"remove", "close"} {
		sim.Spawn(who, des.Task, func(p *des.Proc) { d.DevPut(p) })
	}
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.True(t, d.Freed())
}

// drm_dev_get of a device whose last reference is being dropped: the get is checked where
// it touches the kref, after its scheduling point.
func TestGetRacingTheFinalPutIsAUseAfterFree(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	sim.Spawn("remove", des.Task, func(p *des.Proc) { d.DevPut(p) })
	sim.Spawn("no_ref_get", des.Task, func(p *des.Proc) {
		p.Yield()
		d.DevGet(p)
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterFree, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "BUG: KASAN: slab-use-after-free in drm_dev_get\n")
}

// drm_dev_enter reads dev->unplugged after srcu_read_lock: a device freed while the reader
// was taking the read lock is a use-after-free, never a section entered on freed memory.
func TestDevEnterNeverEntersAFreedDevice(t *testing.T) {
	freedInside, reported := 0, 0
	for _, strategy := range []string{"random", "pct:3:50"} {
		for seed := uint64(1); seed <= 200; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy})
			d := drm.DevAlloc(sim, nil, "card0", nil)
			sim.Spawn("remove", des.Task, func(p *des.Proc) { d.DevPut(p) })
			sim.Spawn("worker", des.Worker, func(p *des.Proc) {
				if idx, ok := d.DevEnter(p); ok {
					if d.Freed() {
						freedInside++
					}
					drm.DevExit(p, idx)
				}
			})
			r := sim.Run()
			if !r.OK() {
				require.Equal(t, oracle.UseAfterFree, r.Violations[0].Kind, "%s seed %d", strategy, seed)
				reported++
			}
		}
	}
	assert.Zero(t, freedInside, "drm_dev_enter returned true on a freed device")
	assert.Positive(t, reported, "some schedules free the device during the enter")
}

// drm_open counts the open (open_count++) before drm_open_helper calls the driver's open
// hook, so the last close of another file meanwhile is not the device's last close.
func TestOpenCountsBeforeTheDriverOpenHook(t *testing.T) {
	sim := des.MustNew(des.Config{})
	lastcloses := 0
	d := drm.DevAlloc(sim, nil, "card0", &drm.Driver{
		Open:      func(p *des.Proc, f *drm.File) error { p.Sleep(10 * des.Microsecond); return nil },
		Lastclose: func(*des.Proc, *drm.Device) { lastcloses++ },
	})
	d.DevRegister(nil)
	sim.Spawn("first", des.Task, func(p *des.Proc) {
		f0, err := d.Open(p, "first") // its hook returns at 10us
		require.NoError(t, err)
		p.Sleep(5 * des.Microsecond) // inside the second open's hook
		require.NoError(t, f0.Close(p))
		assert.Zero(t, lastcloses, "another open is under way")
	})
	sim.Spawn("second", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond) // after the first open
		f, err := d.Open(p, "second")
		require.NoError(t, err)
		assert.Equal(t, 1, d.OpenCount())
		require.NoError(t, f.Close(p))
		assert.Equal(t, 1, lastcloses)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// A failing driver open hook undoes the count without a lastclose (drm_open's err_undo).
func TestFailedOpenUndoesTheCountWithoutLastclose(t *testing.T) {
	sim := des.MustNew(des.Config{})
	lastcloses := 0
	d := drm.DevAlloc(sim, nil, "card0", &drm.Driver{
		Open:      func(*des.Proc, *drm.File) error { return drm.ErrInval },
		Lastclose: func(*des.Proc, *drm.Device) { lastcloses++ },
	})
	d.DevRegister(nil)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		_, err := d.Open(p, "app")
		assert.ErrorIs(t, err, drm.ErrInval)
		assert.Zero(t, d.OpenCount())
		assert.Equal(t, 1, d.Refcount(), "drm_minor_release dropped the open's reference")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Zero(t, lastcloses)
}

// The racing double put is lib/refcount.c's WARN, with a title free of run numbers.
func TestRacingDoublePutWarnsAsRefcount(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	for _, who := range []string{"remove", "buggy_put"} {
		sim.Spawn(who, des.Task, func(p *des.Proc) { d.DevPut(p) })
	}
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	msg := r.Violations[0].Msg
	assert.True(t, strings.HasPrefix(msg, "WARNING: at lib/refcount.c refcount_warn_saturate\n"), msg)
	assert.Contains(t, msg, "refcount_t: ")
	assert.Contains(t, msg, "use-after-free.")
}
