package hda

import (
	"hotplugsim/des"
	"hotplugsim/model/irq"
)

var spanPeriod = des.NewSpan("period")

// maxIRQRounds is azx_interrupt's bound on re-reading INTSTS.
const maxIRQRounds = 10

// interrupt is azx_interrupt: under reg_lock, read INTSTS; acknowledge and handle each
// stream's buffer completion (the period, with reg_lock dropped as azx's stream_update
// does), then RIRBSTS (cleared before the RIRB is read: unsolicited events); repeat while
// something was active.
func (c *Chip) interrupt(p *des.Proc) irq.Return {
	handled := false
	c.bus.regLock.Lock(p)
	for round := 0; round < maxIRQRounds; round++ {
		st := c.readl(p, regINTSTS)
		if st == 0 || st == allOnes32 {
			break
		}
		handled = true
		active := false
		for _, s := range c.subs {
			if st&(1<<s.sd) == 0 {
				continue
			}
			sts := c.readb(p, sdReg(s.sd, sdSTS))
			c.writeb(p, sdReg(s.sd, sdSTS), sdstsBCIS)
			if sts&sdstsBCIS == 0 || !s.running {
				continue
			}
			active = true
			c.bus.regLock.Unlock(p)
			c.periodElapsed(p, s)
			c.bus.regLock.Lock(p)
		}
		if c.readb(p, regRIRBSTS)&rirbstsINT != 0 {
			// Clear before reading RIRBWP, or a response posted meanwhile loses its
			// interrupt (hda_controller.c since v5.8).
			c.writeb(p, regRIRBSTS, rirbstsINT)
			active = true
			c.bus.updateRIRB(p)
		}
		if !active {
			break
		}
	}
	c.bus.regLock.Unlock(p)
	if !handled {
		return irq.None
	}
	return irq.Handled
}

// periodElapsed is snd_pcm_period_elapsed: under the stream lock, read the position
// (azx_pcm_pointer: LPIB) and advance hw_ptr.
func (c *Chip) periodElapsed(p *des.Proc, s *substream) {
	spanPeriod.Begin(p, s.lbl, int64(s.periods), 0)
	s.lock.Lock(p)
	if s.running {
		c.updateHWPtr(p, s)
		s.periods++
		c.stats.Periods++
	}
	s.lock.Unlock(p)
	spanPeriod.End(p, s.lbl, int64(s.periods), s.hwPtr)
}

// updateHWPtr is snd_pcm_update_hw_ptr0 with azx_get_position: the distance LPIB moved
// since the last update, modulo the buffer.
func (c *Chip) updateHWPtr(p *des.Proc, s *substream) {
	pos := c.readl(p, sdReg(s.sd, sdLPIB))
	if pos == allOnes32 {
		return
	}
	buf := int64(c.cfg.BufferBytes())
	delta := (int64(pos) - int64(s.lastPos) + buf) % buf
	s.lastPos = pos
	s.hwPtr += delta
}
