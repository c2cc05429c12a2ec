package pci

import (
	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// Metrics (des/metrics), recorded only when a recorder is attached to the Sim:
//
//   - unplug-remove: Remove (or Unbind, SurpriseRemove) called → the driver's .remove
//     returns, for every bound device of the subtree. The start is also what model/drm's
//     unplug-release and model/fence's fence-after-unplug count from (metrics.BeginUnplug
//     and MarkUnplug; a surprise removal's link-down marks it too);
//   - barmove-stall/<device>: .rescan_prepare called → .rescan_done returned, per device;
//     a rescan is a BAR move in progress (metrics.BeginMove) from its first prepare to its
//     last done, which model/mm's barmove-blocked uses.

func (h *Host) beginUnplug(p *des.Proc) {
	if h.rec.On() {
		metrics.BeginUnplug(p)
	}
}

func (h *Host) endUnplug(p *des.Proc) {
	if h.rec.On() {
		metrics.EndUnplug(p)
	}
}

func (h *Host) markUnplug() {
	if h.rec.On() {
		metrics.MarkUnplug(h.sim, h.sim.Now())
	}
}

// observeRemove records unplug-remove when a driver's .remove returned in a remove path.
func (h *Host) observeRemove(p *des.Proc) {
	if !h.rec.On() {
		return
	}
	if start, ok := metrics.UnplugStart(p); ok {
		h.rec.ObserveSpan(metrics.UnplugRemove, start, h.sim.Now())
	}
}

func (h *Host) beginMove() {
	if h.rec.On() {
		metrics.BeginMove(h.sim)
	}
}

func (h *Host) endMove() {
	if h.rec.On() {
		metrics.EndMove(h.sim)
	}
}

func (h *Host) notePrepare(d *Dev) {
	if h.rec.On() {
		d.prepAt, d.prepped = h.sim.Now(), true
	}
}

// observeStall records barmove-stall/<device> when .rescan_done returned.
func (h *Host) observeStall(d *Dev) {
	if !h.rec.On() || !d.prepped {
		return
	}
	d.prepped = false
	h.rec.ObserveSpan(d.stall, d.prepAt, h.sim.Now())
}
