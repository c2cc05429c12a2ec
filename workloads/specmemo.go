package workloads

import (
	"reflect"
	"sync/atomic"

	"hotplugsim/des"
)

// hashMemo remembers the last Spec hashed and its hash. A sweep hashes the same Spec for every
// run (its identity, EstimateSteps' key), and the hash is a pure function of the Spec, so the
// remembered answer is the one Hash would compute. Specs are compared by value
// (reflect.DeepEqual: a nil and an empty slice differ, as their JSON does).
var hashMemo atomic.Pointer[hashed]

type hashed struct {
	spec Spec // a deep copy, never handed out
	hash string
}

func memoHash(s *Spec) (string, bool) {
	if m := hashMemo.Load(); m != nil && reflect.DeepEqual(&m.spec, s) {
		return m.hash, true
	}
	return "", false
}

func rememberHash(s *Spec, h string) { hashMemo.Store(&hashed{spec: s.Clone(), hash: h}) }

// specBuf is the storage of the Spec copy a run builds its scenario from (cloneFor).
type specBuf struct {
	devices []Device
	apps    []App
	bos     [][]BO // by app
	events  []Event
	after   []AppEvent // by event
}

var specBufs = des.NewSlabKey[specBuf]()

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
