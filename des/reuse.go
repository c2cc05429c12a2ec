package des

import (
	"strconv"
	"sync/atomic"
	"unsafe"
)

// Reuse of a run's objects by the next run of the same worker.
//
// A sweep worker runs one Sim after another, and every run builds the same kind of model:
// processes, wait queues, completions, streams, and the model's own objects (fences, jobs,
// locks, lockdep classes). Allocated afresh, they are ~1,300 objects per run of the default
// scenario, all garbage a moment later, and with every core running a worker the collector
// becomes the limit. A Pool therefore keeps an arena next to its idle coroutines: the Sim made
// with the Pool borrows it, hands out its objects from it, and the next Sim on the Pool takes
// the same objects again.
//
// Rules that keep reuse invisible:
//   - An object is handed out either zeroed or, if its type implements Recycler, recycled; it
//     is never seen with anything a previous run left in it.
//   - The arena is recycled when the next Sim borrows it, not when Run returns: what a caller
//     reads from a finished run (Procs, Trace, the model's objects) stays valid until another
//     Sim is made with the same Pool. Result itself shares nothing with the arena.
//   - One Sim at a time borrows a Pool's arena; a Sim made while it is borrowed (two runs on
//     one Pool at once) allocates as a Sim without a Pool does.
//   - Every free list is bounded (maxReuse objects of a type); beyond it objects come from the
//     heap and are dropped with the run.
//
// Nothing here affects what a run does: objects are identified by what they hold, never by
// address, so a run on recycled objects emits the same trace as one on fresh ones (tested).

// Recycler is implemented by types that keep spare capacity across runs: Recycle must leave
// the value as its zero value in everything a run can observe (a slice truncated to length 0
// keeps its capacity; a map is cleared). A type without it is zeroed.
type Recycler interface{ Recycle() }

// maxReuse bounds the objects of one type an arena keeps.
const maxReuse = 1 << 13

// SlabKey names a kind of object, of type T, that a model package makes during a run and that a
// sweep worker reuses run after run. Make each key once, as a package variable, with NewSlabKey.
type SlabKey[T any] struct{ slot int }

var slabSlots atomic.Int32

// NewSlabKey makes a key for objects of type T.
func NewSlabKey[T any]() SlabKey[T] { return SlabKey[T]{int(slabSlots.Add(1))} }

// New returns a zero (or recycled, see Recycler) T for use during s's run. Without a Pool it
// is new(T). With one, it is valid until the next Sim is made with the Pool.
func (k SlabKey[T]) New(s *Sim) *T {
	a := s.arena
	if a == nil {
		return new(T)
	}
	return slabOf[T](a, k.slot).get()
}

// slab is the objects of one type an arena has handed out: items[:n] in the current run, the
// rest free for it.
type slab[T any] struct {
	items []*T
	recs  []Recycler // get's items as Recyclers (nil: zeroed instead), asserted once each
	n     int
}

func (sl *slab[T]) reset() { sl.n = 0 }

func (sl *slab[T]) get() *T {
	if n := sl.n; n < len(sl.items) {
		v := sl.items[n]
		sl.n++
		if r := sl.recs[n]; r != nil {
			r.Recycle()
		} else {
			var zero T
			*v = zero
		}
		return v
	}
	v := new(T)
	if len(sl.items) < maxReuse {
		r, _ := any(v).(Recycler)
		sl.items, sl.recs = append(sl.items, v), append(sl.recs, r)
		sl.n++
	}
	return v
}

// slabOf is the arena's slab for the key numbered slot, a *slab[T] of the key's T (the key's
// type is the only way in, so the conversion back is sound).
func slabOf[T any](a *arena, slot int) *slab[T] {
	if slot < len(a.slabs) {
		if sl := a.slabs[slot]; sl != nil {
			return (*slab[T])(sl)
		}
	}
	if slot <= 0 {
		panic("des: a SlabKey was not made by NewSlabKey")
	}
	if slot >= len(a.slabs) {
		grown := make([]unsafe.Pointer, slot+1)
		copy(grown, a.slabs)
		a.slabs = grown
	}
	sl := &slab[T]{}
	a.slabs[slot], a.counts = unsafe.Pointer(sl), append(a.counts, &sl.n)
	return sl
}

// arena is what a Pool keeps for the next run of its worker.
type arena struct {
	slabs  []unsafe.Pointer // a *slab[T] by SlabKey slot
	counts []*int           // every slab's n, reset for each run

	// The engine's own objects.
	procs   slab[Proc]
	queues  slab[WaitQueue]
	comps   slab[Completion]
	streams slab[Stream]

	// The Sim's buffers and locals, as the last run left them.
	ready, procList []*Proc
	timers          []timerEntry
	later           []*Proc
	laterTE         []timerEntry
	quiesce         []func()
	streamList      []*Stream
	byName          map[string]*Stream
	ring            ring
	simLocals       locals

	// The strategy of the last run of its kind, with its buffers and generator.
	pct    *pct
	random *randomStrategy

	// Names made by Join and JoinN in earlier runs.
	joined  map[joinKey]string
	joinedN map[joinNKey]string
	joinedX map[joinNKey]string
	// joinCache is a direct-mapped cache in front of joined, by the addresses of the two
	// parts (see labelCache): a hit compares strings that are most often the same ones.
	joinCache  *[joinCacheSlots]joinEntry
	joinNCache *[joinNCacheSlots]joinNEntry // JoinN's, likewise (it has fewer names)
}

type joinEntry struct{ a, b, v string }

type joinNEntry struct {
	a string
	n uint64
	v string
}

const joinCacheBits = 12

const joinCacheSlots = 1 << joinCacheBits

const joinNCacheBits = 10

const joinNCacheSlots = 1 << joinNCacheBits

// lendArena lends the pool's arena to a new Sim, recycled, or returns nil if another Sim has it.
func (pl *Pool) lendArena() *arena {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if pl.lent {
		return nil
	}
	pl.lent = true
	if pl.arena == nil {
		pl.arena = &arena{}
	}
	a := pl.arena
	for _, n := range a.counts {
		*n = 0
	}
	a.procs.reset()
	a.queues.reset()
	a.comps.reset()
	a.streams.reset()
	return a
}

// unlendArena takes back the arena lent to a Sim that New then rejected.
func (pl *Pool) unlendArena() {
	pl.mu.Lock()
	pl.lent = false
	pl.mu.Unlock()
}

// returnArena takes back the arena s borrowed, with s's buffers for the next run. The objects
// stay as they are until the next lendArena.
func (pl *Pool) returnArena(s *Sim) {
	a := s.arena
	a.ready, a.procList, a.timers, a.streamList = s.ready[:0], s.procs, s.timers.items[:0], s.streams
	a.byName, a.ring, a.simLocals = s.byName, s.ring, s.locals
	a.later, a.laterTE = s.later[:0], s.laterTE[:0]
	clear(a.later[:cap(a.later)])
	a.quiesce = s.quiesceBuf[:0]
	clear(a.quiesce[:cap(a.quiesce)])
	pl.mu.Lock()
	pl.lent = false
	pl.mu.Unlock()
}

// useArena sets up s, just made, on the buffers its arena kept.
func (s *Sim) useArena(a *arena) {
	s.arena = a
	s.ready, s.timers.items = a.ready[:0], a.timers[:0]
	s.procs, s.streams, s.locals = a.procList[:0], a.streamList[:0], a.simLocals[:0]
	s.later, s.laterTE, s.quiesceBuf = a.later[:0], a.laterTE[:0], a.quiesce[:0]
	clear(a.procList)
	clear(a.streamList)
	if a.byName != nil {
		clear(a.byName)
		s.byName = a.byName
	}
	if n := len(a.ring.buf); n > 0 && n == ringSize(s.cfg.TraceRing) {
		s.ring = a.ring
	}
}

// ringSize is the number of slots newRing makes for size.
func ringSize(size int) int {
	if size <= 0 {
		return 0
	}
	n := 1
	for n < size {
		n <<= 1
	}
	return n
}

// take returns an object of the slab as the last run left it (or a new one).
func (sl *slab[T]) take() *T {
	if sl.n < len(sl.items) {
		v := sl.items[sl.n]
		sl.n++
		return v
	}
	v := new(T)
	if len(sl.items) < maxReuse {
		sl.items = append(sl.items, v)
		sl.n++
	}
	return v
}

// newProc returns a zero Proc that keeps the capacity of its locals.
func (s *Sim) newProc() *Proc {
	if s.arena == nil {
		return new(Proc)
	}
	p := s.arena.procs.take()
	l := p.locals[:0]
	*p = Proc{}
	p.locals = l
	return p
}

// newQueue returns a zero WaitQueue that keeps the capacity of its waiters.
func (s *Sim) newQueue() *WaitQueue {
	if s.arena == nil {
		return new(WaitQueue)
	}
	w := s.arena.queues.take()
	ws := w.waiters[:0]
	*w = WaitQueue{}
	w.waiters = ws
	return w
}

func (s *Sim) newCompletion() *Completion {
	if s.arena == nil {
		return new(Completion)
	}
	return s.arena.comps.get()
}

func (s *Sim) newStreamObj() *Stream {
	if s.arena == nil {
		return new(Stream)
	}
	return s.arena.streams.get()
}

// maxNames bounds the names an arena keeps.
const maxNames = 1 << 14

type joinKey struct{ a, b string }

type joinNKey struct {
	a string
	n uint64
}

// Join returns a+b. A model names its objects by concatenation ("timer:"+name) as it makes
// them, in every run; a sweep worker keeps the names its runs made, so the next run finds the
// same string instead of building it again. A name it keeps is the label table's text (it is
// given a Label), the same string in every worker: see intern.
func Join(s *Sim, a, b string) string {
	a0 := s.arena
	if a0 == nil {
		return a + b
	}
	if a0.joinCache == nil {
		a0.joinCache = new([joinCacheSlots]joinEntry)
	}
	pa, pb := unsafe.StringData(a), unsafe.StringData(b)
	i := ((uint64(uintptr(unsafe.Pointer(pa)))+uint64(len(a)))*0x9e3779b97f4a7c15 ^
		(uint64(uintptr(unsafe.Pointer(pb))) + uint64(len(b)))) * 0xc2b2ae3d27d4eb4f >> (64 - joinCacheBits)
	e := &a0.joinCache[i]
	if sameString(e.a, pa, len(a)) && sameString(e.b, pb, len(b)) { // the zero entry is "" + ""
		return e.v
	}
	// The cache is two-way: slots i and i^1 are a set, the newer entry in i. Two names a
	// run makes whose slots collide each find theirs in every later run.
	e2 := &a0.joinCache[i^1]
	if sameString(e2.a, pa, len(a)) && sameString(e2.b, pb, len(b)) {
		return e2.v
	}
	v := a0.join(a, b)
	*e2, *e = *e, joinEntry{a, b, v}
	return v
}

// join is Join past the cache.
func (a0 *arena) join(a, b string) string {
	k := joinKey{a, b}
	if v, ok := a0.joined[k]; ok {
		return v
	}
	v := a + b
	if a0.joined == nil {
		a0.joined = map[joinKey]string{}
	}
	if len(a0.joined) < maxNames {
		v = intern(v)
		a0.joined[k] = v
	}
	return v
}

// JoinN returns a followed by n in decimal, kept by a sweep worker as Join keeps its names.
func JoinN(s *Sim, a string, n uint64) string {
	a0 := s.arena
	if a0 == nil {
		return a + strconv.FormatUint(n, 10)
	}
	if a0.joinNCache == nil {
		a0.joinNCache = new([joinNCacheSlots]joinNEntry)
	}
	pa := unsafe.StringData(a)
	e := &a0.joinNCache[((uint64(uintptr(unsafe.Pointer(pa)))+uint64(len(a)))*0x9e3779b97f4a7c15^n)*
		0xc2b2ae3d27d4eb4f>>(64-joinNCacheBits)]
	if sameString(e.a, pa, len(a)) && e.n == n && e.v != "" {
		return e.v
	}
	v := a0.joinN(a, n)
	*e = joinNEntry{a, n, v}
	return v
}

// joinN is JoinN past the cache.
func (a0 *arena) joinN(a string, n uint64) string {
	k := joinNKey{a, n}
	if v, ok := a0.joinedN[k]; ok {
		return v
	}
	v := a + strconv.FormatUint(n, 10)
	if a0.joinedN == nil {
		a0.joinedN = map[joinNKey]string{}
	}
	if len(a0.joinedN) < maxNames {
		v = intern(v)
		a0.joinedN[k] = v
	}
	return v
}

// JoinX returns a followed by n as fmt's %#x writes it ("0x1f"), kept by a sweep worker as
// Join keeps its names.
func JoinX(s *Sim, a string, n uint64) string {
	a0 := s.arena
	if a0 == nil {
		return a + "0x" + strconv.FormatUint(n, 16)
	}
	k := joinNKey{a, n}
	if v, ok := a0.joinedX[k]; ok {
		return v
	}
	v := a + "0x" + strconv.FormatUint(n, 16)
	if a0.joinedX == nil {
		a0.joinedX = map[joinNKey]string{}
	}
	if len(a0.joinedX) < maxNames {
		v = intern(v)
		a0.joinedX[k] = v
	}
	return v
}
