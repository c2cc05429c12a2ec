package reports

import (
	"slices"
	"strings"

	"hotplugsim/des"
)

// Span categories.
const (
	CatModel   = "model"   // a ":begin"/":end" pair emitted by model code
	CatWait    = "wait"    // block → wake/timeout
	CatSleep   = "sleep"   // Proc.Sleep
	CatBusy    = "busy"    // Proc.Busy
	CatPreempt = "preempt" // a preemption delay injected by the strategy
)

// Span suffixes of model events.
const (
	BeginSuffix = ":begin"
	EndSuffix   = ":end"
)

// Span is an interval of one process's time.
type Span struct {
	Proc     int32
	Name     string // "ioctl", "fault", "wait", "sleep", ...
	Obj      string // the object: the ioctl kind, the wait queue, ...
	Cat      string // CatModel, CatWait, ...
	Start    des.Time
	End      des.Time
	StartSeq uint64 // Seq of the opening event
	Open     bool   // never closed: End is the last event's time
	TimedOut bool   // a wait that ended by timeout
}

// Duration is End - Start.
func (s Span) Duration() des.Duration { return s.End.Sub(s.Start) }

type spanKey struct {
	proc      int32
	name, obj string
}

// Spans derives spans from events (in stream order), following the conventions in the package
// doc. The result is sorted by (Start, StartSeq).
func Spans(events []des.Event) []Span {
	var out []Span
	open := map[spanKey][]Span{} // stacks of open model spans
	blocked := map[int32]Span{}  // the open wait of each process
	var last des.Time
	for _, e := range events {
		last = max(last, e.At)
		kind := e.Kind.String()
		switch kind {
		case "block":
			blocked[e.Proc] = Span{Proc: e.Proc, Name: "wait", Obj: e.Obj.String(), Cat: CatWait,
				Start: e.At, StartSeq: e.Seq}
			continue
		case "wake", "timeout":
			if s, ok := blocked[e.Proc]; ok && s.Obj == e.Obj.String() {
				s.End, s.TimedOut = e.At, kind == "timeout"
				out = append(out, s)
				delete(blocked, e.Proc)
			}
			continue
		case "sleep", "busy", "preempt":
			if e.A > 0 {
				out = append(out, Span{Proc: e.Proc, Name: kind, Obj: e.Obj.String(), Cat: kind,
					Start: e.At, End: e.At.Add(des.Duration(e.A)), StartSeq: e.Seq})
			}
			continue
		}
		if name, ok := strings.CutSuffix(kind, BeginSuffix); ok && name != "" {
			k := spanKey{e.Proc, name, e.Obj.String()}
			open[k] = append(open[k], Span{Proc: e.Proc, Name: name, Obj: k.obj, Cat: CatModel,
				Start: e.At, StartSeq: e.Seq})
		} else if name, ok := strings.CutSuffix(kind, EndSuffix); ok && name != "" {
			k := spanKey{e.Proc, name, e.Obj.String()}
			if st := open[k]; len(st) > 0 {
				s := st[len(st)-1]
				s.End = e.At
				out = append(out, s)
				open[k] = st[:len(st)-1]
			}
		}
	}
	for _, st := range open {
		for _, s := range st {
			s.End, s.Open = last, true
			out = append(out, s)
		}
	}
	for _, s := range blocked {
		s.End, s.Open = last, true
		out = append(out, s)
	}
	for i := range out {
		if out[i].End > last && out[i].Cat != CatModel && out[i].Cat != CatWait {
			out[i].End, out[i].Open = max(last, out[i].Start), true // a sleep cut by the end of the run
		}
	}
	slices.SortFunc(out, compareSpans)
	return out
}

// compareSpans orders by start, then seq, then every other field: a total order, so map
// iteration above cannot reach the output.
func compareSpans(a, b Span) int {
	if c := cmpInt(a.Start, b.Start); c != 0 {
		return c
	}
	if c := cmpInt(a.StartSeq, b.StartSeq); c != 0 {
		return c
	}
	if c := cmpInt(a.Proc, b.Proc); c != 0 {
		return c
	}
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := strings.Compare(a.Obj, b.Obj); c != 0 {
		return c
	}
	return cmpInt(a.End, b.End)
}

func cmpInt[T ~int64 | ~uint64 | ~int32 | ~int](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Names maps process ids to names. Build one with ProcNames (from a Sim) or NamesFromEvents
// (from the "spawn" events of a trace); a missing id prints as "proc<id>", -1 as "des".
type Names map[int32]string

// Name returns the name of process id.
func (n Names) Name(id int32) string {
	if s, ok := n[id]; ok {
		return s
	}
	if id < 0 {
		return "des"
	}
	return "proc" + itoa(int64(id))
}

// ProcNames returns the names of every process of s.
func ProcNames(s *des.Sim) Names {
	n := Names{}
	for _, p := range s.Procs() {
		n[int32(p.ID())] = p.Name()
	}
	return n
}

// NamesFromEvents returns the names found in "spawn" events (whose Obj is the process name).
func NamesFromEvents(events []des.Event) Names {
	n := Names{}
	for _, e := range events {
		if e.Kind.String() == "spawn" {
			n[e.Proc] = e.Obj.String()
		}
	}
	return n
}

// ids returns the process ids appearing in events or names, sorted.
func procIDs(events []des.Event, names Names) []int32 {
	seen := map[int32]bool{}
	var ids []int32
	add := func(id int32) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, e := range events {
		add(e.Proc)
	}
	for id := range names {
		add(id)
	}
	slices.Sort(ids)
	return ids
}
