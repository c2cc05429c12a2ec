package workloads

import (
	"maps"
	"slices"
	"strings"

	"hotplugsim/des"
)

// Coverage is what a set of runs exercised: which pairs of conflicting operations on one object
// were seen in which order, which fault sites fired, and which protocol steps (model event
// kinds) were reached. Two operations conflict when different processes perform them on the
// same object one after the other and at least one of them changes it: its event kind names a
// write, a free, an unmap or another change (see Mutating). A sweep adds each run's coverage in
// seed order, so the result is the same for any -j or shard split; Added tells a developer
// when more seeds stop adding anything.
type Coverage struct {
	Pairs  map[string]bool // "obj: first -> second"
	Faults map[string]bool
	Steps  map[string]bool
}

// NewCoverage returns an empty Coverage.
func NewCoverage() *Coverage {
	return &Coverage{Pairs: map[string]bool{}, Faults: map[string]bool{}, Steps: map[string]bool{}}
}

// mutatingWords are the words that make an event kind a change of its object.
var mutatingWords = []string{"write", "free", "unmap", "zap", "put", "signal", "remove", "unplug",
	"release", "destroy", "fini", "kill", "move", "evict", "unbind", "reset", "clear", "store",
	"unlock", "complete", "del", "cancel", "detach", "close", "drop", "stop", "suspend"}

// Mutating reports whether an event kind changes its object, judged by its name (iounmap,
// kfree, dma_fence_signal, mmio-write, ...): a model names its events after the kernel
// functions they stand for, and those names say what they do.
func Mutating(kind string) bool {
	k := strings.ToLower(kind)
	for _, w := range mutatingWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// runCoverage follows one run's trace.
type runCoverage struct {
	into *Coverage
	last map[des.Label]access
	kind map[des.Label]bool // Mutating, by kind label
}

type access struct {
	pid  int32
	kind des.Label
	mut  bool
}

func newRunCoverage(into *Coverage) *runCoverage {
	return &runCoverage{into: into, last: map[des.Label]access{}, kind: map[des.Label]bool{}}
}

// event takes one trace event.
func (rc *runCoverage) event(e des.Event) {
	if e.Kind.String() == "fault" {
		rc.into.Faults[e.Obj.String()] = true
		return
	}
	if e.Proc < 0 || des.EngineKind(e.Kind) {
		return
	}
	rc.into.Steps[e.Kind.String()] = true
	if e.Obj == (des.Label{}) {
		return
	}
	mut, ok := rc.kind[e.Kind]
	if !ok {
		mut = Mutating(e.Kind.String())
		rc.kind[e.Kind] = mut
	}
	prev, seen := rc.last[e.Obj]
	if seen && prev.pid != e.Proc && (prev.mut || mut) {
		rc.into.Pairs[e.Obj.String()+": "+prev.kind.String()+" -> "+e.Kind.String()] = true
	}
	rc.last[e.Obj] = access{pid: e.Proc, kind: e.Kind, mut: mut}
}

// Merge adds o to c and returns how many entries were new.
func (c *Coverage) Merge(o *Coverage) (added int) {
	for _, pair := range []struct{ dst, src map[string]bool }{{c.Pairs, o.Pairs}, {c.Faults, o.Faults}, {c.Steps, o.Steps}} {
		for k := range pair.src { // order-free: a set union and its count
			if !pair.dst[k] {
				pair.dst[k] = true
				added++
			}
		}
	}
	return added
}

// BothOrders counts the conflicting pairs seen in both orders.
func (c *Coverage) BothOrders() int {
	n := 0
	for k := range c.Pairs { // order-free: a count
		obj, ops, _ := strings.Cut(k, ": ")
		a, b, _ := strings.Cut(ops, " -> ")
		if a != b && c.Pairs[obj+": "+b+" -> "+a] {
			n++
		}
	}
	return n / 2
}

// Sorted returns the keys of m in order.
func Sorted(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}
