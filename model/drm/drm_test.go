package drm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
)

// devres is a parent device's devm list (model/pci's, reduced): released in reverse order
// at driver unbind.
type devres struct {
	names []string
	fns   []func(p *des.Proc)
}

func (r *devres) AddAction(name string, fn func(p *des.Proc)) error {
	r.names = append(r.names, name)
	r.fns = append(r.fns, fn)
	return nil
}

func (r *devres) releaseAll(p *des.Proc) {
	for i := len(r.fns) - 1; i >= 0; i-- {
		r.fns[i](p)
	}
	r.fns, r.names = nil, nil
}

func TestDrmmActionsRunInReverseAtTheFinalPutNotAtUnbind(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var order []string
	parent := &devres{}
	sim.Spawn("probe+remove", des.Task, func(p *des.Proc) {
		d, err := drm.DevmDrmDevAlloc(sim, p, parent, "card0", &drm.Driver{
			Release: func(p *des.Proc, d *drm.Device) { order = append(order, "driver.release") },
		})
		require.NoError(t, err)
		for _, n := range []string{"a", "b", "c"} {
			require.NoError(t, d.DrmmAddAction(p, n, func(*des.Proc) { order = append(order, n) }))
		}
		d.DevRegister(p)
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		assert.Equal(t, 2, d.Refcount())
		d.DevUnplug(p)
		parent.releaseAll(p) // unbind: devm runs, the drm_device survives the open file
		assert.Empty(t, order)
		assert.True(t, d.Live())
		assert.Equal(t, []string{"c", "b", "a", "drm_dev_init_release"}, d.DrmmActions())
		require.NoError(t, f.Close(p))
		assert.True(t, d.Freed())
		assert.ErrorIs(t, f.Close(p), drm.ErrBadF)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"driver.release", "c", "b", "a"}, order)
}

func TestUseOfAFreedDrmDevice(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		d := drm.DevAlloc(sim, p, "card0", nil)
		idx, ok := d.DevEnter(p) // live: fine
		require.True(t, ok)
		drm.DevExit(p, idx)
		d.DevPut(p)
		d.DevEnter(p)
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterFree, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "BUG: KASAN: slab-use-after-free in drm_dev_enter\n")
}

// synchronize_srcu in drm_dev_unplug waits for every drm_dev_enter section that started
// before; sections after it fail.
func TestDevUnplugWaitsForDevEnterSections(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	var exitAt, unplugAt des.Time
	sim.Spawn("worker", des.Worker, func(p *des.Proc) {
		idx, ok := d.DevEnter(p)
		require.True(t, ok)
		p.Sleep(10 * des.Microsecond)
		exitAt = p.Now()
		drm.DevExit(p, idx)
		_, ok = d.DevEnter(p)
		assert.False(t, ok)
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		d.DevUnplug(p)
		unplugAt = p.Now()
		assert.True(t, d.IsUnplugged(p))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, exitAt, unplugAt)
	assert.Equal(t, des.Time(10*des.Microsecond), unplugAt)
}

// One drm_unplug_srcu for all devices: unplugging card1 waits for card0's sections too.
func TestTheUnplugSRCUIsGlobal(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d0 := drm.DevAlloc(sim, nil, "card0", nil)
	d1 := drm.DevAlloc(sim, nil, "card1", nil)
	var unplugAt des.Time
	sim.Spawn("card0 ioctl", des.Task, func(p *des.Proc) {
		idx, _ := d0.DevEnter(p)
		p.Sleep(7 * des.Microsecond)
		drm.DevExit(p, idx)
	})
	sim.Spawn("unplug card1", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		d1.DevUnplug(p)
		unplugAt = p.Now()
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, des.Time(7*des.Microsecond), unplugAt)
	assert.Same(t, drm.UnplugSRCU(sim), drm.UnplugSRCU(sim))
}

// drm_dev_unplug ends with unmap_mapping_range of the anon inode: every CPU mapping of
// every BO of the device refaults.
func TestDevUnplugZapsEveryCPUMapping(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	page := mm.AllocPage(sim, nil, "tt_page")
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, err := app.Mmap(p, d.Mapping(), 0x100, 2, pageOps{page}, nil)
		require.NoError(t, err)
		require.NoError(t, app.Read(p, vma.Addr(0)))
		require.NoError(t, app.Read(p, vma.Addr(1)))
		d.DevUnplug(p)
		assert.Zero(t, vma.PresentCount())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

type pageOps struct{ page *mm.Page }

func (o pageOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	return vmf.VMA.InsertPage(p, vmf.Address, o.page)
}

func TestOpenAfterUnplugIsENODEV(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		_, err := d.Open(p, "early")
		assert.ErrorIs(t, err, drm.ErrNoDev, "not registered yet")
		d.DevRegister(p)
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		assert.Equal(t, 1, d.OpenCount())
		d.DevUnplug(p)
		_, err = d.Open(p, "late")
		assert.ErrorIs(t, err, drm.ErrNoDev)
		require.NoError(t, f.Close(p))
		assert.Equal(t, 1, d.Refcount())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// ioctl driver: nr 0 sleeps 10us "touching the device", with or without drm_dev_enter.
func ioctlDriver(flags drm.IoctlFlags) *drm.Driver {
	return &drm.Driver{
		IoctlsFailAfterUnplug: true,
		Ioctls: []drm.IoctlDesc{{Name: "AMDGPU_CS", Flags: flags, Func: func(p *des.Proc, f *drm.File, arg any) error {
			p.Sleep(10 * des.Microsecond)
			return nil
		}}},
	}
}

func ioctlRace(t *testing.T, flags drm.IoctlFlags) (des.Result, []error) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", ioctlDriver(flags))
	var errs []error
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		d.DevRegister(p)
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		errs = append(errs, f.Ioctl(p, 7, nil)) // no such ioctl
		errs = append(errs, f.Ioctl(p, 0, nil)) // races the unplug
		errs = append(errs, f.Ioctl(p, 0, nil)) // after it
		errs = append(errs, f.Ioctl(p, 7, nil)) // no such ioctl, after it: unplugged first
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		d.DevUnplug(p)
	})
	return sim.Run(), errs
}

func TestIoctlUnderDevEnterIsFencedByUnplug(t *testing.T) {
	r, errs := ioctlRace(t, drm.IoctlDevEnter)
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []error{drm.ErrInval, nil, drm.ErrNoDev, drm.ErrNoDev}, errs)
}

func TestIoctlOutsideDevEnterRunsPastUnplug(t *testing.T) {
	r, _ := ioctlRace(t, 0)
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.IoctlAfterUnplug, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "ioctl AMDGPU_CS on drm_device:card0 returned 0")
}

// The the amdgpu hot-unplug v6 thread TODO: a wait inside drm_dev_enter for something the unplug thread would
// only do after drm_dev_unplug (force-signal fences) deadlocks synchronize_srcu.
func TestWaitInsideDevEnterOnTheUnplugThreadDeadlocks(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	forceSignalled := des.NewCompletion(sim, "hw_fence")
	sim.Spawn("fence_wait", des.Task, func(p *des.Proc) {
		idx, _ := d.DevEnter(p)
		forceSignalled.Wait(p)
		drm.DevExit(p, idx)
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		d.DevUnplug(p)
		forceSignalled.CompleteAll()
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.Deadlock, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "drm_unplug_srcu")
}

type sigbusOps struct{}

func (sigbusOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult { return mm.VMFaultSIGBUS }

// The v1 approach of the amdgpu hot-unplug v6 thread: the app gets SIGBUS, exits, and exit_files closes its
// drm_file, dropping the last device reference.
func TestSIGBUSExitClosesTheDrmFile(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d := drm.DevAlloc(sim, nil, "card0", nil)
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		d.DevRegister(p)
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		f.CloseOnExit(app)
		d.DevPut(p) // the driver's reference is gone already (unbound)
		vma, err := app.Mmap(p, d.Mapping(), 0, 1, sigbusOps{}, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, app.Read(p, vma.Start), mm.ErrSIGBUS)
		assert.True(t, f.Closed())
		assert.True(t, d.Freed())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// openRacingFinalPut opens the device while the remove path unregisters it and drops the
// last reference. With the lookup and the reference taken in one step (drm_minor_acquire)
// the open either fails with -ENODEV or holds the device until its close. It reports whether
// the open won.
func openRacingFinalPut(seed uint64, strategy string) (des.Result, bool) {
	sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy})
	d := drm.DevAlloc(sim, nil, "card0", &drm.Driver{Name: "race"})
	d.DevRegister(nil)
	opened := false
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		if f, err := d.Open(p, "app"); err == nil {
			opened = true
			p.Yield()
			_ = f.Close(p)
		}
	})
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		d.DevUnregister(p)
		d.DevPut(p) // the driver's reference: the final one unless an open holds another
	})
	return sim.Run(), opened
}

func TestOpenRacingTheFinalPutNeverUsesAFreedDevice(t *testing.T) {
	won, lost := 0, 0
	for _, strategy := range []string{"random", "pct:3:100"} {
		for seed := uint64(1); seed <= 300; seed++ {
			r, opened := openRacingFinalPut(seed, strategy)
			require.True(t, r.OK(), "%s seed %d: %v", strategy, seed, r.Violations)
			if opened {
				won++
			} else {
				lost++
			}
		}
	}
	assert.Positive(t, won, "some opens take the device before the final put")
	assert.Positive(t, lost, "some opens find the minor gone")
}

func TestDevRegisterAndUnregisterTraceTheirOwnEvents(t *testing.T) {
	sim := des.MustNew(des.Config{})
	sim.Spawn("probe+remove", des.Task, func(p *des.Proc) {
		d := drm.DevAlloc(sim, p, "card0", nil)
		d.DevRegister(p)
		d.DevUnregister(p)
		d.DevPut(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	var seen []string
	for _, e := range sim.Trace() {
		if k := e.Kind.String(); k == "drm_dev_register" || k == "drm_dev_unregister" {
			seen = append(seen, k)
		}
	}
	assert.Equal(t, []string{"drm_dev_register", "drm_dev_unregister"}, seen)
}
