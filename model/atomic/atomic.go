package atomic

import (
	"fmt"

	"hotplugsim/des"
)

var (
	evReadOnce   = des.L("READ_ONCE")
	evWriteOnce  = des.L("WRITE_ONCE")
	evRead       = des.L("atomic_read")
	evSet        = des.L("atomic_set")
	evAdd        = des.L("atomic_add_return")
	evCmpxchg    = des.L("atomic_cmpxchg")
	evIncNotZero = des.L("atomic_inc_not_zero")
	evTestBit    = des.L("test_bit")
	evSetBit     = des.L("set_bit")
	evClearBit   = des.L("clear_bit")
	evTASBit     = des.L("test_and_set_bit")
	evTACBit     = des.L("test_and_clear_bit")
)

// Var is a plain shared field read with READ_ONCE and written with WRITE_ONCE: each access is
// untorn and a scheduling point, and nothing makes a read and a later write one step.
type Var[T any] struct {
	label des.Label
	v     T
}

// NewVar makes a shared field named name holding v.
func NewVar[T any](name string, v T) *Var[T] { return &Var[T]{label: des.L(name), v: v} }

// ReadOnce is READ_ONCE(field).
func (x *Var[T]) ReadOnce(p *des.Proc) T {
	p.Point(evReadOnce, x.label, 0, 0)
	return x.v
}

// WriteOnce is WRITE_ONCE(field, v).
func (x *Var[T]) WriteOnce(p *des.Proc, v T) {
	p.Point(evWriteOnce, x.label, 0, 0)
	x.v = v
}

// Peek reads the field without a scheduling point (tests and oracles).
func (x *Var[T]) Peek() T { return x.v }

// Int is atomic_t.
type Int struct {
	label des.Label
	v     int64
}

// NewInt is ATOMIC_INIT(v) for a counter named name.
func NewInt(name string, v int64) *Int { return &Int{label: des.L(name), v: v} }

// Read is atomic_read.
func (a *Int) Read(p *des.Proc) int64 {
	p.Point(evRead, a.label, a.v, 0)
	return a.v
}

// Set is atomic_set.
func (a *Int) Set(p *des.Proc, v int64) {
	p.Point(evSet, a.label, a.v, v)
	a.v = v
}

// AddReturn is atomic_add_return: add i, return the new value, in one step.
func (a *Int) AddReturn(p *des.Proc, i int64) int64 {
	p.Point(evAdd, a.label, a.v, i)
	a.v += i
	return a.v
}

// Inc is atomic_inc.
func (a *Int) Inc(p *des.Proc) { a.AddReturn(p, 1) }

// Dec is atomic_dec.
func (a *Int) Dec(p *des.Proc) { a.AddReturn(p, -1) }

// IncReturn is atomic_inc_return.
func (a *Int) IncReturn(p *des.Proc) int64 { return a.AddReturn(p, 1) }

// DecReturn is atomic_dec_return.
func (a *Int) DecReturn(p *des.Proc) int64 { return a.AddReturn(p, -1) }

// DecAndTest is atomic_dec_and_test: decrement and report whether the result is zero, in
// one step (the kref_put idiom: exactly one caller sees true).
func (a *Int) DecAndTest(p *des.Proc) bool { return a.AddReturn(p, -1) == 0 }

// Cmpxchg is atomic_cmpxchg: if the value is old, store new; return the value found.
func (a *Int) Cmpxchg(p *des.Proc, old, new int64) int64 {
	p.Point(evCmpxchg, a.label, a.v, new)
	found := a.v
	if found == old {
		a.v = new
	}
	return found
}

// IncNotZero is atomic_inc_not_zero (kref_get_unless_zero): increment unless the value is
// zero; report whether it did.
func (a *Int) IncNotZero(p *des.Proc) bool {
	p.Point(evIncNotZero, a.label, a.v, 0)
	if a.v == 0 {
		return false
	}
	a.v++
	return true
}

// Peek reads the counter without a scheduling point (tests and oracles).
func (a *Int) Peek() int64 { return a.v }

// BitsPerLong is the number of bits in one Bits word.
const BitsPerLong = 64

// Bits is an unsigned long of flags driven with the atomic bitops.
type Bits struct {
	label des.Label
	w     uint64
}

// NewBits makes a flags word named name, all bits clear.
func NewBits(name string) *Bits { return &Bits{label: des.L(name)} }

func (b *Bits) mask(nr int) uint64 {
	if nr < 0 || nr >= BitsPerLong {
		panic(fmt.Sprintf("atomic: bit %d of %s outside an unsigned long", nr, b.label))
	}
	return 1 << uint(nr)
}

// TestBit is test_bit.
func (b *Bits) TestBit(p *des.Proc, nr int) bool {
	m := b.mask(nr)
	p.Point(evTestBit, b.label, int64(nr), 0)
	return b.w&m != 0
}

// SetBit is set_bit.
func (b *Bits) SetBit(p *des.Proc, nr int) {
	m := b.mask(nr)
	p.Point(evSetBit, b.label, int64(nr), 0)
	b.w |= m
}

// ClearBit is clear_bit.
func (b *Bits) ClearBit(p *des.Proc, nr int) {
	m := b.mask(nr)
	p.Point(evClearBit, b.label, int64(nr), 0)
	b.w &^= m
}

// TestAndSetBit is test_and_set_bit: set the bit and return its old value, in one step.
func (b *Bits) TestAndSetBit(p *des.Proc, nr int) bool {
	m := b.mask(nr)
	p.Point(evTASBit, b.label, int64(nr), 0)
	old := b.w&m != 0
	b.w |= m
	return old
}

// TestAndClearBit is test_and_clear_bit: clear the bit and return its old value, in one step.
func (b *Bits) TestAndClearBit(p *des.Proc, nr int) bool {
	m := b.mask(nr)
	p.Point(evTACBit, b.label, int64(nr), 0)
	old := b.w&m != 0
	b.w &^= m
	return old
}

// Peek reads the word without a scheduling point (tests and oracles).
func (b *Bits) Peek() uint64 { return b.w }
