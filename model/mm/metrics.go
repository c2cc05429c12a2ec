package mm

import (
	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// Metrics (des/metrics) of a user fault (do_user_addr_fault), recorded only when a recorder
// is attached to the Sim. The fault handler (ttm's, a driver's) runs inside, so they cover it:
//
//   - fault: the first attempt's entry → the handler's final answer (PTE installed, SIGBUS,
//     OOM) or SIGSEGV, including every VM_FAULT_RETRY round;
//   - fault-retry: one VM_FAULT_RETRY round: the entry of the attempt that returned it → the
//     fault re-entered (mmap_lock about to be taken again);
//   - barmove-blocked: a fault that returned VM_FAULT_RETRY while a BAR move was in progress
//     (model/pci's rescan, metrics.BeginMove): the entry of the first such attempt → the
//     fault resolved.

// faultClock times one user fault; its zero value (metrics off) does nothing.
type faultClock struct {
	on        bool
	start     des.Time // first attempt's entry
	attempt   des.Time // this attempt's entry
	retried   bool     // the last attempt returned VM_FAULT_RETRY
	moveGen   uint64   // BAR moves begun at this attempt's entry
	moving    bool     // a BAR move was in progress at this attempt's entry
	blocked   bool
	blockedAt des.Time
}

func (m *MM) startFault() faultClock {
	if !m.rec.On() {
		return faultClock{}
	}
	return faultClock{on: true, start: m.sim.Now()}
}

// enter starts an attempt; after a retry it closes the retry round.
func (fc *faultClock) enter(m *MM) {
	if !fc.on {
		return
	}
	now := m.sim.Now()
	if fc.retried {
		m.rec.ObserveSpan(metrics.FaultRetry, fc.attempt, now)
		fc.retried = false
	}
	fc.attempt = now
	fc.moveGen, fc.moving = metrics.MoveState(m.sim)
}

// retry notes that the attempt returned VM_FAULT_RETRY, and whether a BAR move blocked it.
func (fc *faultClock) retry(m *MM) {
	if !fc.on {
		return
	}
	fc.retried = true
	gen, moving := metrics.MoveState(m.sim)
	if !fc.blocked && (fc.moving || moving || gen != fc.moveGen) {
		fc.blocked, fc.blockedAt = true, fc.attempt
	}
}

// done records the fault's latency (and the time a BAR move blocked it).
func (fc *faultClock) done(m *MM) {
	if !fc.on {
		return
	}
	now := m.sim.Now()
	m.rec.ObserveSpan(metrics.Fault, fc.start, now)
	if fc.blocked {
		m.rec.ObserveSpan(metrics.BarMoveBlocked, fc.blockedAt, now)
	}
}
