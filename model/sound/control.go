package sound

import (
	"hotplugsim/des"
	"hotplugsim/model/kasan"
)

// KcontrolNew is struct snd_kcontrol_new reduced to one integer value: Get and Put are the
// driver's callbacks, run under card->controls_rwsem (read side for get, write side for
// put) with a power reference held. Put returns 1 when the value changed (a notification
// follows), 0 when not, or an error.
type KcontrolNew struct {
	Name        string
	Get         func(p *des.Proc, k *Kcontrol) (int64, error)
	Put         func(p *des.Proc, k *Kcontrol, v int64) (int, error)
	PrivateFree func(p *des.Proc, k *Kcontrol) // kcontrol->private_free
}

// Kcontrol is struct snd_kcontrol: one control element on a card. It is freed with the
// control device (snd_ctl_dev_free), checked by KASAN.
type Kcontrol struct {
	card *Card
	obj  kasan.Obj
	tmpl KcontrolNew
	// Private is kcontrol->private_value / private_data, for the callbacks.
	Private any
	notify  int
}

// CtlAdd is snd_ctl_new1 followed by snd_ctl_add: a control named tmpl.Name on the card,
// added under the write side of controls_rwsem. -EBUSY if the name is taken.
func (c *Card) CtlAdd(p *des.Proc, tmpl KcontrolNew, private any) (*Kcontrol, error) {
	if !c.obj.Use(p, "snd_ctl_add") {
		return nil, ErrNoDevice
	}
	c.controlsRWSem.DownWrite(p)
	defer c.controlsRWSem.UpWrite(p)
	if c.findControl(tmpl.Name) != nil {
		return nil, ErrBusy
	}
	k := &Kcontrol{card: c, tmpl: tmpl, Private: private}
	k.obj.Alloc(c.sim, p, c.name+":ctl:"+tmpl.Name)
	c.controls = append(c.controls, k)
	return k, nil
}

// findControl is snd_ctl_find_id_locked by name.
func (c *Card) findControl(name string) *Kcontrol {
	for _, k := range c.controls {
		if k.tmpl.Name == name {
			return k
		}
	}
	return nil
}

// Name is the control's name.
func (k *Kcontrol) Name() string { return k.tmpl.Name }

// Freed reports whether the control was freed.
func (k *Kcontrol) Freed() bool { return k.obj.Freed() }

// Use checks an access to the control (KASAN).
func (k *Kcontrol) Use(p *des.Proc, what string) bool { return k.obj.Use(p, what) }

// Notifications counts the value-change events sent for the control (snd_ctl_notify).
func (k *Kcontrol) Notifications() int { return k.notify }

// Notify is snd_ctl_notify of a value change, as driver code (a jack, an interrupt) sends
// it: a use of the control.
func (k *Kcontrol) Notify(p *des.Proc) {
	if k.obj.Use(p, "snd_ctl_notify") {
		k.notify++
	}
}

// ctlDevDisconnect is snd_ctl_dev_disconnect: the control files are woken (their next
// ioctl gets the shutdown operations) and the device node goes.
func (c *Card) ctlDevDisconnect(p *des.Proc, d *Device) error { return nil }

// ctlDevFree is snd_ctl_dev_free: every control removed and freed under the write side of
// controls_rwsem, so an element read or write still running finishes first.
func (c *Card) ctlDevFree(p *des.Proc, d *Device) error {
	c.controlsRWSem.DownWrite(p)
	for _, k := range c.controls {
		if k.tmpl.PrivateFree != nil {
			k.tmpl.PrivateFree(p, k)
		}
		k.obj.Free(p)
	}
	c.controls = nil
	c.controlsRWSem.UpWrite(p)
	return nil
}

// CtlFile is an open control device (/dev/snd/controlC*, struct snd_ctl_file).
type CtlFile struct{ f *File }

// OpenControl is snd_open of /dev/snd/controlC* then snd_ctl_open: -ENODEV without touching
// the card unless its control device is registered (snd_lookup_minor_data finds no minor
// once snd_card_disconnect unregistered it, and takes a card reference under sound_mutex
// when it does); then snd_card_file_add, and snd_card_unref.
func (c *Card) OpenControl(p *des.Proc) (*CtlFile, error) {
	if !c.lookupMinor(c.ctl) {
		return nil, ErrNoDevice
	}
	f, err := c.FileAdd(p, "control")
	c.put(p) // snd_card_unref
	if err != nil {
		return nil, err
	}
	return &CtlFile{f: f}, nil
}

// ElemWrite is SNDRV_CTL_IOCTL_ELEM_WRITE (snd_ctl_elem_write_user): a power reference
// held across the write (snd_power_ref_and_wait ... snd_power_unref), the control found and
// its put run under the write side of controls_rwsem, a notification if it changed. After
// snd_card_disconnect it is the shutdown ioctl: -ENODEV, nothing touched.
func (cf *CtlFile) ElemWrite(p *des.Proc, name string, v int64) error {
	c := cf.f.card
	if err := cf.f.enter(p, "snd_ctl_elem_write"); err != nil {
		return err
	}
	defer c.PowerUnref()
	if err := c.PowerRefAndWait(p); err != nil {
		return err
	}
	c.controlsRWSem.DownWrite(p)
	defer c.controlsRWSem.UpWrite(p)
	k := c.findControl(name)
	if k == nil {
		return ErrNoEnt
	}
	if !k.obj.Use(p, "snd_ctl_elem_write") || k.tmpl.Put == nil {
		return ErrNoDevice
	}
	changed, err := k.tmpl.Put(p, k, v)
	if err != nil {
		return err
	}
	if changed > 0 {
		k.notify++ // snd_ctl_notify_one
	}
	return nil
}

// ElemRead is SNDRV_CTL_IOCTL_ELEM_READ (snd_ctl_elem_read_user): as ElemWrite, with get
// under the read side of controls_rwsem.
func (cf *CtlFile) ElemRead(p *des.Proc, name string) (int64, error) {
	c := cf.f.card
	if err := cf.f.enter(p, "snd_ctl_elem_read"); err != nil {
		return 0, err
	}
	defer c.PowerUnref()
	if err := c.PowerRefAndWait(p); err != nil {
		return 0, err
	}
	c.controlsRWSem.DownRead(p)
	defer c.controlsRWSem.UpRead(p)
	k := c.findControl(name)
	if k == nil {
		return 0, ErrNoEnt
	}
	if !k.obj.Use(p, "snd_ctl_elem_read") || k.tmpl.Get == nil {
		return 0, ErrNoDevice
	}
	return k.tmpl.Get(p, k)
}

// Release is snd_ctl_release: snd_card_file_remove.
func (cf *CtlFile) Release(p *des.Proc) { cf.f.release(p, "snd_ctl_release", nil) }
