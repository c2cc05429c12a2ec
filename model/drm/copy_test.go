package drm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/lock"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
)

// lockedFault is a BO fault handler that takes the driver's lock (as a driver that
// serialises its BO moves with one mutex takes it in ->fault, under mmap_lock).
type lockedFault struct {
	drvLock *lock.Mutex
	page    *mm.Page
}

func (o *lockedFault) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	o.drvLock.Lock(p)
	defer o.drvLock.Unlock(p)
	return vmf.VMA.InsertPage(p, vmf.Address, o.page)
}

// copyWorld: an app maps a BO (its fault takes drv_lock) and touches it, then makes an ioctl
// whose handler copies to user memory, holding drv_lock across the copy or not.
func copyWorld(t *testing.T, lockedCopy bool) des.Result {
	sim := des.MustNew(des.Config{})
	drvLock := lock.NewMutex(sim, "&drv->lock")
	drv := &drm.Driver{Ioctls: []drm.IoctlDesc{{Name: "GET_INFO", Func: func(p *des.Proc, f *drm.File, _ any) error {
		drvLock.Lock(p)
		if lockedCopy {
			drm.CopyToUser(p, f) // copy_to_user under drv_lock: might_fault takes mmap_lock
		}
		drvLock.Unlock(p)
		if !lockedCopy {
			drm.CopyToUser(p, f)
		}
		return nil
	}}}}
	d := drm.DevAlloc(sim, nil, "card0", drv)
	app := mm.NewMM(sim, "app", mm.Options{})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		d.DevRegister(p)
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		f.MM = app
		ops := &lockedFault{drvLock: drvLock, page: mm.AllocPage(sim, p, "bo")}
		vma, err := app.Mmap(p, mm.NewMapping(sim, "card0"), 0, 1, ops, nil)
		require.NoError(t, err)
		require.NoError(t, app.Write(p, vma.Start)) // mmap_lock -> drv_lock
		require.NoError(t, f.Ioctl(p, 0, nil))
	})
	return sim.Run()
}

// A driver lock held across copy_to_user that the fault handler also takes: lockdep sees
// mmap_lock -> drv_lock in the fault and drv_lock -> mmap_lock in the copy, without any
// copy faulting. Copying after the unlock is clean, and so are drm_ioctl's own copies of the
// argument, made outside the handler.
func TestCopyToUserUnderAFaultHandlersLock(t *testing.T) {
	r := copyWorld(t, false)
	require.True(t, r.OK(), r.Violations)
	r = copyWorld(t, true)
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.LockOrder, r.First().Kind)
	assert.Contains(t, r.First().Msg, "&mm->mmap_lock")
	assert.Contains(t, r.First().Msg, "&drv->lock")
}

// drm_ioctl copies the argument in before the handler and out after it: a user copy in
// atomic context is might_fault's sleeping-in-atomic bug, so an ioctl called with a spinlock
// held is reported at the copy-in.
func TestIoctlCopiesMightFault(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		spin := lock.NewSpinLock(sim, "&demo->lock")
		drv := &drm.Driver{Ioctls: []drm.IoctlDesc{{Name: "NOP", Func: func(p *des.Proc, _ *drm.File, _ any) error { return nil }}}}
		d := drm.DevAlloc(sim, nil, "card0", drv)
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			d.DevRegister(p)
			f, err := d.Open(p, "app")
			require.NoError(t, err)
			f.MM = mm.NewMM(sim, "app", mm.Options{})
			if atomic {
				spin.Lock(p)
				defer spin.Unlock(p)
			}
			_ = f.Ioctl(p, 0, nil)
		})
		r := sim.Run()
		if !atomic {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.LockOrder, r.First().Kind)
		assert.Contains(t, r.First().Msg, "might_fault")
	}
}
