package cli

import (
	"bufio"
	"encoding/json"
	"os"

	"hotplugsim/des"
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

// chromeEvent is one record of the Chrome trace event format (which Perfetto opens).
type chromeEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"` // microseconds
	Pid  int            `json:"pid"`
	Tid  int32          `json:"tid"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// write saves the trace atomically as Chrome trace JSON: one thread per process, one
// instant event per trace event.
func (t *traceRec) write(path string, o *workloads.Outcome) error {
	return writeAtomic(path, func(f *os.File) error {
		w := bufio.NewWriter(f)
		w.WriteString(`{"displayTimeUnit":"ns","otherData":`)
		meta, _ := json.Marshal(map[string]any{"scenario": o.Scenario, "policy": o.Policy, "seed": o.Seed,
			"strategy": o.Strategy, "fingerprint": o.Fingerprint, "dropped_events": t.dropped})
		w.Write(meta)
		w.WriteString(`,"traceEvents":[`)
		enc := json.NewEncoder(w)
		first := true
		put := func(ev chromeEvent) {
			if !first {
				w.WriteString(",")
			}
			first = false
			enc.Encode(ev)
		}
		for id := int32(-1); id < int32(o.Procs); id++ {
			put(chromeEvent{Name: "thread_name", Ph: "M", Pid: 1, Tid: id, Args: map[string]any{"name": o.ProcName(id)}})
		}
		for _, e := range t.events {
			put(chromeEvent{Name: e.Kind.String(), Cat: e.Obj.String(), Ph: "i", S: "t", Ts: float64(e.At) / 1000,
				Pid: 1, Tid: e.Proc, Args: map[string]any{"obj": e.Obj.String(), "seq": e.Seq, "a": e.A, "b": e.B}})
		}
		w.WriteString("]}\n")
		return w.Flush()
	})
}
