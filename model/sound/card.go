package sound

import (
	"errors"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
)

// Errors the sound core returns.
var (
	ErrNoDevice = errors.New("-ENODEV")
	ErrNoEnt    = errors.New("-ENOENT")
	ErrBadFD    = errors.New("-EBADFD")
	ErrBusy     = errors.New("-EBUSY")
)

// Card is struct snd_card: its devices, controls and open files, its power state, and the
// card_dev reference count that open files hold (release_card_device frees the card at the
// last put).
type Card struct {
	sim  *des.Sim
	obj  kasan.Obj // the snd_card allocation (with its private data)
	name string

	devices []*Device // card->devices, sorted by type, creation order within a type
	ctl     *Device   // the control device snd_card_new creates

	controls      []*Kcontrol
	controlsRWSem *lock.RWSem // card->controls_rwsem

	files      []*File        // card->files_list
	removeWait *des.WaitQueue // card->remove_sleep
	refs       int            // card->card_dev's reference count
	released   *des.Completion
	shutdown   bool // card->shutdown
	registered bool
	releasing  bool

	power         PowerState
	powerRef      int
	powerSleep    *des.WaitQueue // card->power_sleep
	powerRefSleep *des.WaitQueue // card->power_ref_sleep

	// PrivateFree is card->private_free, run when the card is released, after its devices.
	PrivateFree func(p *des.Proc)
}

// Trace events (kind; object: the card): scheduling points before the card's shared state is
// read or changed.
var (
	evFileAdd    = des.L("snd_card_file_add")
	evFileRemove = des.L("snd_card_file_remove")
	evDisconnect = des.L("snd_card_disconnect")
	evIoctl      = des.L("snd_ioctl")
)

// NewCard is snd_card_new: the card (one reference, the driver's), in D0, with its control
// device (snd_ctl_create). p is the probing process (nil: set-up code).
func NewCard(sim *des.Sim, p *des.Proc, name string) (*Card, error) {
	if name == "" {
		return nil, errors.New("sound: empty card name")
	}
	c := &Card{sim: sim, name: name, refs: 1,
		controlsRWSem: lock.NewRWSem(sim, "&card->controls_rwsem"),
		removeWait:    des.NewWaitQueue(sim, name+":remove_sleep"),
		powerSleep:    des.NewWaitQueue(sim, name+":power_sleep"),
		powerRefSleep: des.NewWaitQueue(sim, name+":power_ref_sleep")}
	c.obj.Alloc(sim, p, name)
	c.ctl = c.newDevice(p, DevControl, name+":control", DeviceOps{
		Disconnect: c.ctlDevDisconnect, Free: c.ctlDevFree})
	return c, nil
}

// Name is the card's name.
func (c *Card) Name() string { return c.name }

// Label is the card's name as a trace label.
func (c *Card) Label() des.Label { return c.obj.Label() }

// Freed reports whether the card was released.
func (c *Card) Freed() bool { return c.obj.Freed() }

// Use checks an access to the card (KASAN): false, after a use-after-free report, if it was
// freed. Driver code that dereferences its card outside the sound core calls it.
func (c *Card) Use(p *des.Proc, what string) bool { return c.obj.Use(p, what) }

// Shutdown reports card->shutdown: snd_card_disconnect ran.
func (c *Card) Shutdown() bool { return c.shutdown }

// Register is snd_card_register: every device not yet registered is registered, in list
// order (lowest type first, so the control device last).
func (c *Card) Register(p *des.Proc) error {
	if !c.obj.Use(p, "snd_card_register") {
		return ErrNoDevice
	}
	for _, d := range c.devices {
		if err := d.register(p); err != nil {
			return err
		}
	}
	c.registered = true
	return nil
}

// Disconnect is snd_card_disconnect: the card is shut down (new opens fail, open files get
// the shutdown file operations: every call but release returns -ENODEV), every device is
// disconnected in reverse list order, power waiters are woken and the in-flight power
// references drained (snd_power_sync_ref). Calling it again does nothing.
func (c *Card) Disconnect(p *des.Proc) {
	p.Point(evDisconnect, c.Label(), int64(len(c.files)), 0)
	if !c.obj.Use(p, "snd_card_disconnect") || c.shutdown {
		return
	}
	c.shutdown = true
	for _, f := range c.files {
		f.disconnected = true // mfile->file->f_op = &snd_shutdown_f_ops
	}
	for i := len(c.devices) - 1; i >= 0; i-- {
		c.devices[i].disconnect(p)
	}
	c.registered = false
	c.powerSleep.WakeAll()
	c.PowerSyncRef(p)
}

// DisconnectSync is snd_card_disconnect_sync: disconnect, then wait until every open file
// is closed (card->remove_sleep).
func (c *Card) DisconnectSync(p *des.Proc) {
	c.Disconnect(p)
	c.removeWait.Wait(p, func() bool { return len(c.files) == 0 })
}

// FreeWhenClosed is snd_card_free_when_closed: disconnect and drop the driver's reference;
// the card is released when the last open file is closed (at once if none is open).
func (c *Card) FreeWhenClosed(p *des.Proc) {
	c.Disconnect(p)
	c.put(p)
}

// Free is snd_card_free: FreeWhenClosed, then wait until the card is released, that is
// until every open file is closed. A second call (devres after a manual free) does nothing.
func (c *Card) Free(p *des.Proc) {
	if c.released != nil || c.releasing {
		return
	}
	done := des.NewCompletion(c.sim, c.name+":released")
	c.released = done
	c.FreeWhenClosed(p)
	done.Wait(p)
}

// FreeNoWait releases the card at once, open files or not: snd_card_disconnect followed by
// the release without the wait of snd_card_free (what a driver that frees its card, or the
// memory the card's callbacks use, from remove by hand does). It models that misuse; an
// open file's next call or release is then a use-after-free of the card.
func (c *Card) FreeNoWait(p *des.Proc) {
	c.Disconnect(p)
	c.doFree(p)
}

// get is get_device(&card->card_dev).
func (c *Card) get() { c.refs++ }

// put is put_device(&card->card_dev): the last reference releases the card.
func (c *Card) put(p *des.Proc) {
	c.refs--
	if c.refs == 0 && !c.releasing {
		c.doFree(p)
	}
}

// doFree is snd_card_do_free: every device freed in reverse list order, private_free, the
// release completion, and the card's memory.
func (c *Card) doFree(p *des.Proc) {
	c.releasing = true
	for i := len(c.devices) - 1; i >= 0; i-- {
		c.devices[i].free(p)
	}
	c.devices = nil
	if c.PrivateFree != nil {
		c.PrivateFree(p)
	}
	if c.released != nil {
		c.released.CompleteAll()
	}
	c.obj.Free(p)
}

// File is struct snd_monitor_file: an open file of a device on the card, which holds a
// reference to the card from FileAdd to FileRemove.
type File struct {
	card         *Card
	what         string
	disconnected bool // f_op replaced by snd_shutdown_f_ops
	closed       bool
}

// FileAdd is snd_card_file_add (what every open of a sound device does first): -ENODEV once
// the card is shut down; otherwise the file is on the card's list and holds a reference.
func (c *Card) FileAdd(p *des.Proc, what string) (*File, error) {
	p.Point(evFileAdd, c.Label(), int64(len(c.files)), 0)
	if !c.obj.Use(p, "snd_card_file_add") || c.shutdown {
		return nil, ErrNoDevice
	}
	f := &File{card: c, what: what}
	c.files = append(c.files, f)
	c.get()
	return f, nil
}

// FileRemove is snd_card_file_remove (the end of every release): the file leaves the list,
// the last one wakes snd_card_disconnect_sync, and its reference is dropped (the last one
// releases a card already freed with FreeWhenClosed).
func (c *Card) FileRemove(p *des.Proc, f *File) {
	p.Point(evFileRemove, c.Label(), int64(len(c.files)), 0)
	if !c.obj.Use(p, "snd_card_file_remove") {
		return
	}
	for i, g := range c.files {
		if g == f {
			c.files = append(c.files[:i], c.files[i+1:]...)
			break
		}
	}
	f.closed = true
	if len(c.files) == 0 {
		c.removeWait.WakeAll()
	}
	c.put(p)
}

// lookupMinor is snd_lookup_minor_data under sound_mutex: whether d has a device node (it is
// registered and not disconnected) and, if so, a card reference for the opener.
func (c *Card) lookupMinor(d *Device) bool {
	if !d.Registered() {
		return false
	}
	c.get()
	return true
}

// OpenFiles is the number of open files on the card.
func (c *Card) OpenFiles() int { return len(c.files) }

// enter is what every file operation but release does first: -EBADFD on a closed file, the
// KASAN check of the card the file points to, and -ENODEV once the file has the shutdown
// operations.
func (f *File) enter(p *des.Proc, what string) error {
	p.Point(evIoctl, f.card.Label(), 0, 0)
	switch {
	case f.closed:
		return ErrBadFD
	case !f.card.obj.Use(p, what):
		return ErrNoDevice
	case f.disconnected:
		return ErrNoDevice // snd_disconnect_ioctl
	}
	return nil
}

// release runs the device's release (fn; after a disconnect, snd_disconnect_release calls
// the original one) and then snd_card_file_remove.
func (f *File) release(p *des.Proc, what string, fn func()) {
	if f.closed || !f.card.obj.Use(p, what) {
		return
	}
	if fn != nil {
		fn()
	}
	f.card.FileRemove(p, f)
}
