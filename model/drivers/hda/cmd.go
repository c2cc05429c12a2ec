package hda

import (
	"hotplugsim/des"
	"hotplugsim/model/workqueue"
)

var (
	evVerbTimeout = des.L("azx_get_response timeout")
	evSpurious    = des.L("spurious response")
	evUnsolBegin  = des.L("unsol:begin")
	evUnsolEnd    = des.L("unsol:end")
	evUnsolDefer  = des.L("unsol-deferred")
)

// execVerb is snd_hdac_bus_exec_verb: under cmd_mutex, send the verb through the CORB and
// poll the RIRB for its response.
func (c *Chip) execVerb(p *des.Proc, v uint32) (uint32, error) {
	c.cmdMutex.Lock(p)
	defer c.cmdMutex.Unlock(p)
	if err := c.sendCmd(p, v); err != nil {
		return 0, err
	}
	return c.getResponse(p)
}

// sendCmd is azx_corb_send_cmd: read CORBWP, check for a full ring, count the pending
// response, write the verb into the CORB (system memory) and ring the doorbell (CORBWP).
func (c *Chip) sendCmd(p *des.Proc, v uint32) error {
	c.regLock.LockIRQSave(p)
	defer c.regLock.UnlockIRQRestore(p)
	wp := c.readw(p, regCORBWP)
	if wp == allOnes16 {
		return ErrIO // the controller is gone or in D3
	}
	wp = (wp + 1) % ringEntries
	if rp := c.readw(p, regCORBRP); wp == rp {
		return ErrAgain // the CORB is full
	}
	c.cmds++
	c.hw.corb[wp] = v
	c.writew(p, regCORBWP, wp)
	return nil
}

// getResponse is azx_rirb_get_response in polling mode: update the RIRB, and until the
// response arrived, udelay and poll again, up to CmdTimeout.
func (c *Chip) getResponse(p *des.Proc) (uint32, error) {
	polls := int(c.cfg.CmdTimeout/PollInterval) + 1
	for i := 0; i < polls; i++ {
		c.regLock.LockIRQSave(p)
		c.updateRIRB(p)
		done, res := c.cmds == 0, c.res
		c.regLock.UnlockIRQRestore(p)
		if done {
			return res, nil
		}
		p.Busy(PollInterval)
	}
	c.stats.VerbTimeouts++
	p.Trace(evVerbTimeout, c.lbl, int64(c.cmds), 0)
	c.cmds = 0
	return 0, ErrIO
}

// updateRIRB is snd_hdac_bus_update_rirb (reg_lock held): read RIRBWP, then consume the
// entries from system memory: unsolicited events are queued for the work item, responses
// complete the pending verb.
func (c *Chip) updateRIRB(p *des.Proc) {
	c.regLock.AssertHeld(p)
	wp := c.readw(p, regRIRBWP)
	if wp == allOnes16 {
		return // the device disappeared
	}
	wp %= ringEntries
	for n := 0; c.rirbRP != wp && n < ringEntries; n++ {
		c.rirbRP = (c.rirbRP + 1) % ringEntries
		e := c.hw.rirb[c.rirbRP]
		switch {
		case e.resEx&rirbExUnsol != 0:
			c.queueEvent(p, e)
		case c.cmds > 0:
			c.res = e.res
			c.cmds--
			c.stats.Verbs++
		default:
			c.stats.Spurious++
			p.Trace(evSpurious, c.lbl, int64(e.res), 0)
		}
	}
}

// queueEvent is snd_hdac_bus_queue_event: put the event in the unsol ring and schedule the
// work. It runs in the interrupt handler or in a poller, with reg_lock held.
func (c *Chip) queueEvent(p *des.Proc, e rirbEntry) {
	c.unsolWP = (c.unsolWP + 1) % unsolQueueSize
	c.unsolQ[c.unsolWP] = e
	c.stats.Unsol++
	workqueue.ScheduleWork(p, c.unsolWork)
}

// processUnsol is the unsol work (snd_hdac_bus_process_unsol_events): for each queued event,
// reg_lock is dropped and the codec's unsol_event talks to the codec (pin sense, then an
// ELD read): several verbs through the CORB and RIRB. It takes no lock of the BAR-move
// policies; under quiesce each event is handled under a power reference taken only if the
// card is in D0 (events found while it is not stay queued; RescanDone requeues the work).
func (c *Chip) processUnsol(p *des.Proc, _ *workqueue.Work) {
	for n := 0; n < unsolQueueSize; n++ {
		c.regLock.LockIRQSave(p)
		if c.unsolRP == c.unsolWP {
			c.regLock.UnlockIRQRestore(p)
			return
		}
		if c.pol.Quiesce && !c.powerGetIfActive() {
			c.regLock.UnlockIRQRestore(p)
			p.Trace(evUnsolDefer, c.unsolLbl, 0, 0)
			return
		}
		c.unsolRP = (c.unsolRP + 1) % unsolQueueSize
		e := c.unsolQ[c.unsolRP]
		c.regLock.UnlockIRQRestore(p)
		c.unsolEvent(p, e)
		if c.pol.Quiesce {
			c.powerUnref()
		}
	}
}

// unsolEvent is the codec driver's unsol_event for a jack/ELD notification.
func (c *Chip) unsolEvent(p *des.Proc, e rirbEntry) {
	p.Trace(evUnsolBegin, c.unsolLbl, int64(e.res), 0)
	for i := 0; i < c.cfg.UnsolVerbs; i++ {
		v := verb(3, verbGetHDMIELDData, uint32(i))
		if i == 0 {
			v = verb(3, verbGetPinSense, 0)
		}
		if _, err := c.execVerb(p, v); err != nil {
			break
		}
	}
	c.stats.UnsolDone++
	p.Trace(evUnsolEnd, c.unsolLbl, int64(e.res), 0)
}
