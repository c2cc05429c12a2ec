package des

import (
	"math/bits"

	"github.com/cespare/xxhash/v2"
)

// Partial-order reduction of the bounded search, by state caching.
//
// Two schedules that differ only in the order of independent steps reach the same state, and
// from equal states (with equal scheduler state: the same runnable processes in the same
// order, the same process last run, the same time) the same continuations follow at the same
// cost. Search therefore keeps, for each level, a table from the digest of every state its
// prefixes reach after their last deviation to the least cost of the prefix that reached it,
// and a schedule that reaches a state already in the table at no more cost stops there: its
// continuations are equivalent to those of the earlier prefix, which the search explores (or
// already explored, at a lower level) within the bound. Unlike sleep sets, this never prunes a
// schedule whose only equivalent within the bound is the one pruned: the representative costs
// no more and precedes it in the order of the search, so every failing schedule within the
// bound keeps an equivalent that runs (Coons, Musuvathi and McKinley, "Bounded partial-order
// reduction", OOPSLA 2013, show how sleep sets alone lose such schedules).
//
// The digest of a state is the digest of its Mazurkiewicz trace: the steps of each process in
// order, the order of the steps that touch each object, and the order of every impure step
// relative to all others, plus the scheduler state above. A step runs from one pick to the
// next. It is pure, and commutes with the pure steps of other processes that touch none of its
// objects, only when everything about it is known: its process resumes from its own scheduling
// point (Proc.Point) and yields again, every event it emits is a model event of its own with an
// object, and it draws nothing from a stream and lets no time pass. Its objects are those of
// its events and of the event its process yielded at (model code accesses an object right
// before or right after the Point that names it). Every other step (a first step, a wake-up,
// a block, a sleep, a spawn, an exit, a fault, a violation, time moving on) is impure:
// dependent on every step. The reduction trusts the model to name every shared access in an
// event of the step that makes it (Proc.Point's contract); SearchConfig.NoPOR turns it off.
//
// Digests are 128 bits; a collision, which would merge two different states, has odds of
// about n²/2¹²⁹ for n states.

// maxPORStates bounds the states a level's table keeps; past it the search inserts no more
// (it still prunes with those it has), so the result does not depend on anything but the
// search's own order.
const maxPORStates = 1 << 20

// digest is a 128-bit hash in two independent lanes.
type digest [2]uint64

const (
	porK0 = 0x9e3779b97f4a7c15
	porK1 = 0xc2b2ae3d27d4eb4f
	porK2 = 0x165667b19e3779f9
	porK3 = 0xd6e8feb86659fd93
)

// add folds the pair (a, b) into d.
func (d digest) add(a, b uint64) digest {
	return digest{mum(d[0]^a^porK0, b^porK1), mum(d[1]^bits.RotateLeft64(b, 29)^porK2, a^porK3)}
}

// plus and minus combine terms commutatively (the sum of the objects' and processes' terms
// does not depend on the order they were met in).
func (d digest) plus(e digest) digest  { return digest{d[0] + e[0], d[1] + e[1]} }
func (d digest) minus(e digest) digest { return digest{d[0] - e[0], d[1] - e[1]} }

// porTable maps the digest of a state to the least cost of a prefix that reached it.
type porTable struct {
	seen map[digest]int32
}

// porProc is what the digest keeps of one process: its steps so far, and the object of the
// event it last yielded at (valid when yielded).
type porProc struct {
	steps   uint64
	h       digest
	yielded bool
	lastObj uint64
}

// porStep is the step being taken.
type porStep struct {
	pid     int32 // -1: time moving on towards a later process
	content digest
	objs    []uint64 // hashes of the object labels of its events
	impure  bool
	events  int
	lastOK  bool // its last event was a model event of its own, with an object
	lastObj uint64
}

// porRun follows one run of the search for the reduction.
type porRun struct {
	table  *porTable
	cost   int  // the prefix's cost
	from   int  // the first decision after the prefix's last deviation
	insert bool // record the states reached (a prefix the level extends; not a leaf)
	cut    int  // the decision at which an equivalent state was found, -1 if none

	started bool
	step    porStep
	procs   []porProc
	objs    map[uint64]digest
	sum     digest // the sum of every process's and object's term
	impure  digest // the sequence of impure steps
	epoch   uint64 // impure steps so far
	now     Time
	draws   uint64
	// streamDraws is each stream's draw count at the last pick, by position in Sim.streams.
	streamDraws []uint64
}

// streamKey sets a stream's object apart from a label of the same text.
const streamKey = 0x5bd1e9955bd1e995

func newPORRun(t *porTable, cost, from int, insert bool) *porRun {
	return &porRun{table: t, cost: cost, from: from, insert: insert, cut: -1, objs: map[uint64]digest{}}
}

// event takes one trace event of the run (Config.Sink).
func (r *porRun) event(e Event) {
	if !r.started {
		return // the program's set-up, the same in every run
	}
	st := &r.step
	st.events++
	st.content = st.content.add(e.Kind.h^bits.RotateLeft64(e.Obj.h, 17)^uint64(uint32(e.Proc)), uint64(e.A)^bits.RotateLeft64(uint64(e.B), 32))
	st.lastOK = false
	switch {
	case st.pid < 0 || e.Obj == (Label{}):
		st.impure = true
	case !EngineKind(e.Kind):
		if e.Proc != st.pid {
			st.impure = true
			return
		}
		st.lastOK, st.lastObj = true, e.Obj.h
		st.objs = appendObj(st.objs, e.Obj.h)
	case engineTouch(e.Kind, e.Proc == st.pid):
		// The engine's own state (the timers, the wait queues, the processes): every such
		// step is ordered with every other, and with those that touch the object named.
		st.objs = appendObj(appendObj(st.objs, e.Obj.h), engineObj.h)
	default:
		st.impure = true
	}
}

// engineTouch reports whether an engine event emitted in a process's step changes only the
// engine's own state: that process's sleep, busy wait, block or exit, or its spawning or
// waking of another process. Every other engine event (a timeout, a deferral of time, a
// fault, a violation) makes the step impure.
func engineTouch(kind Label, own bool) bool {
	switch kind {
	case evSleep, evBusy, evBlock, evExit:
		return own
	case evSpawn, evWake:
		return true
	}
	return false
}

func appendObj(objs []uint64, o uint64) []uint64 {
	for _, x := range objs {
		if x == o {
			return objs
		}
	}
	return append(objs, o)
}

// term is the contribution of one process or object to the digest.
func term(key uint64, h digest) digest { return digest{}.add(key, h[0]).add(h[1], key) }

// endStep folds the step just taken into the digest, at the next pick.
func (r *porRun) endStep(s *Sim) {
	if !r.started {
		r.started, r.now, r.draws = true, s.now, s.draws
		r.drawn(s) // the set-up's draws, the same in every run
		r.step.objs = r.step.objs[:0]
		return
	}
	st := &r.step
	impure := st.impure || st.pid < 0 || s.now != r.now
	if s.draws != r.draws {
		r.drawn(s)
	}
	if st.pid >= 0 {
		impure = r.endProcStep(s, st, impure)
	}
	if impure {
		r.epoch++
		r.impure = r.impure.add(uint64(uint32(st.pid)), st.content[0]^st.content[1])
	}
	r.now, r.draws = s.now, s.draws
	*st = porStep{objs: st.objs[:0]}
}

// drawn adds to the step's objects the streams it drew from: a draw reads and advances its
// stream, so two steps that draw from one stream are ordered.
func (r *porRun) drawn(s *Sim) {
	for len(r.streamDraws) < len(s.streams) {
		r.streamDraws = append(r.streamDraws, 0)
	}
	for i, st := range s.streams {
		if st.draws != r.streamDraws[i] {
			r.streamDraws[i] = st.draws
			r.step.objs = appendObj(r.step.objs, xxhash.Sum64String(st.name)^streamKey)
		}
	}
}

// endProcStep folds the step of a process: its own sequence and, for a pure step, the order
// on each of its objects. It returns whether the step was impure.
func (r *porRun) endProcStep(s *Sim, st *porStep, impure bool) bool {
	for int(st.pid) >= len(r.procs) {
		r.procs = append(r.procs, porProc{})
	}
	pp := &r.procs[st.pid]
	if pp.steps == 0 || !pp.yielded {
		impure = true // a first step, or one resuming from a wait, a sleep or a wake-up
	}
	p := s.procs[st.pid]
	if !impure {
		for _, o := range appendObj(st.objs, pp.lastObj) {
			old := r.objs[o]
			next := old.add(uint64(uint32(st.pid)), pp.steps)
			r.objs[o] = next
			r.sum = r.sum.minus(term(o, old)).plus(term(o, next))
		}
	}
	mark := r.epoch
	if impure {
		mark |= 1 << 63
	}
	old := pp.h
	pp.h = pp.h.add(st.content[0]^mark, st.content[1])
	key := uint64(uint32(st.pid)) | 1<<40
	r.sum = r.sum.minus(term(key, old)).plus(term(key, pp.h))
	pp.steps++
	pp.yielded = p.state == stReady && st.events > 0 && st.lastOK
	pp.lastObj = st.lastObj
	return impure
}

// state is the digest of the state at a decision: the trace so far and what the search's
// ranking reads of the scheduler's state (the runnable processes in order, the one that ran
// last if it can go on, and with a delay bound when each became runnable and who wakes
// within it).
func (r *porRun) state(s *Sim, ready, later []*Proc) digest {
	d := r.sum.plus(r.impure).add(r.epoch, uint64(s.now))
	last := uint64(1 << 32) // the process that ran last is not runnable: the base ignores it
	if baseChoice(s, ready) < len(ready) && ready[baseChoice(s, ready)].id == s.lastID {
		last = uint64(uint32(s.lastID))
	}
	d = d.add(last, uint64(len(ready))<<32|uint64(len(later)))
	for _, p := range ready {
		at := uint64(0)
		if s.bound > 0 {
			at = uint64(p.readyAt)
		}
		d = d.add(uint64(uint32(p.id)), at)
	}
	for _, p := range later {
		d = d.add(uint64(uint32(p.id)), 1<<63)
	}
	return d
}

// decide checks the state at decision k against the table, and records it. It reports
// whether the run stops here: an equivalent state was reached at no more cost.
func (r *porRun) decide(s *Sim, k int, ready, later []*Proc) bool {
	if k < r.from || r.cut >= 0 {
		return false
	}
	d := r.state(s, ready, later)
	c, ok := r.table.seen[d]
	if ok && (int(c) < r.cost || int(c) == r.cost && r.insert) {
		r.cut = k
		return true
	}
	if !r.insert {
		return false
	}
	if ok && int(c) > r.cost || !ok && len(r.table.seen) < maxPORStates {
		r.table.seen[d] = int32(r.cost)
	}
	return false
}
