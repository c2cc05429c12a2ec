package hda

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
)

// trigger is azx_pcm_trigger START/STOP under the stream lock: SD_CTL RUN and IOCE, and the
// stream's INTCTL bit, under reg_lock; STOP also clears a pending SD_STS
// (snd_hdac_stream_stop via snd_hdac_stream_clear).
func (c *Chip) trigger(p *des.Proc, s *substream, start bool) {
	s.lock.LockIRQSave(p)
	c.bus.regLock.Lock(p)
	ctl := c.readl(p, sdReg(s.sd, sdCTL))
	ictl := c.readl(p, regINTCTL)
	if start {
		c.writel(p, sdReg(s.sd, sdCTL), ctl|sdctlRUN|sdctlIOCE)
		c.writel(p, regINTCTL, ictl|1<<s.sd)
	} else {
		c.writel(p, sdReg(s.sd, sdCTL), ctl&^(sdctlRUN|sdctlIOCE))
		c.writeb(p, sdReg(s.sd, sdSTS), sdstsBCIS)
		c.writel(p, regINTCTL, ictl&^(1<<s.sd))
	}
	s.running = start
	c.bus.regLock.Unlock(p)
	s.lock.UnlockIRQRestore(p)
	if !start {
		c.checkResumed(p, s)
	}
}

// markResumed records, at the end of a BAR move, where every running stream stands.
func (c *Chip) markResumed(p *des.Proc) {
	for _, s := range c.subs {
		if s.running {
			s.resumed, s.resumedAt, s.periodsAtResume, s.hwPtrAtResume = true, p.Now(), s.periods, s.hwPtr
		}
	}
}

// checkResumed is the playback-continues oracle, run when a stream stops: a stream that
// ran for StallPeriods periods after a BAR move must have had a period interrupt and moved
// its position.
func (c *Chip) checkResumed(p *des.Proc, s *substream) {
	if !s.resumed {
		return
	}
	s.resumed = false
	ran := p.Now().Sub(s.resumedAt)
	if ran < StallPeriods*c.cfg.Period {
		return
	}
	if s.periods == s.periodsAtResume || s.hwPtr == s.hwPtrAtResume {
		c.sim.Violate(p, oracle.Progress, s.lbl, fmt.Sprintf(
			"playback stalled: %s ran %v after rescan_done with %d period interrupts and hw_ptr %d -> %d",
			s.lbl, ran, s.periods-s.periodsAtResume, s.hwPtrAtResume, s.hwPtr))
	}
}
