package reports

import (
	"hotplugsim/des"
	"hotplugsim/reports/causal"
)

// SliceOptions bound a causal slice.
type SliceOptions struct {
	// Objects is how many distinct objects the violating process touched last (before the
	// violation) are followed; 0 means 8.
	Objects int
	// MaxEvents keeps the events the violation references and the latest others up to
	// MaxEvents; 0 means 200.
	MaxEvents int
	// All keeps the engine's bookkeeping and empty lock/unlock pairs (hidden by default).
	All bool
}

// CausalSlice returns the part of a full event stream that explains violation v, in stream
// order (causal.Compute):
//
//   - every event of the violating process up to the violation;
//   - every event, by any process, on the objects the violating process touched last before
//     it (its last opt.Objects distinct objects, plus the objects of the events v references;
//     the engine's "des" object is not followed) — so the remove path that iounmapped the BAR
//     the faulting ioctl then read is in, and an unrelated app is out;
//   - every event v references: v.Related, the "(trace #N)" its message cites, the last
//     alloc/free/ioremap/iounmap/... of an object its message names;
//   - the spawn events of every process that appears, so lanes can be named.
//
// Events after the violation are left out; engine bookkeeping is hidden unless opt.All; of
// the rest the referenced events and the latest others up to opt.MaxEvents are kept. The
// slice follows objects one step (it does not chase what the other processes touched in
// turn), which is what keeps it short.
func CausalSlice(events []des.Event, v des.Violation, opt SliceOptions) []des.Event {
	if opt.MaxEvents <= 0 {
		opt.MaxEvents = 200
	}
	s := causal.Compute(events, v, causal.Options{Max: opt.MaxEvents, Objects: opt.Objects, All: opt.All})
	if len(s.Events) == 0 {
		return nil
	}
	procs := map[int32]bool{}
	for _, e := range s.Events {
		procs[e.Proc] = true
	}
	var out []des.Event
	k := 0
	for _, e := range events {
		if k == len(s.Events) {
			break
		}
		if e.Seq == s.Events[k].Seq && e == s.Events[k] {
			out = append(out, e)
			k++
		} else if e.Kind.String() == "spawn" && procs[e.Proc] {
			out = append(out, e)
		}
	}
	return out
}
