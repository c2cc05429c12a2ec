package des

import (
	"maps"
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// Label is an interned string with its hash computed once, so tracing an event copies two
// words and rehashes nothing. Make labels when an object is created, not per event. The zero
// Label is the empty name. Label ids are process-global and depend on creation order across
// goroutines, so nothing may depend on them but String; the fingerprint uses the hash, which
// depends only on the text.
type Label struct {
	h  uint64
	id uint32
}

// labels interns label texts for the whole process. Lookups of known texts (almost all of them
// in a sweep, where every run names the same objects) read an immutable map with no lock and
// no interface hashing, so parallel workers do not contend; the mutex orders first-time
// inserts, String, and the republishing of that map (see insert).
var labels struct {
	read   atomic.Pointer[map[string]*labelEntry] // a snapshot of byText; replaced, never written
	mu     sync.Mutex
	byText map[string]*labelEntry // every label made so far
	misses int                    // lookups that missed read since it was last published
	text   []string               // by id; text[0] is "" (the zero Label)
	hash   []uint64               // by id; hash[0] is 0
}

// labelEntry is a Label with its text, made once per label and never changed.
type labelEntry struct {
	text string
	l    Label
}

// labelCache is a direct-mapped cache in front of the label maps, indexed by the address and
// length of the text. A model names its objects with the same strings run after run (literals,
// the names Join keeps for a sweep worker), so most lookups find their label in the slot of
// their string without hashing or reading the text: an entry holds the string it was looked
// up with, and a hit is that same string (address and length; the entry keeps its bytes
// alive, so they cannot have been reused for other text). Anything else in the slot (a
// collision, or the same text in other bytes) is only a miss, which stores the label found
// there. The slots are shared by a sweep's workers, so the names they make run after run are
// interned (Join): the same bytes in every worker, and no more collisions at -j 16 than at 1.
var labelCache [labelCacheSlots]atomic.Pointer[labelEntry]

const labelCacheBits = 14

const labelCacheSlots = 1 << labelCacheBits

// labelSlot is the labelCache slot of s.
func labelSlot(s string) *atomic.Pointer[labelEntry] {
	k := uint64(uintptr(unsafe.Pointer(unsafe.StringData(s)))) + uint64(len(s))
	return &labelCache[(k*0x9e3779b97f4a7c15)>>(64-labelCacheBits)]
}

// sameString reports whether s is the string at p of n bytes, by address. The caches hold the
// strings they compare, so those bytes cannot have been freed and reused for other text.
func sameString(s string, p *byte, n int) bool { return unsafe.StringData(s) == p && len(s) == n }

// L makes (or finds) the Label for s.
func L(s string) Label {
	slot := labelSlot(s)
	if e := slot.Load(); e != nil && sameString(e.text, unsafe.StringData(s), len(s)) {
		return e.l
	}
	return lookupLabel(s, slot)
}

// lookupLabel finds or makes s's Label past the cache and stores it in s's slot.
func lookupLabel(s string, slot *atomic.Pointer[labelEntry]) Label {
	e := entryOf(s)
	if !sameString(e.text, unsafe.StringData(s), len(s)) {
		e = &labelEntry{text: s, l: e.l} // s itself, for the next lookup of s
	}
	slot.Store(e)
	return e.l
}

// intern returns s as the label table holds it, making its Label if it has none: one string
// per text for the whole process. The names a sweep worker keeps (Join) are interned, so that
// all workers look their labels up with the same strings. With a copy per worker, labelCache
// (indexed by address) would hold j times the strings of one worker, and the lookups whose
// slots collide would miss, allocate and store, in every run, to memory all workers read.
func intern(s string) string { return entryOf(s).text }

// entryOf finds or makes s's label entry: in the lock-free snapshot, else under the lock.
func entryOf(s string) *labelEntry {
	if m := labels.read.Load(); m != nil {
		if e := (*m)[s]; e != nil {
			return e
		}
	}
	return insertLabel(s)
}

// insertLabel finds or makes s's Label under the lock. The lock-free snapshot is republished
// once the lookups that missed it reach its size, so each copy of n labels is paid for by n
// misses (amortised O(1) per label, like sync.Map's promotion of its dirty map).
func insertLabel(s string) *labelEntry {
	labels.mu.Lock()
	defer labels.mu.Unlock()
	e, ok := labels.byText[s]
	if !ok {
		if len(labels.text) == 0 {
			// id 0 is the zero Label (hash 0); L("") gets an id of its own, with the text's
			// hash, so that a label read back by id from the trace ring is the one recorded.
			labels.text, labels.hash = []string{""}, []uint64{0}
			labels.byText = map[string]*labelEntry{}
		}
		e = &labelEntry{text: s, l: Label{h: xxhash.Sum64String(s), id: uint32(len(labels.text))}}
		labels.text = append(labels.text, s)
		labels.hash = append(labels.hash, e.l.h)
		setLabelText(e.l.id, s)
		labels.byText[s] = e
	}
	labels.misses++
	if labels.misses >= len(labels.byText) {
		snapshot := maps.Clone(labels.byText)
		labels.read.Store(&snapshot)
		labels.misses = 0
	}
	return e
}

// labelsByID returns the Labels of ids, in one lock.
func labelsByID(ids ...uint32) []Label {
	out := make([]Label, len(ids))
	labels.mu.Lock()
	defer labels.mu.Unlock()
	for i, id := range ids {
		out[i] = Label{h: labels.hash[id], id: id}
	}
	return out
}

// labelTexts holds the texts by id for String without the lock, which every worker of a sweep
// would otherwise take for every process name it reads (kasan records one per object made and
// freed). A chunk is written once per id, under labels.mu, before the Label is handed out:
// whoever holds a Label got it after its text was stored (through the lock, the read map's
// atomic publication, or from another goroutine that did).
var labelTexts [labelChunks]atomic.Pointer[[labelChunk]string]

const (
	labelChunk  = 4096
	labelChunks = 4096 // 16M labels; ids beyond are read under the lock
)

func setLabelText(id uint32, s string) {
	if int(id/labelChunk) >= labelChunks {
		return
	}
	c := labelTexts[id/labelChunk].Load()
	if c == nil {
		c = new([labelChunk]string)
		labelTexts[id/labelChunk].Store(c)
	}
	c[id%labelChunk] = s
}

// String returns the label text.
func (l Label) String() string {
	if l.id == 0 {
		return ""
	}
	if int(l.id/labelChunk) < labelChunks {
		if c := labelTexts[l.id/labelChunk].Load(); c != nil {
			return c[l.id%labelChunk]
		}
	}
	labels.mu.Lock()
	defer labels.mu.Unlock()
	return labels.text[l.id]
}

// Hash is the label's 64-bit hash (xxhash of the text).
func (l Label) Hash() uint64 { return l.h }

// Event is one structured trace record.
type Event struct {
	At   Time
	Seq  uint64 // 1-based position in the run's event stream
	Proc int32  // process id, -1 for the engine itself
	Kind Label  // what happened: "spawn", "block", "mmio-read", ...
	Obj  Label  // the object it happened to (a process name for spawn/exit)
	A, B int64  // kind-specific arguments
}

// Engine event kinds.
var (
	evSpawn     = L("spawn")
	evExit      = L("exit")
	evBlock     = L("block")
	evWake      = L("wake")
	evTimeout   = L("timeout")
	evSleep     = L("sleep")
	evBusy      = L("busy")
	evPreempt   = L("preempt")
	evViolation = L("violation")
	engineObj   = L("des")
)

// fingerprint folds trace events into a 64-bit hash of the whole stream (wyhash-style mixing;
// written by hand because it runs on every event).
type fingerprint uint64

const (
	fpK0 = 0xa0761d6478bd642f
	fpK1 = 0xe7037ed1a0b428db
)

func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// fold folds one event. Seq is implied by the position in the fold, so it is not hashed.
func (f *fingerprint) fold(at Time, pid int32, kind, obj Label, a, b int64) {
	h := uint64(*f)
	h = mum(h^uint64(at)^kind.h, uint64(uint32(pid))^obj.h^fpK0)
	h = mum(h^uint64(a)^fpK1, bits.RotateLeft64(uint64(b), 32)^fpK0)
	*f = fingerprint(h)
}

// ring keeps the last len(buf) events; len(buf) is a power of two (or zero). It is written on
// every event and read only when a run is reported, so a slot keeps what cannot be derived:
// the seq is the event's position, and a label's hash is looked up by its id.
type ring struct {
	buf  []slot
	mask uint64
}

// slot is one event as the ring keeps it.
type slot struct {
	at        Time
	a, b      int64
	pid       int32
	kind, obj uint32 // label ids
}

func newRing(size int) ring {
	if size <= 0 {
		return ring{}
	}
	n := 1
	for n < size {
		n <<= 1
	}
	return ring{buf: make([]slot, n), mask: uint64(n - 1)}
}

// events returns the retained events of the n emitted so far, oldest first.
func (r *ring) events(n uint64) []Event {
	size := uint64(len(r.buf))
	first := uint64(0) // seq-1 of the oldest event kept
	if n > size {
		first = n - size
	}
	out := make([]Event, 0, n-first)
	ids := make([]uint32, 0, 2*(n-first))
	for q := first; q < n; q++ {
		e := &r.buf[q&r.mask]
		ids = append(ids, e.kind, e.obj)
	}
	ls := labelsByID(ids...)
	for q := first; q < n; q++ {
		e := &r.buf[q&r.mask]
		i := 2 * (q - first)
		out = append(out, Event{At: e.at, Seq: q + 1, Proc: e.pid, Kind: ls[i], Obj: ls[i+1], A: e.a, B: e.b})
	}
	return out
}

// EngineKind reports whether kind is one of the engine's own event kinds (spawn, exit, block,
// wake, timeout, sleep, busy, preempt, defer, fault, violation) rather than a model event.
func EngineKind(kind Label) bool {
	switch kind {
	case evSpawn, evExit, evBlock, evWake, evTimeout, evSleep, evBusy, evPreempt, evDefer, evFault, evViolation:
		return true
	}
	return false
}
