package hda

import (
	"hotplugsim/des"
	"hotplugsim/model/kasan"
)

var (
	evOpen    = des.L("open")
	evPower   = des.L("power-state")
	evRefWait = des.L("snd_power_ref_and_wait")
)

// card is the part of struct snd_card (include/sound/core.h, sound/core/init.c) the BAR move
// races on: open files, card->shutdown, the power state and the power references with their
// two wait queues. It is hda's own rather than model/sound's Card: that one allocates a KASAN
// object and traces snd_card_file_add and the power state at different points, which would
// change every hda-bar-move trace, and its shutdown is one-way while wait-close's
// snd_hda_lock_devices sets card->shutdown and clears it again (hda_codec.c). With the patch
// loader (Config.Patch) the card is also a KASAN object, allocated in probe (snd_card_new)
// and freed by snd_card_free (patch.go); without it the Obj stays unallocated, which keeps
// hda-bar-move's traces as they were.
type card struct {
	kasan.Obj
	lbl           des.Label
	registered    bool // snd_card_register ran (probe) and the card was not disconnected since
	files         int
	filesWQ       *des.WaitQueue
	shutdown      bool // card->shutdown while snd_hda_lock_devices holds (wait-close), or removed
	d0            bool // the card's power state is D0
	powerRef      int
	powerSleep    *des.WaitQueue // card->power_sleep
	powerRefSleep *des.WaitQueue // card->power_ref_sleep
}

func newCard(sim *des.Sim, name string) *card {
	return &card{lbl: des.L(name),
		filesWQ:       des.NewWaitQueue(sim, name+":files"),
		powerSleep:    des.NewWaitQueue(sim, name+":power_sleep"),
		powerRefSleep: des.NewWaitQueue(sim, name+":power_ref_sleep")}
}

// register is snd_card_register at the end of probe: the devices appear, in D0.
func (c *card) register() { c.registered, c.d0, c.shutdown = true, true, false }

// disconnect is snd_card_disconnect: new opens fail, and operations waiting in
// snd_power_ref_and_wait see card->shutdown and return -ENODEV.
func (c *card) disconnect() {
	c.registered, c.shutdown = false, true
	c.powerSleep.WakeAll()
}

// lockDevices is snd_hda_lock_devices: card->shutdown makes new opens fail.
func (c *card) lockDevices() { c.shutdown = true }

// unlockDevices is snd_hda_unlock_devices.
func (c *card) unlockDevices() { c.shutdown = false }

// setPower is snd_power_change_state (D3hot: 3, D0: 0 on the trace): going to D0 wakes
// power_sleep; nothing waits for D3hot.
func (c *card) setPower(p *des.Proc, d0 bool) {
	c.d0 = d0
	if !d0 {
		p.Point(evPower, c.lbl, 3, int64(c.powerRef))
		return
	}
	p.Point(evPower, c.lbl, 0, int64(c.powerRef))
	c.powerSleep.WakeAll()
}

// powerRefAndWait is snd_power_ref_and_wait (sound/core/init.c): take a reference; while the
// card is neither in D0 nor shut down, drop it, sleep on power_sleep, and take it again
// (wait_event_cmd). -ENODEV if the card was shut down (snd_card_disconnect wakes the
// sleepers). The reference is held on return either way.
func (c *card) powerRefAndWait(p *des.Proc) error {
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
func (c *card) powerUnref() {
	c.powerRef--
	if c.powerRef == 0 {
		c.powerRefSleep.WakeAll()
	}
}

// powerSyncRef is snd_power_sync_ref: wait until no power reference is held.
func (c *card) powerSyncRef(p *des.Proc) {
	c.powerRefSleep.Wait(p, func() bool { return c.powerRef == 0 })
}

// powerGetIfActive takes a power reference only if the card is in D0
// (pm_runtime_get_if_active): what a work item that must not sleep on D0 uses.
func (c *card) powerGetIfActive() bool {
	if !c.d0 {
		return false
	}
	c.powerRef++
	return true
}

// openFile is snd_card_file_add: it fails before the card is registered and while it is
// shut down (removed, or locked by snd_hda_lock_devices during a wait-close move).
func (c *card) openFile(p *des.Proc) error {
	p.Point(evOpen, c.lbl, int64(c.files), 0)
	if !c.registered || c.shutdown {
		return ErrNoDevice
	}
	c.files++
	return nil
}

// closeFile is snd_card_file_remove: the last close wakes whoever waits for it.
func (c *card) closeFile() {
	c.files--
	if c.files == 0 {
		c.filesWQ.WakeAll()
	}
}

// waitAllClosed is snd_card_free's wait for the last close (wait_for_completion(&released)
// once snd_card_disconnect made every open file's next operation fail).
func (c *card) waitAllClosed(p *des.Proc) {
	c.filesWQ.Wait(p, func() bool { return c.files == 0 })
}

// waitClosed waits, at most d, until every open file is closed, and reports whether they
// were.
func (c *card) waitClosed(p *des.Proc, d des.Duration) bool {
	return c.filesWQ.WaitTimeout(p, func() bool { return c.files == 0 }, d)
}
