package cli

import (
	"fmt"
	"io"

	"hotplugsim/des"
	"hotplugsim/reports"
	"hotplugsim/workloads"
)

// maxTraceEvents bounds the trace --trace keeps (a run without budgets could be long).
const maxTraceEvents = 5_000_000

// traceRec collects the whole trace of a run for --trace.
type traceRec struct {
	events  []des.Event
	dropped uint64
}

func (t *traceRec) add(e des.Event) {
	if len(t.events) >= maxTraceEvents {
		t.dropped++
		return
	}
	t.events = append(t.events, e)
}

// write saves the trace atomically as Chrome trace JSON (reports.WriteChromeTrace): one
// thread per process, a complete event per span (ioctls, faults, waits, sleeps...), an instant
// per other event and per violation. Perfetto (ui.perfetto.dev) and chrome://tracing open it.
func (t *traceRec) write(path string, o *workloads.Outcome) error {
	names := reports.Names{}
	for id := int32(0); id < int32(o.Procs); id++ {
		names[id] = o.ProcName(id)
	}
	title := fmt.Sprintf("%s / %s, seed %d, %s, fingerprint %s", o.Scenario, o.Policy, o.Seed, o.Strategy, o.Fingerprint)
	if t.dropped > 0 {
		title += fmt.Sprintf(" (the trace stops after %d events: %d more were dropped)", len(t.events), t.dropped)
	}
	run := reports.Run{Title: title, Events: t.events, Names: names, Violations: o.Result.Violations,
		ToolVersion: toolVersion()}
	return writeFile(path, func(w io.Writer) error { return reports.WriteChromeTrace(w, run, reports.ChromeOptions{}) })
}
