package workloads

import (
	"slices"
	"sync/atomic"

	"hotplugsim/des"
)

// hashMemo remembers the last Spec hashed and its hash. A sweep hashes the same Spec for every
// run (its identity, EstimateSteps' key), and the hash is a pure function of the Spec, so the
// remembered answer is the one Hash would compute. Specs are compared by value, field by
// field (specEqual; a nil and an empty slice differ, as their JSON does).
var hashMemo atomic.Pointer[hashed]

type hashed struct {
	spec Spec // a deep copy, never handed out
	hash string
}

func memoHash(s *Spec) (string, bool) {
	if m := hashMemo.Load(); m != nil && specEqual(&m.spec, s) {
		return m.hash, true
	}
	return "", false
}

// specEqual reports whether a and b are the same data, nil and empty slices told apart: what
// reflect.DeepEqual(a, b) says (tested), without moving a Spec to the heap at every Hash. It
// names every field of a Spec: a field added to Spec or to what it holds must be added here
// (TestSpecEqualCoversSpec fails until it is).
func specEqual(a, b *Spec) bool {
	return sameNil(a.Topology.Devices, b.Topology.Devices) && slices.Equal(a.Topology.Devices, b.Topology.Devices) &&
		sameNil(a.Apps, b.Apps) && slices.EqualFunc(a.Apps, b.Apps, appEqual) &&
		sameNil(a.Events, b.Events) && slices.EqualFunc(a.Events, b.Events, eventEqual) &&
		a.Budgets == b.Budgets
}

func appEqual(x, y App) bool {
	return x.Kind == y.Kind && x.Device == y.Device && x.Peer == y.Peer && x.Count == y.Count && x.Ops == y.Ops &&
		x.IntervalNs == y.IntervalNs && sameNil(x.BOs, y.BOs) && slices.Equal(x.BOs, y.BOs)
}

func eventEqual(x, y Event) bool {
	if (x.After == nil) != (y.After == nil) || x.After != nil && *x.After != *y.After {
		return false
	}
	x.After, y.After = nil, nil
	return x == y
}

func sameNil[T any](x, y []T) bool { return (x == nil) == (y == nil) }

func rememberHash(s *Spec, h string) { hashMemo.Store(&hashed{spec: s.Clone(), hash: h}) }

// equalMemo remembers the last answer of isDefaultSpec, which a sweep with --spec asks of the
// same two Specs every run; Equal marshals both.
var equalMemo atomic.Pointer[equalAnswer]

type equalAnswer struct {
	spec, def Spec // deep copies, never handed out
	equal     bool
}

// isDefaultSpec reports spec.Equal(def).
func isDefaultSpec(spec, def Spec) bool {
	if m := equalMemo.Load(); m != nil && specEqual(&m.spec, &spec) && specEqual(&m.def, &def) {
		return m.equal
	}
	eq := spec.Equal(def)
	equalMemo.Store(&equalAnswer{spec: spec.Clone(), def: def.Clone(), equal: eq})
	return eq
}

// specBuf is the storage of the Spec copy a run builds its scenario from (cloneFor).
type specBuf struct {
	devices []Device
	apps    []App
	bos     [][]BO // by app
	events  []Event
	after   []AppEvent // by event
}

var specBufs = des.NewSlabKey[specBuf]()

// Recycle keeps the storage (des.Recycler): cloneFor overwrites what it hands out.
func (b *specBuf) Recycle() {
	b.devices, b.apps, b.bos, b.events, b.after = b.devices[:0], b.apps[:0], b.bos[:cap(b.bos)], b.events[:0], b.after[:0]
}

// cloneFor is s.Clone() in storage that sim's worker reuses run after run (des.SlabKey): the
// same deep copy, Equal to s. Keep it in step with Clone.
func cloneFor(sim *des.Sim, s Spec) Spec {
	b := specBufs.New(sim)
	c := s
	c.Topology.Devices = cloneInto(&b.devices, s.Topology.Devices)
	c.Apps = cloneInto(&b.apps, s.Apps)
	for len(b.bos) < len(c.Apps) {
		b.bos = append(b.bos, nil)
	}
	for i := range c.Apps {
		c.Apps[i].BOs = cloneInto(&b.bos[i], c.Apps[i].BOs)
	}
	c.Events = cloneInto(&b.events, s.Events)
	if n := len(c.Events); cap(b.after) < n {
		b.after = make([]AppEvent, n)
	}
	b.after = b.after[:len(c.Events)]
	for i, e := range c.Events {
		if e.After != nil {
			b.after[i] = *e.After
			c.Events[i].After = &b.after[i]
		}
	}
	return c
}

// cloneInto is slices.Clone(src) in *buf's storage, which it grows as needed: nil stays nil
// and empty stays empty.
func cloneInto[T any](buf *[]T, src []T) []T {
	if src == nil {
		return nil
	}
	*buf = append((*buf)[:0], src...)
	if len(src) == 0 && *buf == nil {
		*buf = []T{}
	}
	return *buf
}
