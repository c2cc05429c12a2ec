package drm

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
)

// IoctlFunc is drm_ioctl_t: the handler of one ioctl.
type IoctlFunc func(p *des.Proc, f *File, arg any) error

// IoctlFlags are per-ioctl dispatch flags.
type IoctlFlags uint32

// IoctlDevEnter runs the handler inside drm_dev_enter/drm_dev_exit, as amdgpu protects the
// roots of its ioctls (amdgpu hot-unplug v6 thread); the dispatcher returns -ENODEV if the enter fails. The
// core drm_ioctl_kernel does not do this: it only checks drm_dev_is_unplugged first.
const IoctlDevEnter IoctlFlags = 1 << 0

// IoctlNoCopyIn and IoctlNoCopyOut take a direction bit out of the ioctl number: every
// ioctl is DRM_IOWR (drm_ioctl copies the argument in before the handler and out after it)
// unless the number is DRM_IOR (IoctlNoCopyIn), DRM_IOW (IoctlNoCopyOut) or DRM_IO (both).
const (
	IoctlNoCopyIn IoctlFlags = 1 << (iota + 1)
	IoctlNoCopyOut
)

// IoctlDesc is struct drm_ioctl_desc.
type IoctlDesc struct {
	Name  string
	Func  IoctlFunc
	Flags IoctlFlags
}

// CopyFromUser is copy_from_user into a kernel buffer from f's caller: it may fault
// (mm.MM.MightFault), so a lock held across it that a fault handler also takes is reported.
func CopyFromUser(p *des.Proc, f *File) {
	if f.MM != nil {
		f.MM.MightFault(p)
	}
}

// CopyToUser is copy_to_user to f's caller (see CopyFromUser).
func CopyToUser(p *des.Proc, f *File) {
	if f.MM != nil {
		f.MM.MightFault(p)
	}
}

var evIoctl = des.L("drm_ioctl")

// Ioctl is drm_ioctl -> drm_ioctl_kernel for ioctl number nr of the driver's table.
// A lock the handler leaves held is lockdep_sys_exit's report at the return to user space.
func (f *File) Ioctl(p *des.Proc, nr int, arg any) error {
	d := f.dev
	depth := lock.Depth(p)
	if !d.rec.On() || f.closed || nr < 0 || nr >= len(d.drv.Ioctls) || d.drv.Ioctls[nr].Func == nil {
		err := f.ioctl(p, nr, arg)
		lock.SysExit(p, depth)
		return err
	}
	start := d.sim.Now()
	err := f.ioctl(p, nr, arg)
	d.observeIoctl(nr, start)
	lock.SysExit(p, depth)
	return err
}

func (f *File) ioctl(p *des.Proc, nr int, arg any) error {
	if f.closed {
		return ErrBadF
	}
	d := f.dev
	if nr < 0 || nr >= len(d.drv.Ioctls) || d.drv.Ioctls[nr].Func == nil {
		if d.IsUnplugged(p) { // drm_ioctl checks it before it looks the number up
			return ErrNoDev
		}
		return ErrInval
	}
	desc := &d.drv.Ioctls[nr]
	if !d.Use(p, des.Join(p.Sim(), "drm_ioctl ", desc.Name)) {
		return ErrNoDev
	}
	p.Point(evIoctl, d.Label(), int64(nr), 0)
	if d.IsUnplugged(p) {
		return ErrNoDev
	}
	if desc.Flags&IoctlNoCopyIn == 0 {
		CopyFromUser(p, f) // copy_from_user(kdata, (void __user *)arg, in_size)
	}
	err := d.callIoctl(p, f, desc, arg)
	if desc.Flags&IoctlNoCopyOut == 0 {
		CopyToUser(p, f) // copy_to_user((void __user *)arg, kdata, out_size), whatever the handler returned
	}
	return err
}

// callIoctl is drm_ioctl_kernel's call of the handler, inside drm_dev_enter for IoctlDevEnter.
func (d *Device) callIoctl(p *des.Proc, f *File, desc *IoctlDesc, arg any) error {
	if desc.Flags&IoctlDevEnter == 0 {
		err := desc.Func(p, f, arg)
		d.checkIoctl(p, desc, err)
		return err
	}
	idx, ok := d.DevEnter(p)
	if !ok {
		return ErrNoDev
	}
	err := desc.Func(p, f, arg)
	d.checkIoctl(p, desc, err)
	DevExit(p, idx)
	return err
}

// checkIoctl is the ioctl-after-unplug oracle, run when the handler returns.
func (d *Device) checkIoctl(p *des.Proc, desc *IoctlDesc, err error) {
	if !d.drv.IoctlsFailAfterUnplug || !d.unplugSynced || errors.Is(err, ErrNoDev) {
		return
	}
	d.sim.Violate(p, oracle.IoctlAfterUnplug, d.Label(), fmt.Sprintf(
		"ioctl %s on %s returned %v after drm_dev_unplug completed (want -ENODEV): it ran outside drm_dev_enter",
		desc.Name, d.Name(), errString(err)))
}

func errString(err error) string {
	if err == nil {
		return "0"
	}
	return err.Error()
}
