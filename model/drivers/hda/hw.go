package hda

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/irq"
	"hotplugsim/model/mem"
)

// rirbEntry is one RIRB entry: the response and its extended word (codec address, unsol).
type rirbEntry struct{ res, resEx uint32 }

// hardware is the controller and its codec as the device sees them: the register file of
// BAR 0 (a model/mem Region, which moves with the BAR), the CORB and RIRB rings in system
// memory (DMA, untouched by a BAR move), a codec that answers verbs after a latency, and one
// DMA engine per stream descriptor that advances LPIB every period and raises the interrupt.
// Its processes wait idle while there is nothing to do, so they never keep a run alive.
type hardware struct {
	cfg    Config
	region *mem.Region
	line   *irq.Line
	rng    *des.Stream
	bell   *des.WaitQueue // the device noticing a register write
	lbl    des.Label

	corb    [ringEntries]uint32
	rirb    [ringEntries]rirbEntry
	corbRP  uint16
	rirbWP  uint16
	rirbSts uint8
	sdSts   []uint8
	lpib    []uint32
	unsols  int
}

// Bounds on what the hardware processes do in one run.
const (
	maxVerbs   = 1 << 20
	maxPeriods = 1 << 20
)

var (
	evHWVerb   = des.L("codec-verb")
	evHWUnsol  = des.L("codec-unsol")
	evHWPeriod = des.L("sd-period")
	evHWLost   = des.L("codec-response-lost")
)

func newHardware(sim *des.Sim, cfg Config, region *mem.Region, line *irq.Line) *hardware {
	h := &hardware{cfg: cfg, region: region, line: line, rng: sim.Stream("hw/" + cfg.Name),
		bell: des.NewWaitQueue(sim, cfg.Name+":hw"), lbl: des.L(cfg.Name), sdSts: make([]uint8, cfg.Streams),
		lpib: make([]uint32, cfg.Streams)}
	sim.Spawn("hw:"+cfg.Name+":codec", des.Task, h.codec).SetHard()
	for sd := 0; sd < cfg.Streams; sd++ {
		sim.Spawn(fmt.Sprintf("hw:%s:sd%d", cfg.Name, sd), des.Task, func(p *des.Proc) { h.stream(p, sd) }).SetHard()
	}
	return h
}

func (h *hardware) peek(off uint64) uint64 { return h.region.Peek(off) }

func (h *hardware) corbRunning() bool { return h.peek(regCORBCTL)&corbctlRUN != 0 }
func (h *hardware) rirbRunning() bool { return h.peek(regRIRBCTL)&rirbctlDMA != 0 }
func (h *hardware) sdRunning(sd int) bool {
	return h.peek(sdReg(sd, sdCTL))&sdctlRUN != 0
}

// intsts is INTSTS as the hardware computes it from the status registers.
func (h *hardware) intsts() uint32 {
	var v uint32
	if h.rirbSts&rirbstsINT != 0 {
		v |= intstsCIS
	}
	for sd, s := range h.sdSts {
		if s&sdstsBCIS != 0 {
			v |= 1 << sd
		}
	}
	if v != 0 {
		v |= intstsGIS
	}
	return v
}

// sync mirrors the status shadows into the register file.
func (h *hardware) sync() {
	h.region.Poke(regRIRBSTS, uint64(h.rirbSts))
	for sd, s := range h.sdSts {
		h.region.Poke(sdReg(sd, sdSTS), uint64(s))
	}
	h.region.Poke(regINTSTS, uint64(h.intsts()))
}

// assert raises the line if an enabled status is pending (the interrupt is level-like: it
// is delivered again when the driver re-enables INTCTL).
func (h *hardware) assert(p *des.Proc) {
	ctl := uint32(h.peek(regINTCTL))
	if ctl&intctlGIE == 0 {
		return
	}
	st := h.intsts()
	if st&intstsCIS != 0 && ctl&intctlCIE != 0 || st&ctl&(1<<h.cfg.Streams-1) != 0 {
		h.line.Raise(p)
	}
}

// written is the device seeing the driver's write of v to off (after the MMIO write).
func (h *hardware) written(p *des.Proc, off, v uint64) {
	switch {
	case off == regRIRBSTS:
		h.rirbSts &^= uint8(v)
		h.sync()
	case off >= regSDBase && (off-regSDBase)%regSDStride == sdSTS:
		if sd := int((off - regSDBase) / regSDStride); sd < len(h.sdSts) {
			h.sdSts[sd] &^= uint8(v)
			h.sync()
		}
	case off == regINTCTL:
		h.assert(p)
	}
	h.bell.WakeAll()
}

// post writes an RIRB entry (DMA to system memory), advances RIRBWP and signals it.
func (h *hardware) post(p *des.Proc, e rirbEntry) {
	h.rirbWP = (h.rirbWP + 1) % ringEntries
	h.rirb[h.rirbWP] = e
	h.region.Poke(regRIRBWP, uint64(h.rirbWP))
	if h.peek(regRIRBCTL)&rirbctlIRQ != 0 {
		h.rirbSts |= rirbstsINT
		h.sync()
	}
}

// codec fetches verbs from the CORB and answers each after a latency, while CORB DMA runs.
// A response the RIRB cannot take (its DMA is off) is lost, as on a stopped chip.
func (h *hardware) codec(p *des.Proc) {
	for n := 0; n < maxVerbs; n++ {
		if h.bell.WaitIdleStop(p, func() bool {
			return h.corbRunning() && uint16(h.peek(regCORBWP))%ringEntries != h.corbRP
		}) {
			return
		}
		h.corbRP = (h.corbRP + 1) % ringEntries
		v := h.corb[h.corbRP]
		h.region.Poke(regCORBRP, uint64(h.corbRP))
		p.Sleep(h.rng.Between(h.cfg.CodecLatencyMin, h.cfg.CodecLatencyMax))
		if !h.rirbRunning() {
			p.Trace(evHWLost, h.lbl, int64(v), 0)
			continue
		}
		p.Trace(evHWVerb, h.lbl, int64(v), 0)
		h.post(p, rirbEntry{res: v ^ 0x80000000, resEx: 0})
		h.assert(p)
	}
}

// stream is stream descriptor sd's DMA engine: while RUN is set, every period it advances
// LPIB by a period and, with IOCE, sets BCIS and interrupts. The codec may notice a jack or
// ELD change at the same time and post an unsolicited response.
func (h *hardware) stream(p *des.Proc, sd int) {
	for n := 0; n < maxPeriods; n++ {
		if h.bell.WaitIdleStop(p, func() bool { return h.sdRunning(sd) }) {
			return
		}
		p.Sleep(h.cfg.Period)
		if !h.sdRunning(sd) {
			continue
		}
		h.lpib[sd] = (h.lpib[sd] + h.cfg.PeriodBytes()) % h.cfg.BufferBytes()
		h.region.Poke(sdReg(sd, sdLPIB), uint64(h.lpib[sd]))
		p.Trace(evHWPeriod, h.lbl, int64(sd), int64(h.lpib[sd]))
		if h.peek(sdReg(sd, sdCTL))&sdctlIOCE != 0 {
			h.sdSts[sd] |= sdstsBCIS
			h.sync()
		}
		if h.rirbRunning() && h.cfg.UnsolPerPeriod > 0 && h.rng.Bool(h.cfg.UnsolPerPeriod) {
			h.unsols++
			p.Trace(evHWUnsol, h.lbl, int64(h.unsols), 0)
			h.post(p, rirbEntry{res: uint32(h.unsols) << 21, resEx: rirbExUnsol})
		}
		h.assert(p)
	}
}
