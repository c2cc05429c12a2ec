package reports

import (
	"hotplugsim/des"
)

// SliceOptions bound a causal slice.
type SliceOptions struct {
	// Objects is how many distinct objects the violating process touched last (before the
	// violation) are followed; 0 means 8.
	Objects int
	// MaxEvents keeps only the last MaxEvents events of the slice; 0 means 200.
	MaxEvents int
}

// engineObj is the object of the engine's own events (sleep, busy, preempt).
const engineObj = "des"

// CausalSlice returns the part of a full event stream that explains violation v, in stream
// order:
//
//   - every event of the violating process up to the violation;
//   - every event, by any process, on the objects the violating process touched last before
//     it (its last opt.Objects distinct objects, plus the objects of v.Related; the engine's
//     "des" object is not followed) — so the remove path that iounmapped the BAR the faulting
//     ioctl then read is in, and an unrelated app is out;
//   - the spawn events of every process that appears, so lanes can be named.
//
// Events after the violation are left out, and only the last opt.MaxEvents are kept. The slice
// follows objects one step (it does not chase what the other processes touched in turn), which
// is what keeps it short.
func CausalSlice(events []des.Event, v des.Violation, opt SliceOptions) []des.Event {
	if opt.Objects <= 0 {
		opt.Objects = 8
	}
	if opt.MaxEvents <= 0 {
		opt.MaxEvents = 200
	}
	pid := int32(v.PID)
	end := violationIndex(events, v)
	objs := map[string]bool{}
	var order []string
	for i := end; i >= 0 && len(order) < opt.Objects; i-- {
		e := events[i]
		if e.Proc != pid || e.Kind.String() == "violation" {
			continue
		}
		if o := e.Obj.String(); o != "" && o != engineObj && !objs[o] {
			objs[o] = true
			order = append(order, o)
		}
	}
	for _, e := range v.Related {
		if o := e.Obj.String(); o != "" && o != engineObj {
			objs[o] = true
		}
	}
	in := func(e des.Event) bool {
		return e.Proc == pid || objs[e.Obj.String()]
	}
	procs := map[int32]bool{}
	var picked []int
	for i := 0; i <= end; i++ {
		if in(events[i]) {
			picked = append(picked, i)
			procs[events[i].Proc] = true
		}
	}
	if len(picked) > opt.MaxEvents {
		picked = picked[len(picked)-opt.MaxEvents:]
	}
	keep := map[int]bool{}
	for _, i := range picked {
		keep[i] = true
	}
	var out []des.Event
	for i := 0; i <= end; i++ {
		e := events[i]
		if keep[i] || (e.Kind.String() == "spawn" && procs[e.Proc]) {
			out = append(out, e)
		}
	}
	return out
}

// violationIndex is the index of the "violation" event recording v, or of the last event at or
// before v.At when the stream has none (a ring that lost it, a hand-made stream).
func violationIndex(events []des.Event, v des.Violation) int {
	last := -1
	for i, e := range events {
		if e.At > v.At {
			break
		}
		last = i
		if e.Kind.String() == "violation" && e.Proc == int32(v.PID) && e.Obj.String() == v.Kind {
			return i
		}
	}
	return last
}
