package drm

import (
	"hotplugsim/des"
	"hotplugsim/model/mm"
)

// File is struct drm_file: one open of the device. It holds a device reference until
// Close.
type File struct {
	dev    *Device
	name   string
	closed bool
	gem    *gemTable // nil until the first GEM handle: files without GEM close as before
	// Private is driver_priv.
	Private any
	// MM is the address space of the process that makes the file's ioctls (current->mm of
	// drm_ioctl's user copies); nil: the copies have no mm to fault in, as for a kernel thread.
	MM *mm.MM
}

var (
	evOpen  = des.L("drm_open")
	evClose = des.L("drm_release")
)

// Open is drm_open: drm_minor_acquire (take a reference; -ENODEV if unplugged or not
// registered), open_count++, then the driver's open hook (on failure open_count-- and the
// reference is dropped, without lastclose).
func (d *Device) Open(p *des.Proc, name string) (*File, error) {
	p.Point(evOpen, d.Label(), int64(d.openCount), 0)
	// drm_minor_acquire: the minor lookup and drm_dev_get happen under drm_minor_lock, so
	// the check that the minor is registered and the reference are one step: no
	// scheduling point between them, or a final drm_dev_put could free the device there.
	// The lookup is in the minor table, not the drm_device: a gone minor touches nothing.
	if !d.registered {
		return nil, ErrNoDev
	}
	if !d.Use(p, "drm_open") {
		return nil, ErrNoDev
	}
	if len(d.files) >= MaxFiles {
		return nil, ErrMFile
	}
	d.minorAcquire(p)
	if d.IsUnplugged(p) {
		d.DevPut(p)
		return nil, ErrNoDev
	}
	d.openCount++ // before drm_open_helper runs the driver's open hook
	f := files.New(d.sim)
	f.dev, f.name = d, name
	if d.drv.Open != nil {
		if err := d.drv.Open(p, f); err != nil {
			d.openCount-- // err_undo: no lastclose
			d.DevPut(p)
			return nil, err
		}
	}
	d.files = append(d.files, f)
	return f, nil
}

// CloseOnExit closes the file when the process whose address space is m exits
// (exit_files), unless it was closed before.
func (f *File) CloseOnExit(m *mm.MM) {
	m.AtExit(func(p *des.Proc) {
		if !f.closed {
			_ = f.Close(p)
		}
	})
}

// Dev is the file's device (minor->dev).
func (f *File) Dev() *Device { return f.dev }

// Name is who opened it.
func (f *File) Name() string { return f.name }

// Closed reports whether Close ran.
func (f *File) Closed() bool { return f.closed }

// Close is drm_release: postclose, open_count--, lastclose on the last one, then the
// file's device reference is dropped (which may free the device). A second Close is -EBADF.
func (f *File) Close(p *des.Proc) error {
	if f.closed {
		return ErrBadF
	}
	d := f.dev
	p.Point(evClose, d.Label(), int64(d.openCount), 0)
	f.closed = true
	d.unlinkFile(f) // drm_close_helper: list_del, then drm_file_free runs postclose
	if f.gem != nil {
		f.gemRelease(p) // drm_gem_release, before postclose
	}
	if d.drv.Postclose != nil {
		d.drv.Postclose(p, f)
	}
	d.openCount--
	if d.openCount == 0 && d.drv.Lastclose != nil {
		d.drv.Lastclose(p, d)
	}
	d.DevPut(p)
	return nil
}

func (d *Device) unlinkFile(f *File) {
	for i, g := range d.files {
		if g == f {
			d.files = append(d.files[:i], d.files[i+1:]...)
			return
		}
	}
}
