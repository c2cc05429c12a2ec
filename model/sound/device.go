package sound

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
)

// DeviceType is enum snd_device_type: the card's device list is sorted by it, so lower
// types are registered first and disconnected and freed last.
type DeviceType int

// Device types, in list order (include/sound/core.h).
const (
	DevLowLevel DeviceType = iota // SNDRV_DEV_LOWLEVEL: the chip itself, freed last
	DevInfo
	DevBus
	DevCodec
	DevPCM
	DevCompress
	DevRawMIDI
	DevTimer
	DevSequencer
	DevHwDep
	DevJack
	DevControl // SNDRV_DEV_CONTROL: must be the last one
)

// DeviceOps is struct snd_device_ops; every callback is optional.
type DeviceOps struct {
	Register   func(p *des.Proc, d *Device) error // dev_register
	Disconnect func(p *des.Proc, d *Device) error // dev_disconnect
	Free       func(p *des.Proc, d *Device) error // dev_free
}

type devState uint8

// enum snd_device_state.
const (
	devBuild devState = iota
	devRegistered
	devDisconnected
)

// Device is struct snd_device: one component of a card with its ops. Its memory is checked
// by KASAN: a device used after snd_device_free (or after the card's release) is a
// use-after-free.
type Device struct {
	card  *Card
	typ   DeviceType
	obj   kasan.Obj
	state devState
	ops   DeviceOps
	deps  []*Device
	// Data is device->device_data, for the driver's callbacks.
	Data any
}

// DeviceNew is snd_device_new: a device of the given type named "<card>:<name>", inserted
// after every device of a lower or equal type. deps are the devices its callbacks dereference (a PCM's chip, a
// jack's codec); they are KASAN-checked before each callback runs, so a device torn down
// after one it depends on is reported as a use-after-free of that one.
func (c *Card) DeviceNew(p *des.Proc, typ DeviceType, name string, ops DeviceOps, deps ...*Device) (*Device, error) {
	if !c.obj.Use(p, "snd_device_new") {
		return nil, ErrNoDevice
	}
	if typ < DevLowLevel || typ > DevControl {
		return nil, fmt.Errorf("sound: device type %d out of range", typ)
	}
	return c.newDevice(p, typ, c.name+":"+name, ops, deps...), nil
}

func (c *Card) newDevice(p *des.Proc, typ DeviceType, name string, ops DeviceOps, deps ...*Device) *Device {
	d := &Device{card: c, typ: typ, ops: ops, deps: deps}
	d.obj.Alloc(c.sim, p, name)
	at := len(c.devices)
	for at > 0 && c.devices[at-1].typ > typ { // list_for_each_prev ... pdev->type <= type
		at--
	}
	c.devices = append(c.devices[:at], append([]*Device{d}, c.devices[at:]...)...)
	return d
}

// Name is the device's name.
func (d *Device) Name() string { return d.obj.Name() }

// Type is the device's type.
func (d *Device) Type() DeviceType { return d.typ }

// Card is the device's card.
func (d *Device) Card() *Card { return d.card }

// Freed reports whether the device was freed.
func (d *Device) Freed() bool { return d.obj.Freed() }

// Registered reports whether the device is registered and not yet disconnected.
func (d *Device) Registered() bool { return d.state == devRegistered }

// Use checks an access to the device (KASAN).
func (d *Device) Use(p *des.Proc, what string) bool { return d.obj.Use(p, what) }

// call runs one callback after the KASAN checks of the device and of what it depends on.
func (d *Device) call(p *des.Proc, what string, fn func(p *des.Proc, d *Device) error) error {
	if !d.obj.Use(p, what) {
		return ErrNoDevice
	}
	for _, dep := range d.deps {
		if !dep.obj.Use(p, what) {
			return ErrNoDevice
		}
	}
	if fn == nil {
		return nil
	}
	return fn(p, d)
}

// register is __snd_device_register.
func (d *Device) register(p *des.Proc) error {
	if d.state != devBuild {
		return nil
	}
	if err := d.call(p, "snd_device_register", d.ops.Register); err != nil {
		return err
	}
	d.state = devRegistered
	return nil
}

// disconnect is __snd_device_disconnect.
func (d *Device) disconnect(p *des.Proc) {
	if d.state != devRegistered {
		return
	}
	_ = d.call(p, "snd_device_disconnect", d.ops.Disconnect)
	d.state = devDisconnected
}

// free is __snd_device_free: disconnect if still registered, dev_free, and the memory.
func (d *Device) free(p *des.Proc) {
	d.disconnect(p)
	_ = d.call(p, "snd_device_free", d.ops.Free)
	d.obj.Free(p)
}

// DeviceRegister is snd_device_register: register one device added after the card was
// registered.
func (c *Card) DeviceRegister(p *des.Proc, d *Device) error { return d.register(p) }

// DeviceDisconnect is snd_device_disconnect: disconnect one device now.
func (c *Card) DeviceDisconnect(p *des.Proc, d *Device) {
	if d.obj.Use(p, "snd_device_disconnect") {
		d.disconnect(p)
	}
}

// DeviceFree is snd_device_free: take one device off the card and free it now. Freeing a
// device that devices created after it depend on, while they live, is the misuse the
// reverse order of snd_card_free exists to avoid: their next callback is a use-after-free.
func (c *Card) DeviceFree(p *des.Proc, d *Device) {
	if !d.obj.Use(p, "snd_device_free") {
		return
	}
	for i, e := range c.devices {
		if e == d {
			c.devices = append(c.devices[:i], c.devices[i+1:]...)
			break
		}
	}
	d.free(p)
}
