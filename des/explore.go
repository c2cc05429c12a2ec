package des

import (
	"fmt"
	"slices"
)

// Exploring virtual time.
//
// In the kernel every software duration is a lower bound: a task, a work item or a threaded
// irq that could run may be preempted or kept waiting. So when soft processes are runnable,
// the strategy may let virtual time move on instead (a deferral): the processes whose
// wake-ups fall within Config.DelayBound of the oldest runnable one become candidates beside
// the runnable ones, and picking one of them advances time to the next wake-up, with every
// runnable process still waiting. The order of two events at different virtual times is then
// a decision of the strategy, recorded on the tape like any pick. Time never moves back and a
// wake-up never comes early: a delay only makes a soft process later. A hard process
// (SetHard: hardware, an interrupt, a timer's expiry) that is runnable pins time until it has
// run.
//
// The delay bound explores orders within microseconds; the moment of an external event that
// a model can only bound to a wide range (a card pulled within 200 ms) is explored by
// Proc.SleepRange (window.go): under every strategy but fifo it is a decision on the tape, a
// uniform time or one of the waiting moments in its range (another external operation going
// to sleep, a process blocking), so a race with a short stretch of another operation is
// tried far more often than the stretch's share of the range.

var evDefer = L("defer")

// setBound turns Config.DelayBound on for strategies that explore time (all but fifo); a
// replayed tape brings the bound and fault setting of the run that recorded it.
func (s *Sim) setBound(strat Strategy) error {
	if s.replay != nil {
		if s.replay.DelayBoundNs < 0 {
			return fmt.Errorf("tape: negative delay bound")
		}
		s.cfg.DelayBound, s.cfg.Faults = Duration(s.replay.DelayBoundNs), s.replay.Faults
		s.bound = s.cfg.DelayBound
		s.windows = s.replay.Strategy != "fifo"
		return nil
	}
	if s.cfg.DelayBound < 0 {
		return fmt.Errorf("negative delay bound %v", s.cfg.DelayBound)
	}
	if _, isFifo := strat.(fifo); !isFifo {
		s.bound = s.cfg.DelayBound
		s.windows = true
	}
	return nil
}

// laterCandidates returns the processes whose wake-up falls within the delay bound, in wake-up
// order, or nil when time may not move on now (see laterHorizon).
func (s *Sim) laterCandidates() []*Proc {
	horizon, ok := s.laterHorizon(nil)
	if !ok {
		return nil
	}
	s.laterTE = s.timers.within(horizon, s.laterTE[:0])
	slices.SortFunc(s.laterTE, func(a, b timerEntry) int {
		if a.before(&b) {
			return -1
		}
		return 1
	})
	s.later = s.later[:0]
	for _, e := range s.laterTE {
		s.later = append(s.later, e.p)
	}
	return s.later
}

// laterHorizon is the time up to which wake-ups are candidates, and false when time may not
// move on now: no bound, no wake-up pending, a hard process runnable, or the next wake-up past
// the bound of some runnable process. self, if set, is runnable too, as if last in s.ready.
func (s *Sim) laterHorizon(self *Proc) (Time, bool) {
	if s.bound <= 0 {
		return 0, false
	}
	next, ok := s.timers.Min()
	// Every runnable process became runnable by now, so no horizon is past s.now+bound: a
	// wake-up beyond that is no candidate, whatever the runnable ones are.
	if !ok || next >= s.hangCheckAt || next > s.now.Add(s.bound) {
		return 0, false
	}
	if s.readyHard > 0 || self != nil && self.hard {
		return 0, false
	}
	// s.ready is in the order its processes became runnable (appended at s.now, removed in
	// place), so the first is the oldest; self became runnable now.
	horizon := Forever
	if len(s.ready) > 0 {
		horizon = s.ready[0].readyAt.Add(s.bound)
	} else if self != nil {
		horizon = self.readyAt.Add(s.bound)
	}
	if m := s.cfg.MaxTime; m > 0 && m < horizon {
		horizon = m
	}
	if next > horizon || next >= s.hangCheckAt {
		return 0, false
	}
	return horizon, true
}

// choosePCT is choose for PCT recording (not replaying) with laterCandidates and pct.Pick
// fused, the decision of nearly every step of a sweep: the wake-ups within the horizon are
// walked in the timer heap, not collected and sorted, and a wake-up's place in wake-up order
// is counted only when it wins. It returns and records what choose would. self, if set, is a
// runnable process not yet in s.ready, decided on as if appended to it (index len(s.ready)),
// so that a yield that goes on (yieldPCT) never enters the list.
func (s *Sim) choosePCT(self *Proc) int {
	s.pct.advance(s)
	ready := s.ready
	n := len(ready)
	best, bestPrio := 0, int64(0)
	if self != nil && self.prio > s.readyTop {
		// self outranks every queued process, as the scan below would find: the common
		// case of a yield that goes on.
		best, bestPrio = n, self.prio
		n++
	} else {
		if n > 0 {
			bestPrio = ready[0].prio
		}
		for i := 1; i < n; i++ {
			if p := ready[i]; p.prio > bestPrio {
				best, bestPrio = i, p.prio
			}
		}
		s.readyTop = bestPrio
		if self != nil {
			if n == 0 || self.prio > bestPrio {
				best, bestPrio = n, self.prio
			}
			n++
		}
	}
	m := n
	if horizon, ok := s.laterHorizon(self); ok {
		w := laterWalk{items: s.timers.items, t: horizon, prio: bestPrio}
		w.walk(0)
		m += w.count
		if w.win != nil {
			best = n + w.rank(0)
		}
	}
	if m > 1 {
		s.sched.record(uint64(best))
	}
	if best >= n {
		return -1
	}
	return best
}

// laterWalk finds, among the timer heap's entries due by t, the one of highest priority above
// prio, the earliest in wake-up order among equals (pct.Pick over the sorted candidates).
type laterWalk struct {
	items []timerEntry
	t     Time
	prio  int64
	count int
	win   *timerEntry
}

// walk visits the subtree at i; a heap's subtree holds nothing earlier than its root.
func (w *laterWalk) walk(i int) {
	if i >= len(w.items) || w.items[i].at > w.t {
		return
	}
	e := &w.items[i]
	w.count++
	if p := e.p.prio; p > w.prio || (w.win != nil && p == w.prio && e.before(w.win)) {
		w.prio, w.win = p, e
	}
	w.walk(2*i + 1)
	w.walk(2*i + 2)
}

// rank counts the entries of the subtree at i due by t that wake before the winner: its index
// among the sorted candidates. A subtree whose root does not wake before it holds none.
func (w *laterWalk) rank(i int) int {
	if i >= len(w.items) || w.items[i].at > w.t || !w.items[i].before(w.win) {
		return 0
	}
	return 1 + w.rank(2*i+1) + w.rank(2*i+2)
}

// deferTime lets virtual time move on to the next wake-up, keeping every runnable process
// waiting; the strategy picked a process that wakes later.
func (s *Sim) deferTime() {
	next, _ := s.timers.Min()
	s.deferrals++
	s.emit(s.now, nil, evDefer, engineObj, int64(len(s.ready)), int64(next-s.now))
	if !s.advance() {
		s.end()
	}
}

// within appends the entries due at or before t to out, in heap order.
func (q *timerQueue) within(t Time, out []timerEntry) []timerEntry {
	return q.walkWithin(0, t, out)
}

// walkWithin visits the subtree at i; a heap's subtree holds nothing earlier than its root.
func (q *timerQueue) walkWithin(i int, t Time, out []timerEntry) []timerEntry {
	if i >= len(q.items) || q.items[i].at > t {
		return out
	}
	out = append(out, q.items[i])
	out = q.walkWithin(2*i+1, t, out)
	return q.walkWithin(2*i+2, t, out)
}
