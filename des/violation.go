package des

import (
	"fmt"
	"strings"
)

// ViolationKind names what an oracle found ("use-after-free", "lock-order", ...). Its string is
// part of file formats (results lines, the bug zoo's tables), so a kind's spelling never changes.
// (Kind is a process's execution context.)
type ViolationKind string

// Violation kinds the engine itself reports. Model packages add their own (use-after-unmap, ...).
const (
	KindPanic    ViolationKind = "panic"    // a process body panicked
	KindDeadlock ViolationKind = "deadlock" // nothing can run, nothing is pending, someone waits
	KindHang     ViolationKind = "hang"     // a wait outlived the hang bound
	// KindLockOrder is lockdep's kind; the engine reports sleeping in irq or atomic context with it.
	KindLockOrder ViolationKind = "lock-order"
)

func (k ViolationKind) String() string { return string(k) }

// Violation is an oracle firing.
type Violation struct {
	Kind    ViolationKind
	At      Time
	Proc    string // process name ("" for the engine)
	PID     int    // process id, -1 for the engine
	Msg     string
	Stack   string  // Go stack, for panics
	Related []Event // trace events of the same process or object, oldest first
	// Func is the kind of the violating process's last trace event before the violation: the
	// model function it was in ("" for the engine, or a process that emitted no event). The
	// engine keeps it per process without the trace ring, so a run with the ring off has it.
	Func string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s at %v in %s: %s", v.Kind, v.At, v.Proc, v.Msg)
}

// maxRelated bounds the trace events attached to a violation.
const maxRelated = 32

// Violate reports a violation found in p's context (p may be nil for engine-level checks) on
// object obj. Unless the Sim collects all violations, the run stops: when called from the
// running process, Violate does not return (the process is parked and killed with the run).
func (s *Sim) Violate(p *Proc, kind ViolationKind, obj Label, msg string) {
	v := Violation{Kind: kind, At: s.now, Proc: "des", PID: -1, Msg: msg}
	if p != nil {
		v.Proc, v.PID = p.name.String(), p.ID()
	}
	s.record(v, p, obj)
	if s.over && p != nil && p == s.cur && !s.killing {
		s.makeReady(p) // keep the bookkeeping consistent; it will never be picked
		s.schedule(p, nil)
		panic(errKilled)
	}
}

// record stores v with its related events and decides whether the run stops.
func (s *Sim) record(v Violation, p *Proc, obj Label) {
	if len(s.violations) >= s.cfg.MaxViolations {
		s.end()
		return
	}
	pid := int32(-1) // the engine
	if p != nil {
		pid = p.id
		if k := p.lastEv; k != 0 {
			v.Func = Label{id: k}.String()
		}
	}
	v.Related = s.related(pid, obj)
	s.emit(s.now, p, evViolation, L(string(v.Kind)), 0, 0)
	s.violations = append(s.violations, v)
	if !s.cfg.CollectAll || len(s.violations) >= s.cfg.MaxViolations {
		s.end()
	}
}

func (s *Sim) related(pid int32, obj Label) []Event {
	evs := s.ring.events(s.evSeq)
	var out []Event
	for i := len(evs) - 1; i >= 0 && len(out) < maxRelated; i-- {
		e := evs[i]
		if (pid >= 0 && e.Proc == pid) || (obj.id != 0 && obj != engineObj && e.Obj == obj) {
			out = append(out, e)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// idle is reached when nothing is ready and no timer is pending: either every non-daemon
// process finished or waits idly (the run quiesced), or someone waits for something that
// cannot happen. On quiescence the AtQuiesce hooks run; if one makes work (wakes or spawns a
// process, starts a timer) the run goes on, and idle returns true.
func (s *Sim) idle() bool {
	var stuck *Proc
	for _, p := range s.procs {
		if p.stuck() {
			stuck = p
			break
		}
	}
	if stuck == nil {
		// Hooks run one at a time: once one makes work, the rest wait for the next quiescence,
		// so a later hook never judges a state an earlier one is still changing.
		for len(s.quiesce) > 0 {
			fn := s.quiesce[0]
			s.quiesce = s.quiesce[1:]
			fn()
			if len(s.ready) > 0 || s.timers.Len() > 0 {
				return true
			}
		}
		return false
	}
	s.record(Violation{Kind: KindDeadlock, At: s.now, Proc: stuck.name.String(), PID: stuck.ID(),
		Msg: "nothing runnable, nothing pending: " + s.waitChains()}, stuck, stuck.waitOn.name)
	s.end()
	return false
}

// checkHang is called before time advances to t: it reports a wait without timeout that has
// lasted longer than the hang bound by then. It returns true if it reported one.
func (s *Sim) checkHang(t Time) bool {
	bound := s.cfg.HangTimeout
	next := Forever
	var hung *Proc
	for _, p := range s.procs {
		if p.state != stBlocked || !p.unbounded {
			continue
		}
		due := p.blockedAt.Add(bound)
		if due <= t && (hung == nil || due < hung.blockedAt.Add(bound)) {
			hung = p
		}
		if due < next {
			next = due
		}
	}
	if hung == nil {
		s.hangCheckAt = next
		return false
	}
	s.now = hung.blockedAt.Add(bound)
	s.record(Violation{Kind: KindHang, At: s.now, Proc: hung.name.String(), PID: hung.ID(),
		Msg: fmt.Sprintf("blocked on %s for more than %v: %s", hung.waitOn.name.String(), bound,
			s.waitChain(hung))}, hung, hung.waitOn.name)
	// Report each hung wait once: it no longer counts as unbounded.
	hung.unbounded = false
	s.nBlocked--
	s.hangCheckAt = s.now
	return true
}

// waitChains describes every blocked non-daemon process's wait-for chain.
func (s *Sim) waitChains() string {
	var parts []string
	for _, p := range s.procs {
		if p.stuck() {
			parts = append(parts, s.waitChain(p))
		}
	}
	return strings.Join(parts, "; ")
}

// waitChain follows p -> queue -> owner -> queue ... until it ends or cycles.
func (s *Sim) waitChain(p *Proc) string {
	var b strings.Builder
	seen := map[*Proc]bool{}
	for i := 0; p != nil && i <= len(s.procs); i++ {
		fmt.Fprintf(&b, "%v", p)
		if seen[p] {
			b.WriteString(" (cycle)")
			break
		}
		seen[p] = true
		if p.state != stBlocked {
			break
		}
		fmt.Fprintf(&b, " waits for %s", p.waitOn.name.String())
		owner, ok := p.waitOn.ownerOf()
		if !ok {
			break
		}
		if p = owner; p == nil {
			break
		}
		b.WriteString(" held by ")
	}
	return b.String()
}
