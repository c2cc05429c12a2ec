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
	evBarmoveBegin = des.L("barmove:begin")
	evBarmoveEnd   = des.L("barmove:end")
	evNoBAR        = des.L("rescan_done: BAR 0 unassigned")
)

// RescanPrepare is the .rescan_prepare hook: after it returns nothing may touch BAR 0 until
// RescanDone. What the driver does to get there is the policy.
func (c *Chip) RescanPrepare(p *des.Proc, d *pci.Dev) {
	p.Trace(evBarmoveBegin, c.lbl, int64(c.regs.Phys()), 0)
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
			workqueue.CancelWorkSync(p, c.unsolWork)
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
		c.shutdown = false // snd_hda_unlock_devices
	case c.pol.Quiesce:
		c.resume(p)
	}
	c.markResumed(p)
	c.moving = false
	c.stats.Moves++
	p.Trace(evBarmoveEnd, c.lbl, int64(c.regs.Phys()), int64(c.stats.Moves))
}

// waitClosed is wait-close's prepare: snd_hda_lock_devices (new opens fail), then wait for
// every open file to be closed. The wait is bounded by MoveBound: a move that cannot finish
// because an idle app keeps its file open is a progress violation.
func (c *Chip) waitClosed(p *des.Proc) {
	c.shutdown = true
	if !c.filesWQ.WaitTimeout(p, func() bool { return c.files == 0 }, c.cfg.MoveBound) {
		c.sim.Violate(p, oracle.Progress, c.lbl, fmt.Sprintf(
			"BAR move of %s stalled: rescan_prepare waited %v for %d open files to be closed",
			c.cfg.Name, c.cfg.MoveBound, c.files))
	}
}

// suspend is quiesce's prepare, the suspend-like sequence: D3hot (new operations wait in
// snd_power_ref_and_wait), snd_power_sync_ref (in-flight operations drain), suspend the
// running streams, stop the chip, disable_irq (which synchronizes with a running handler),
// cancel_work_sync of the unsolicited work.
func (c *Chip) suspend(p *des.Proc) {
	c.d0 = false
	p.Point(evPower, c.lbl, 3, int64(c.powerRef))
	c.powerRefSleep.Wait(p, func() bool { return c.powerRef == 0 })
	for _, s := range c.subs {
		if s.running {
			c.trigger(p, s, false)
			s.suspended = true
		}
	}
	c.stopChip(p)
	irq.DisableIRQ(p, c.line)
	workqueue.CancelWorkSync(p, c.unsolWork)
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
	c.d0 = true
	p.Point(evPower, c.lbl, 0, int64(c.powerRef))
	c.powerSleep.WakeAll()
	if c.unsolRP != c.unsolWP {
		workqueue.ScheduleWork(p, c.unsolWork)
	}
}
