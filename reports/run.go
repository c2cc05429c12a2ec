package reports

import (
	"hotplugsim/des"
)

// Run is one simulation's output as the trace writers and the swimlane plot take it.
type Run struct {
	Title      string      // the run's identity, e.g. the repro command
	Events     []des.Event // in stream order (Config.Sink, or Sim.Trace for the ring's tail)
	Names      Names       // process names; nil: taken from the spawn events
	Violations []des.Violation
	// ToolVersion, if set, names the tool that wrote the files (a Chrome trace's otherData).
	ToolVersion string
}

// names returns r.Names, or the names of the spawn events.
func (r Run) names() Names {
	if r.Names != nil {
		return r.Names
	}
	return NamesFromEvents(r.Events)
}

// spanKinds are event kinds that Spans turns into spans (or ends of spans).
func spanKind(kind string) bool {
	switch kind {
	case "block", "wake", "timeout", "sleep", "busy", "preempt":
		return true
	}
	return hasSpanSuffix(kind)
}

func hasSpanSuffix(kind string) bool {
	n := len(kind)
	return (n > len(BeginSuffix) && kind[n-len(BeginSuffix):] == BeginSuffix) ||
		(n > len(EndSuffix) && kind[n-len(EndSuffix):] == EndSuffix)
}

// spanTitle is how a span is labelled in traces: "ioctl AMDGPU_CS", "wait gpu0.resv", "sleep".
func spanTitle(s Span) string {
	if s.Obj == "" || s.Obj == "des" {
		return s.Name
	}
	return s.Name + " " + s.Obj
}
