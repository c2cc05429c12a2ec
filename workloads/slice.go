package workloads

import "hotplugsim/des"

// CausalSlice returns the part of the kept trace that explains the first violation, in order:
// every event of the violating process, and the events of the processes that touched the
// objects it touched (on those objects, plus their spawn and exit). At most max events are
// returned, the latest ones. It returns nil for a run without violations.
func (o *Outcome) CausalSlice(max int) []des.Event {
	v := o.Result.First()
	if v == nil {
		return nil
	}
	culprit := int32(v.PID)
	objs := map[string]bool{}
	for _, e := range v.Related {
		if e.Proc == culprit && isModelObject(e) {
			objs[e.Obj.String()] = true
		}
	}
	procs := map[int32]bool{culprit: true}
	for _, e := range o.Trace {
		if isModelObject(e) && objs[e.Obj.String()] {
			procs[e.Proc] = true
		}
	}
	var out []des.Event
	for _, e := range o.Trace {
		if !procs[e.Proc] {
			continue
		}
		k := e.Kind.String()
		if e.Proc == culprit || objs[e.Obj.String()] || k == "spawn" || k == "exit" {
			out = append(out, e)
		}
	}
	if max > 0 && len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}

// isModelObject reports whether e is about a model object rather than the engine's own
// bookkeeping (sleep, preemption, a process's spawn and exit).
func isModelObject(e des.Event) bool {
	switch e.Kind.String() {
	case "spawn", "exit", "sleep", "busy", "preempt", "violation":
		return false
	}
	return e.Obj.String() != "des" && e.Obj.String() != ""
}
