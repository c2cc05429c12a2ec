package sound

import "hotplugsim/des"

// PCMOps is the part of struct snd_pcm_ops the model runs; every callback is optional.
// Ioctl stands for every PCM ioctl (hw_params, prepare, trigger, sync_ptr, ...): what names
// the ioctl.
type PCMOps struct {
	Open  func(p *des.Proc, s *PCMFile) error
	Close func(p *des.Proc, s *PCMFile)
	Ioctl func(p *des.Proc, s *PCMFile, what string) error
}

// PCM is struct snd_pcm with one playback substream: a snd_device of type DevPCM.
type PCM struct {
	dev *Device
	ops PCMOps
	// HoldPowerRef makes the PCM core hold the power reference across every ioctl and
	// release (snd_power_ref_and_wait ... snd_power_unref, as control ioctls do) instead of
	// mainline's snd_power_wait, which drops it before the operation runs.
	HoldPowerRef bool
	owner        *PCMFile
}

// PCMNew is snd_pcm_new with one playback substream. deps are what the callbacks
// dereference (the chip's low-level device), as for DeviceNew.
func (c *Card) PCMNew(p *des.Proc, name string, ops PCMOps, deps ...*Device) (*PCM, error) {
	pcm := &PCM{ops: ops}
	d, err := c.DeviceNew(p, DevPCM, "pcm:"+name, DeviceOps{}, deps...)
	if err != nil {
		return nil, err
	}
	pcm.dev, d.Data = d, pcm
	return pcm, nil
}

// Device is the PCM's snd_device.
func (pcm *PCM) Device() *Device { return pcm.dev }

// PCMFile is an open PCM substream (/dev/snd/pcmC*D*p).
type PCMFile struct {
	f   *File
	pcm *PCM
	// Private is substream->private_data / runtime->private_data, for the callbacks.
	Private any
}

// Open is snd_open of /dev/snd/pcmC*D*p then snd_pcm_open: -ENODEV without touching the
// card unless the PCM device is registered (no minor after the disconnect); then
// snd_card_file_add, snd_card_unref, the substream (-EBUSY if taken) and the driver's open.
func (pcm *PCM) Open(p *des.Proc) (*PCMFile, error) {
	if !pcm.dev.card.lookupMinor(pcm.dev) {
		return nil, ErrNoDevice
	}
	f, err := pcm.dev.card.FileAdd(p, "pcm")
	pcm.dev.card.put(p) // snd_card_unref
	if err != nil {
		return nil, err
	}
	if pcm.owner != nil {
		pcm.dev.card.FileRemove(p, f)
		return nil, ErrBusy
	}
	s := &PCMFile{f: f, pcm: pcm}
	pcm.owner = s
	if pcm.ops.Open != nil {
		if err := pcm.ops.Open(p, s); err != nil {
			pcm.owner = nil
			pcm.dev.card.FileRemove(p, f)
			return nil, err
		}
	}
	return s, nil
}

// powerEnter is the power step of snd_pcm_common_ioctl and snd_pcm_release: snd_power_wait,
// or with HoldPowerRef snd_power_ref_and_wait. held reports whether powerExit has a
// reference to drop.
func (s *PCMFile) powerEnter(p *des.Proc) (held bool, err error) {
	c := s.f.card
	if !s.pcm.HoldPowerRef {
		return false, c.PowerWait(p)
	}
	if err := c.PowerRefAndWait(p); err != nil {
		c.PowerUnref()
		return false, err
	}
	return true, nil
}

func (s *PCMFile) powerExit(held bool) {
	if held {
		s.f.card.PowerUnref()
	}
}

// Ioctl is snd_pcm_common_ioctl: -ENODEV after snd_card_disconnect; the power step; the
// driver's callback.
func (s *PCMFile) Ioctl(p *des.Proc, what string) error {
	if err := s.f.enter(p, "snd_pcm_ioctl"); err != nil {
		return err
	}
	if !s.pcm.dev.obj.Use(p, "snd_pcm_common_ioctl") {
		return ErrNoDevice
	}
	held, err := s.powerEnter(p)
	if err == nil && s.pcm.ops.Ioctl != nil {
		err = s.pcm.ops.Ioctl(p, s, what)
	}
	s.powerExit(held)
	return err
}

// Release is snd_pcm_release: the power step (a failed one does not stop it), the driver's
// close, then snd_card_file_remove. After a disconnect it runs the same way
// (snd_disconnect_release calls the original release).
func (s *PCMFile) Release(p *des.Proc) {
	s.f.release(p, "snd_pcm_release", func() {
		if !s.pcm.dev.obj.Use(p, "snd_pcm_release") {
			return
		}
		held, _ := s.powerEnter(p)
		if s.pcm.ops.Close != nil {
			s.pcm.ops.Close(p, s)
		}
		s.pcm.owner = nil
		s.powerExit(held)
	})
}
