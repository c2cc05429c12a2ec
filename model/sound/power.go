package sound

import "hotplugsim/des"

// PowerState is the card's ACPI-like power state (SNDRV_CTL_POWER_*).
type PowerState uint32

// Power states.
const (
	PowerD0    PowerState = 0x0000 // SNDRV_CTL_POWER_D0: full on
	PowerD3hot PowerState = 0x0300 // SNDRV_CTL_POWER_D3hot: suspended, Vcc on
)

var evRefWait = des.L("snd_power_ref_and_wait")

// PowerState is snd_power_get_state.
func (c *Card) PowerState() PowerState { return c.power }

// PowerChangeState is snd_power_change_state: set the state and wake card->power_sleep.
func (c *Card) PowerChangeState(state PowerState) {
	c.power = state
	c.powerSleep.WakeAll()
}

// PowerRef is snd_power_ref: one more operation in flight that snd_power_sync_ref waits for.
func (c *Card) PowerRef() { c.powerRef++ }

// PowerUnref is snd_power_unref: the last reference wakes card->power_ref_sleep.
func (c *Card) PowerUnref() {
	c.powerRef--
	if c.powerRef == 0 {
		c.powerRefSleep.WakeAll()
	}
}

// PowerRefs is atomic_read(&card->power_ref).
func (c *Card) PowerRefs() int { return c.powerRef }

// PowerRefAndWait is snd_power_ref_and_wait: take a reference and, unless the card is in
// D0, wait on power_sleep (dropping the reference while asleep, wait_event_cmd) until it is
// in D0 or shut down. -ENODEV if it was shut down while waiting. The reference is held on
// return either way: callers drop it with PowerUnref.
func (c *Card) PowerRefAndWait(p *des.Proc) error {
	p.Point(evRefWait, c.Label(), int64(c.powerRef), int64(c.power))
	c.PowerRef()
	if c.power == PowerD0 {
		return nil
	}
	c.PowerUnref()
	c.powerSleep.Wait(p, func() bool { return c.shutdown || c.power == PowerD0 })
	c.PowerRef()
	if c.shutdown {
		return ErrNoDevice
	}
	return nil
}

// PowerWait is snd_power_wait: PowerRefAndWait and drop the reference at once. What follows
// is not waited for by PowerSyncRef.
func (c *Card) PowerWait(p *des.Proc) error {
	err := c.PowerRefAndWait(p)
	c.PowerUnref()
	return err
}

// PowerSyncRef is snd_power_sync_ref: wait until no power reference is held.
func (c *Card) PowerSyncRef(p *des.Proc) {
	c.powerRefSleep.Wait(p, func() bool { return c.powerRef == 0 })
}
