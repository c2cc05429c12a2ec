package metrics

import "hotplugsim/des"

// Marks carry the start of a span from the model package that sees it begin to the one that
// sees it end, when the two do not import each other: pci's remove start to drm's last
// drm_dev_put and to fence's signal, a BAR move in progress (pci) to the faults it blocks
// (mm), an IRQ's raise (irq) to the work item its handler queues (workqueue).
//
// Marks live with the recorder attached to the Sim (per simulation) or in the process that
// runs the span (per process). Like Observe they never yield, draw or trace, and they do
// nothing when no recorder is attached (callers check their Recorder's On first, so metrics
// off costs one nil check).

// maxUnplugMarks bounds the unplug starts a simulation remembers.
const maxUnplugMarks = 1024

// simMarks are the per-simulation marks, kept next to the attached recorder.
type simMarks struct {
	unplugs []des.Time // unplug starts, non-decreasing
	moveGen uint64     // BAR moves begun
	moving  int        // BAR moves in progress
}

// procMarks are the per-process marks.
type procMarks struct {
	unplugDepth int
	unplugStart des.Time
	irqRaised   bool
	irqRaise    des.Time
}

var (
	procKey = des.NewProcKey[procMarks]()
	holders = des.NewSlabKey[holder]()
)

// Recycle keeps the unplug marks' storage (des.Recycler).
func (h *holder) Recycle() { *h = holder{marks: simMarks{unplugs: h.marks.unplugs[:0]}} }

func holderOf(s *des.Sim) *holder {
	return simKey.Get(s, func(s *des.Sim) *holder { return holders.New(s) })
}

func procOf(p *des.Proc) *procMarks {
	return procKey.Get(p, func(p *des.Proc) *procMarks { return &procMarks{} })
}

// MarkUnplug notes that an unplug (a pci remove, a surprise removal, a drm_dev_unplug outside
// any remove) began at t on s. A no-op when metrics are off.
func MarkUnplug(s *des.Sim, t des.Time) {
	h := holderOf(s)
	if h.r == nil {
		return
	}
	m := &h.marks
	if n := len(m.unplugs); n > 0 && m.unplugs[n-1] >= t {
		return // the same start (a surprise removal runs its remove at once)
	}
	if len(m.unplugs) >= maxUnplugMarks {
		return
	}
	m.unplugs = append(m.unplugs, t)
}

// UnplugSince returns the first unplug start at or after t: for a fence published at t and
// signalled later, the start of the unplug it was pending at.
func UnplugSince(s *des.Sim, t des.Time) (des.Time, bool) {
	h := holderOf(s)
	if h.r == nil {
		return 0, false
	}
	for _, u := range h.marks.unplugs {
		if u >= t {
			return u, true
		}
	}
	return 0, false
}

// BeginUnplug notes that process p starts a remove (or another unplug path) now; nested calls
// keep the outermost start. Pair it with EndUnplug. It also marks the unplug for the Sim.
func BeginUnplug(p *des.Proc) {
	s := p.Sim()
	if Of(s) == nil {
		return
	}
	m := procOf(p)
	if m.unplugDepth == 0 {
		m.unplugStart = s.Now()
		MarkUnplug(s, m.unplugStart)
	}
	m.unplugDepth++
}

// EndUnplug ends the span BeginUnplug began.
func EndUnplug(p *des.Proc) {
	if Of(p.Sim()) == nil {
		return
	}
	if m := procOf(p); m.unplugDepth > 0 {
		m.unplugDepth--
	}
}

// UnplugStart returns when the unplug process p is running began, if it runs one.
func UnplugStart(p *des.Proc) (des.Time, bool) {
	if p == nil || Of(p.Sim()) == nil {
		return 0, false
	}
	m := procOf(p)
	return m.unplugStart, m.unplugDepth > 0
}

// BeginMove notes that a BAR move (a rescan with movable BARs) starts on s; EndMove that it
// ended.
func BeginMove(s *des.Sim) {
	h := holderOf(s)
	if h.r == nil {
		return
	}
	h.marks.moveGen++
	h.marks.moving++
}

// EndMove ends what BeginMove began.
func EndMove(s *des.Sim) {
	h := holderOf(s)
	if h.r == nil || h.marks.moving == 0 {
		return
	}
	h.marks.moving--
}

// MoveState returns how many BAR moves have begun on s and whether one is in progress: a
// span overlapped a move if one was in progress at its start or the count changed since.
func MoveState(s *des.Sim) (gen uint64, moving bool) {
	h := holderOf(s)
	return h.marks.moveGen, h.marks.moving > 0
}

// SetIRQRaise notes, in the IRQ process p about to run a handler, when the interrupt it
// handles was raised; ClearIRQRaise forgets it when the handler returns.
func SetIRQRaise(p *des.Proc, raised des.Time) {
	if Of(p.Sim()) == nil {
		return
	}
	m := procOf(p)
	m.irqRaised, m.irqRaise = true, raised
}

// ClearIRQRaise ends what SetIRQRaise began.
func ClearIRQRaise(p *des.Proc) {
	if Of(p.Sim()) == nil {
		return
	}
	procOf(p).irqRaised = false
}

// IRQRaise returns when the interrupt whose handler p is running was raised, if p runs one.
func IRQRaise(p *des.Proc) (des.Time, bool) {
	if p == nil || Of(p.Sim()) == nil {
		return 0, false
	}
	m := procOf(p)
	return m.irqRaise, m.irqRaised
}
