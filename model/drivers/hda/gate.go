package hda

import "hotplugsim/des"

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
		err := c.card.powerRefAndWait(p)
		if pcm && !c.pol.PCMRef || err != nil {
			c.card.powerUnref() // snd_power_wait; or the ref of a failed wait (callers unref it)
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
		c.card.powerUnref()
	}
}

// OpenFiles is the number of open files on the card.
func (c *Chip) OpenFiles() int { return c.card.files }
