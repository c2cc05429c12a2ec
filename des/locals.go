package des

import (
	"sync/atomic"
	"unsafe"
)

// SimKey names one value of type T kept per simulation: how a model package keeps one
// instance per Sim (lockdep's graph, the global drm_unplug_srcu) without globals. Make each
// key once, as a package variable, with NewSimKey; the zero SimKey is not a key.
//
// Keys are indices, not hashed or compared values: lockdep looks up its state at every lock
// operation, and an indexed slot is several times cheaper than comparing interface keys.
type SimKey[T any] struct{ slot int }

// ProcKey names one value of type T kept per process (lockdep's held-lock stack, the current
// drm_dev_enter depth). Make each key once, as a package variable, with NewProcKey.
type ProcKey[T any] struct{ slot int }

// Slot numbers are handed out by package initialisation, in whatever order it runs; a slot
// only finds a value again, so the order never affects a run.
var simSlots, procSlots atomic.Int32

// NewSimKey makes a key for one value of type T per Sim.
func NewSimKey[T any]() SimKey[T] { return SimKey[T]{int(simSlots.Add(1))} }

// NewProcKey makes a key for one value of type T per process.
func NewProcKey[T any]() ProcKey[T] { return ProcKey[T]{int(procSlots.Add(1))} }

// Get returns s's value under k, making it with mk(s) on first use. mk is passed s, so that
// it need capture nothing: a func literal without captures is never allocated, however the
// call is inlined.
func (k SimKey[T]) Get(s *Sim, mk func(*Sim) *T) *T {
	if l := s.locals; k.slot < len(l) {
		if v := l[k.slot]; v != nil && v != madeNil {
			return (*T)(v)
		}
	}
	return make1(&s.locals, k.slot, s, mk)
}

// Get returns p's value under k, making it with mk(p) on first use.
func (k ProcKey[T]) Get(p *Proc, mk func(*Proc) *T) *T {
	if l := p.locals; k.slot < len(l) {
		if v := l[k.slot]; v != nil && v != madeNil {
			return (*T)(v)
		}
	}
	return make1(&p.locals, k.slot, p, mk)
}

// locals is the storage behind the keys: slot i holds the value of the key numbered i, a *T
// of the key's T (the key's type is the only way in, so the conversion back is sound), or
// madeNil for a value made as nil. It grows to the highest slot used, and model packages make
// only a handful of keys.
type locals []unsafe.Pointer

// madeNil marks a slot whose value was made as nil, so that it is found again.
var madeNil = unsafe.Pointer(new(byte))

// make1 is Get past its fast path: the value made as nil, or none made yet.
func make1[T, O any](l *locals, slot int, owner O, mk func(O) *T) *T {
	if slot < len(*l) && (*l)[slot] == madeNil {
		return nil
	}
	if slot <= 0 {
		panic("des: a local's key was not made by NewSimKey or NewProcKey")
	}
	v := mk(owner)
	if v == nil {
		l.set(slot, madeNil)
	} else {
		l.set(slot, unsafe.Pointer(v))
	}
	return v
}

func (l *locals) set(slot int, v unsafe.Pointer) {
	if n := len(*l); slot >= n && slot < cap(*l) {
		// A reused process's or Sim's locals: their spare capacity holds a previous run's values.
		*l = (*l)[:slot+1]
		clear((*l)[n:slot])
	} else if slot >= n {
		grown := make(locals, slot+1, max(slot+1, 4))
		copy(grown, *l)
		*l = grown
	}
	(*l)[slot] = v
}
