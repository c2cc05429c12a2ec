package hda

import "hotplugsim/des"

var (
	evOpen    = des.L("open")
	evPower   = des.L("power-state")
	evRefWait = des.L("snd_power_ref_and_wait")
)

// enter is what every file operation that may touch the hardware does first, per policy, and
// reports whether the operation goes on: ioctl-rwsem takes the read side of the BAR-move
// rwsem; quiesce takes a power reference and waits for D0 (snd_power_ref_and_wait), which a
// control ioctl holds until it returns (sound/core/control.c) but a PCM ioctl or release
// drops at once (snd_power_wait in snd_pcm_common_ioctl and snd_pcm_release,
// sound/core/pcm_native.c); quiesce-pcm-ref holds it for PCM too. stop-chip and wait-close
// take nothing. held is whether exit has a reference to drop.
func (c *Chip) enter(p *des.Proc, pcm bool) (held bool, err error) {
	switch {
	case c.pol.RWSem:
		c.rwsem.DownRead(p)
		return true, nil
	case c.pol.Quiesce:
		err := c.powerRefAndWait(p)
		if pcm && !c.pol.PCMRef || err != nil {
			c.powerUnref() // snd_power_wait; or the ref of a failed wait (callers unref it)
			return false, err
		}
		return true, nil
	}
	return false, nil
}

// exit undoes enter.
func (c *Chip) exit(p *des.Proc, held bool) {
	if !held {
		return
	}
	switch {
	case c.pol.RWSem:
		c.rwsem.UpRead(p)
	case c.pol.Quiesce:
		c.powerUnref()
	}
}

// powerRefAndWait is snd_power_ref_and_wait (sound/core/init.c): take a reference; while the
// card is neither in D0 nor shut down, drop it, sleep on power_sleep, and take it again
// (wait_event_cmd). -ENODEV if the card was shut down (snd_card_disconnect wakes the
// sleepers). The reference is held on return either way.
func (c *Chip) powerRefAndWait(p *des.Proc) error {
	p.Point(evRefWait, c.lbl, int64(c.powerRef), 0)
	c.powerRef++
	if !c.d0 && !c.shutdown {
		c.powerUnref()
		c.powerSleep.Wait(p, func() bool { return c.d0 || c.shutdown })
		c.powerRef++
	}
	if c.shutdown {
		return ErrNoDevice
	}
	return nil
}

// powerUnref is snd_power_unref: the last reference wakes snd_power_sync_ref.
func (c *Chip) powerUnref() {
	c.powerRef--
	if c.powerRef == 0 {
		c.powerRefSleep.WakeAll()
	}
}

// powerGetIfActive takes a power reference only if the card is in D0
// (pm_runtime_get_if_active): what a work item that must not sleep on D0 uses.
func (c *Chip) powerGetIfActive() bool {
	if !c.d0 {
		return false
	}
	c.powerRef++
	return true
}

// openFile is snd_card_file_add: it fails while the card is shut down (removed, or locked
// by snd_hda_lock_devices during a wait-close move).
func (c *Chip) openFile(p *des.Proc) error {
	p.Point(evOpen, c.lbl, int64(c.files), 0)
	if !c.bound || c.shutdown {
		return ErrNoDevice
	}
	c.files++
	return nil
}

// closeFile is snd_card_file_remove: the last close wakes whoever waits for it.
func (c *Chip) closeFile() {
	c.files--
	if c.files == 0 {
		c.filesWQ.WakeAll()
	}
}

// OpenFiles is the number of open files on the card.
func (c *Chip) OpenFiles() int { return c.files }
