package irq

import (
	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// Metrics: while a handler runs, its process carries the time the interrupt it handles was
// raised (metrics.SetIRQRaise), so model/workqueue can record irq-work (raise → the work
// item the handler queued starts). Raises that arrive before the handler runs are one edge:
// the earliest counts. A replay of a raise that came while the handler ran counts from that
// raise; one with no raise left to serve counts from the replay. Only with metrics on.

// noteRaise remembers the time of the oldest raise not yet handled.
func (l *Line) noteRaise() {
	if l.rec.On() && !l.unhandled {
		l.unhandled, l.raisedAt = true, l.sim.Now()
	}
}

func (l *Line) beginHandler(p *des.Proc) {
	if !l.rec.On() {
		return
	}
	t := l.sim.Now()
	if l.unhandled {
		t = l.raisedAt
	}
	l.unhandled = false
	metrics.SetIRQRaise(p, t)
}

func (l *Line) endHandler(p *des.Proc) {
	if l.rec.On() {
		metrics.ClearIRQRaise(p)
	}
}
