package hda

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/irq"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/workqueue"
)

var (
	spanBarmove = des.NewSpan("barmove")
	evNoBAR     = des.L("rescan_done: BAR 0 unassigned")
)

// RescanPrepare is the .rescan_prepare hook: after it returns nothing may touch BAR 0 until
// RescanDone. What the driver does to get there is the policy.
func (c *Chip) RescanPrepare(p *des.Proc, d *pci.Dev) {
	spanBarmove.Begin(p, c.lbl, int64(c.regs.Phys()), 0)
	c.moving = true
	switch {
	case c.pol.Quiesce:
		c.suspend(p)
	default:
		if c.pol.RWSem {
			c.rwsem.DownWrite(p)
		}
		if c.pol.WaitClose {
			c.waitClosed(p)
		}
		c.stopChip(p)
		irq.DisableIRQ(p, c.line)
		if c.pol.WaitClose {
			workqueue.CancelWorkSync(p, c.bus.unsolWork)
		}
	}
	c.regs.Iounmap(p)
}

// RescanDone is the .rescan_done hook: ioremap BAR 0 at its (maybe new) address, initialize
// the chip, enable the interrupt, and undo what the policy's prepare blocked.
func (c *Chip) RescanDone(p *des.Proc, d *pci.Dev) {
	if m := d.Iomap(p, 0); m != nil {
		c.regs = m
	} else {
		p.Trace(evNoBAR, c.lbl, 0, 0) // keep the unmapped mapping: every access reports
	}
	c.initChip(p)
	irq.EnableIRQ(p, c.line)
	switch {
	case c.pol.RWSem:
		c.rwsem.UpWrite(p)
	case c.pol.WaitClose:
		c.card.unlockDevices()
	case c.pol.Quiesce:
		c.resume(p)
	}
	c.markResumed(p)
	c.moving = false
	c.stats.Moves++
	spanBarmove.End(p, c.lbl, int64(c.regs.Phys()), int64(c.stats.Moves))
}

// waitClosed is wait-close's prepare: snd_hda_lock_devices (new opens fail), then wait for
// every open file to be closed. The wait is bounded by MoveBound: a move that cannot finish
// because an idle app keeps its file open is a progress violation.
func (c *Chip) waitClosed(p *des.Proc) {
	c.card.lockDevices()
	if !c.card.waitClosed(p, c.cfg.MoveBound) {
		c.sim.Violate(p, oracle.Progress, c.lbl, fmt.Sprintf(
			"BAR move of %s stalled: rescan_prepare waited %v for %d open files to be closed",
			c.cfg.Name, c.cfg.MoveBound, c.card.files))
	}
}

// suspend is quiesce's prepare, the suspend-like sequence: D3hot (new operations wait in
// snd_power_ref_and_wait), snd_power_sync_ref (in-flight operations drain), suspend the
// running streams, stop the chip, disable_irq (which synchronizes with a running handler),
// cancel_work_sync of the unsolicited work.
func (c *Chip) suspend(p *des.Proc) {
	c.card.setPower(p, false)
	c.card.powerSyncRef(p)
	for _, s := range c.subs {
		if s.running {
			c.trigger(p, s, false)
			s.suspended = true
		}
	}
	c.stopChip(p)
	irq.DisableIRQ(p, c.line)
	workqueue.CancelWorkSync(p, c.bus.unsolWork)
}

// resume is quiesce's done after the chip is back: restart the suspended streams, return
// to D0 (waking the operations waiting for it) and requeue the work for events that
// arrived while the card was not in D0.
func (c *Chip) resume(p *des.Proc) {
	for _, s := range c.subs {
		if s.suspended {
			s.suspended = false
			c.trigger(p, s, true)
		}
	}
	c.card.setPower(p, true)
	if c.bus.unsolPending() {
		workqueue.ScheduleWork(p, c.bus.unsolWork)
	}
}
