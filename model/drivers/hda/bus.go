package hda

import (
	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/workqueue"
)

var (
	evVerbTimeout = des.L("azx_get_response timeout")
	evSpurious    = des.L("spurious response")
	evUnsolDefer  = des.L("unsol-deferred")
	spanUnsol     = des.NewSpan("unsol")
)

const unsolQueueSize = 64 // HDA_UNSOL_QUEUE_SIZE

// Bus is struct hdac_bus (include/sound/hdaudio.h) as the controller uses it: the CORB/RIRB
// command path under reg_lock and cmd_mutex, the response of the verb in flight, and the
// unsolicited-event ring with the work item that drains it. Like the kernel's bus, it reaches
// the registers through its controller (bus_to_azx).
type Bus struct {
	azx      *Chip
	regLock  *lock.SpinLock // bus->reg_lock
	cmdMutex *lock.Mutex    // bus->cmd_mutex
	rirbRP   uint16         // bus->rirb.rp
	cmds     int            // bus->rirb.cmds[0]
	res      uint32         // bus->rirb.res[0]

	unsolQ    [unsolQueueSize]rirbEntry // bus->unsol_queue
	unsolRP   int
	unsolWP   int
	unsolWork *workqueue.Work // bus->unsol_work
	unsolLbl  des.Label
}

// newBus is snd_hdac_bus_init: the locks and the unsolicited work. The work is made by
// initWork, after the controller's own objects, in the order New has always made them.
func newBus(sim *des.Sim, azx *Chip, name string) *Bus {
	return &Bus{azx: azx,
		regLock:  lock.NewSpinLock(sim, "&bus->reg_lock"),
		cmdMutex: lock.NewMutex(sim, "&bus->cmd_mutex"),
		unsolLbl: des.L(name + ":unsol_work")}
}

// initWork is snd_hdac_bus_init's INIT_WORK(&bus->unsol_work).
func (b *Bus) initWork(sim *des.Sim, name string) {
	b.unsolWork = workqueue.InitWorkKey(sim, name+":unsol_work", "(&bus->unsol_work)", b.processUnsol)
}

// execVerb is snd_hdac_bus_exec_verb: under cmd_mutex, send the verb through the CORB and
// poll the RIRB for its response.
func (b *Bus) execVerb(p *des.Proc, v uint32) (uint32, error) {
	b.cmdMutex.Lock(p)
	defer b.cmdMutex.Unlock(p)
	if err := b.sendCmd(p, v); err != nil {
		return 0, err
	}
	return b.getResponse(p)
}

// sendCmd is azx_corb_send_cmd: read CORBWP, check for a full ring, count the pending
// response, write the verb into the CORB (system memory) and ring the doorbell (CORBWP).
func (b *Bus) sendCmd(p *des.Proc, v uint32) error {
	b.regLock.LockIRQSave(p)
	defer b.regLock.UnlockIRQRestore(p)
	c := b.azx
	wp := c.readw(p, regCORBWP)
	if wp == allOnes16 {
		return ErrIO // the controller is gone or in D3
	}
	wp = (wp + 1) % ringEntries
	if rp := c.readw(p, regCORBRP); wp == rp {
		return ErrAgain // the CORB is full
	}
	b.cmds++
	c.hw.corb[wp] = v
	c.writew(p, regCORBWP, wp)
	return nil
}

// getResponse is azx_rirb_get_response in polling mode: update the RIRB, and until the
// response arrived, udelay and poll again, up to CmdTimeout.
func (b *Bus) getResponse(p *des.Proc) (uint32, error) {
	c := b.azx
	polls := int(c.cfg.CmdTimeout/PollInterval) + 1
	for i := 0; i < polls; i++ {
		b.regLock.LockIRQSave(p)
		b.updateRIRB(p)
		done, res := b.cmds == 0, b.res
		b.regLock.UnlockIRQRestore(p)
		if done {
			return res, nil
		}
		p.Busy(PollInterval)
	}
	c.stats.VerbTimeouts++
	p.Trace(evVerbTimeout, c.lbl, int64(b.cmds), 0)
	b.cmds = 0
	return 0, ErrIO
}

// updateRIRB is snd_hdac_bus_update_rirb (reg_lock held): read RIRBWP, then consume the
// entries from system memory: unsolicited events are queued for the work item, responses
// complete the pending verb.
func (b *Bus) updateRIRB(p *des.Proc) {
	b.regLock.AssertHeld(p)
	c := b.azx
	wp := c.readw(p, regRIRBWP)
	if wp == allOnes16 {
		return // the device disappeared
	}
	wp %= ringEntries
	for n := 0; b.rirbRP != wp && n < ringEntries; n++ {
		b.rirbRP = (b.rirbRP + 1) % ringEntries
		e := c.hw.rirb[b.rirbRP]
		switch {
		case e.resEx&rirbExUnsol != 0:
			b.queueEvent(p, e)
		case b.cmds > 0:
			b.res = e.res
			b.cmds--
			c.stats.Verbs++
		default:
			c.stats.Spurious++
			p.Trace(evSpurious, c.lbl, int64(e.res), 0)
		}
	}
}

// queueEvent is snd_hdac_bus_queue_event: put the event in the unsol ring and schedule the
// work. It runs in the interrupt handler or in a poller, with reg_lock held.
func (b *Bus) queueEvent(p *des.Proc, e rirbEntry) {
	b.unsolWP = (b.unsolWP + 1) % unsolQueueSize
	b.unsolQ[b.unsolWP] = e
	b.azx.stats.Unsol++
	workqueue.ScheduleWork(p, b.unsolWork)
}

// unsolPending reports whether queued events wait for the work.
func (b *Bus) unsolPending() bool { return b.unsolRP != b.unsolWP }

// processUnsol is the unsol work (snd_hdac_bus_process_unsol_events): for each queued event,
// reg_lock is dropped and the codec's unsol_event talks to the codec (pin sense, then an
// ELD read): several verbs through the CORB and RIRB. It takes no lock of the BAR-move
// policies; under quiesce each event is handled under a power reference taken only if the
// card is in D0 (events found while it is not stay queued; RescanDone requeues the work).
func (b *Bus) processUnsol(p *des.Proc, _ *workqueue.Work) {
	c := b.azx
	for n := 0; n < unsolQueueSize; n++ {
		b.regLock.LockIRQSave(p)
		if !b.unsolPending() {
			b.regLock.UnlockIRQRestore(p)
			return
		}
		if c.pol.Quiesce && !c.card.powerGetIfActive() {
			b.regLock.UnlockIRQRestore(p)
			p.Trace(evUnsolDefer, b.unsolLbl, 0, 0)
			return
		}
		b.unsolRP = (b.unsolRP + 1) % unsolQueueSize
		e := b.unsolQ[b.unsolRP]
		b.regLock.UnlockIRQRestore(p)
		b.unsolEvent(p, e)
		if c.pol.Quiesce {
			c.card.powerUnref()
		}
	}
}

// unsolEvent is the codec driver's unsol_event for a jack/ELD notification.
func (b *Bus) unsolEvent(p *des.Proc, e rirbEntry) {
	c := b.azx
	spanUnsol.Begin(p, b.unsolLbl, int64(e.res), 0)
	for i := 0; i < c.cfg.UnsolVerbs; i++ {
		v := verb(3, verbGetHDMIELDData, uint32(i))
		if i == 0 {
			v = verb(3, verbGetPinSense, 0)
		}
		if _, err := b.execVerb(p, v); err != nil {
			break
		}
	}
	c.stats.UnsolDone++
	spanUnsol.End(p, b.unsolLbl, int64(e.res), 0)
}
