package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"hotplugsim/des"
)

// ChromePID is the pid of the one process a run appears as in a Chrome trace; each simulated
// process is a thread of it with tid = des process id + 1 (the engine is tid 0).
const ChromePID = 1

// Micros is a time in ns that encodes in JSON as µs with 3 decimals (the Chrome trace unit),
// written and read back exactly.
type Micros int64

// MarshalJSON writes m as µs with exactly 3 decimals.
func (m Micros) MarshalJSON() ([]byte, error) { return []byte(micros(int64(m))), nil }

// UnmarshalJSON reads a JSON number of µs; digits past the ns are rounded.
func (m *Micros) UnmarshalJSON(b []byte) error {
	s := string(b)
	if ns, ok := parseMicros(s); ok {
		*m = Micros(ns)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f*1000) >= math.MaxInt64/2 {
		return fmt.Errorf("time %.40q is not a number of µs in range", s)
	}
	*m = Micros(math.Round(f * 1000))
	return nil
}

// parseMicros parses "-?digits(.digits)?" exactly (more than 3 decimals: truncated toward 0
// only if the extra digits are all zero; otherwise it reports !ok and the float path rounds).
func parseMicros(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" || len(ip) > 15 || strings.Trim(ip, "0123456789") != "" || strings.Trim(fp, "0123456789") != "" {
		return 0, false
	}
	if len(fp) > 3 {
		if strings.Trim(fp[3:], "0") != "" {
			return 0, false
		}
		fp = fp[:3]
	}
	fp += strings.Repeat("0", 3-len(fp))
	i, err1 := strconv.ParseInt(ip, 10, 64)
	f, err2 := strconv.ParseInt(fp, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	v := i*1000 + f
	if neg {
		v = -v
	}
	return v, true
}

// ChromeEvent is one record of the Chrome trace event format
// (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU).
type ChromeEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   Micros         `json:"ts"`
	Dur  *Micros        `json:"dur,omitempty"`
	Pid  int64          `json:"pid"`
	Tid  int64          `json:"tid"`
	S    string         `json:"s,omitempty"` // instant scope: "t" thread, "p" process, "g" global
	Args map[string]any `json:"args,omitempty"`
}

// ChromeTrace is a Chrome trace file in its JSON-object form.
type ChromeTrace struct {
	TraceEvents     []ChromeEvent     `json:"traceEvents"`
	DisplayTimeUnit string            `json:"displayTimeUnit,omitempty"`
	OtherData       map[string]string `json:"otherData,omitempty"`
}

// ChromeTid is the Chrome thread id of a des process id.
func ChromeTid(proc int32) int64 { return int64(proc) + 1 }

// ChromeOptions tune WriteChromeTrace.
type ChromeOptions struct {
	// NoInstants leaves out the events that are not part of a span (mmio-read, lock, ...),
	// keeping spans and violations only.
	NoInstants bool
}

// BuildChromeTrace converts a run: a thread per process (named by thread_name metadata, in id
// order), a complete ("X") event per span, a thread-scoped instant ("i") per other event and
// one per violation (category "violation").
func BuildChromeTrace(r Run, opt ChromeOptions) *ChromeTrace {
	names := r.names()
	t := &ChromeTrace{DisplayTimeUnit: "ns", OtherData: map[string]string{"generator": "hotplugsim reports"}}
	if r.Title != "" {
		t.OtherData["title"] = r.Title
	}
	if r.ToolVersion != "" {
		t.OtherData["tool_version"] = r.ToolVersion
	}
	meta := func(name string, tid int64, args map[string]any) {
		t.TraceEvents = append(t.TraceEvents, ChromeEvent{Name: name, Ph: "M", Pid: ChromePID, Tid: tid, Args: args})
	}
	title := r.Title
	if title == "" {
		title = "hotplugsim"
	}
	meta("process_name", 0, map[string]any{"name": title})
	for _, id := range procIDs(r.Events, names) {
		label := names.Name(id)
		if id < 0 {
			label = "des (engine)"
		}
		meta("thread_name", ChromeTid(id), map[string]any{"name": label})
		meta("thread_sort_index", ChromeTid(id), map[string]any{"sort_index": ChromeTid(id)})
	}
	var body []ChromeEvent
	for _, s := range Spans(r.Events) {
		dur := Micros(s.Duration())
		args := map[string]any{"seq": s.StartSeq}
		if s.Obj != "" {
			args["obj"] = s.Obj
		}
		if s.Open {
			args["open"] = true
		}
		if s.TimedOut {
			args["timeout"] = true
		}
		body = append(body, ChromeEvent{Name: spanTitle(s), Cat: s.Cat, Ph: "X", Ts: Micros(s.Start),
			Dur: &dur, Pid: ChromePID, Tid: ChromeTid(s.Proc), Args: args})
	}
	for _, e := range r.Events {
		kind := e.Kind.String()
		if opt.NoInstants || spanKind(kind) || (kind == "violation" && len(r.Violations) > 0) {
			continue
		}
		body = append(body, ChromeEvent{Name: kind, Cat: "event", Ph: "i", S: "t", Ts: Micros(e.At),
			Pid: ChromePID, Tid: ChromeTid(e.Proc),
			Args: map[string]any{"obj": e.Obj.String(), "a": e.A, "b": e.B, "seq": e.Seq}})
	}
	for _, v := range r.Violations {
		body = append(body, ChromeEvent{Name: "violation: " + v.Kind, Cat: "violation", Ph: "i", S: "t",
			Ts: Micros(v.At), Pid: ChromePID, Tid: ChromeTid(int32(v.PID)),
			Args: map[string]any{"kind": v.Kind, "proc": v.Proc, "msg": v.Msg}})
	}
	// Stable: spans are already ordered by (start, seq), instants by seq.
	slices.SortStableFunc(body, func(a, b ChromeEvent) int { return cmpInt(a.Ts, b.Ts) })
	t.TraceEvents = append(t.TraceEvents, body...)
	return t
}

// WriteChromeTrace writes r as Chrome trace JSON (one event per line), ready for Perfetto
// (ui.perfetto.dev, "Open trace file") or chrome://tracing.
func WriteChromeTrace(w io.Writer, r Run, opt ChromeOptions) error {
	return BuildChromeTrace(r, opt).Encode(w)
}

// Encode writes t as JSON, one trace event per line; the same trace gives the same bytes.
func (t *ChromeTrace) Encode(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("{\"displayTimeUnit\":")
	writeJSON(&b, t.DisplayTimeUnit)
	if len(t.OtherData) > 0 {
		b.WriteString(",\"otherData\":")
		writeJSON(&b, t.OtherData)
	}
	b.WriteString(",\"traceEvents\":[")
	for i := range t.TraceEvents {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n")
		writeJSON(&b, &t.TraceEvents[i])
	}
	b.WriteString("\n]}\n")
	_, err := w.Write(b.Bytes())
	return err
}

func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only plain data reaches here
	}
	b.Truncate(b.Len() - 1) // Encode's newline
}

// ErrBadTrace is wrapped by every error ReadChromeTrace returns.
var ErrBadTrace = errors.New("bad chrome trace")

// ReadChromeTrace reads a Chrome trace in either form (an object with "traceEvents", or a bare
// array of events) and checks each event: a phase, integer pid/tid, a non-negative duration on
// complete events. Errors are one line and name the offending event.
func ReadChromeTrace(rd io.Reader) (*ChromeTrace, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTrace, err)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	var t ChromeTrace
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = decodeJSON(trimmed, &t.TraceEvents)
	} else {
		var raw struct {
			TraceEvents     *[]ChromeEvent    `json:"traceEvents"`
			DisplayTimeUnit string            `json:"displayTimeUnit"`
			OtherData       map[string]string `json:"otherData"`
		}
		if err = decodeJSON(data, &raw); err == nil {
			if raw.TraceEvents == nil {
				return nil, fmt.Errorf("%w: no \"traceEvents\"", ErrBadTrace)
			}
			t = ChromeTrace{TraceEvents: *raw.TraceEvents, DisplayTimeUnit: raw.DisplayTimeUnit, OtherData: raw.OtherData}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBadTrace, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	for i, e := range t.TraceEvents {
		switch {
		case e.Ph == "":
			return nil, fmt.Errorf("%w: traceEvents[%d] has no \"ph\"", ErrBadTrace, i)
		case e.Ph == "X" && (e.Dur == nil || *e.Dur < 0):
			return nil, fmt.Errorf("%w: traceEvents[%d] (%.40q) is a complete event without a duration >= 0", ErrBadTrace, i, e.Name)
		}
	}
	return &t, nil
}

// decodeJSON decodes one JSON value (numbers in args as json.Number) and nothing after it.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the trace")
	}
	return nil
}

// Threads returns the thread names declared by thread_name metadata, by tid.
func (t *ChromeTrace) Threads() map[int64]string {
	out := map[int64]string{}
	for _, e := range t.TraceEvents {
		if e.Ph == "M" && e.Name == "thread_name" {
			if s, ok := e.Args["name"].(string); ok {
				out[e.Tid] = s
			}
		}
	}
	return out
}

// Complete returns the complete ("X") events, in file order.
func (t *ChromeTrace) Complete() []ChromeEvent { return t.phase("X") }

// Instants returns the instant ("i" or "I") events, in file order.
func (t *ChromeTrace) Instants() []ChromeEvent {
	var out []ChromeEvent
	for _, e := range t.TraceEvents {
		if e.Ph == "i" || e.Ph == "I" {
			out = append(out, e)
		}
	}
	return out
}

func (t *ChromeTrace) phase(ph string) []ChromeEvent {
	var out []ChromeEvent
	for _, e := range t.TraceEvents {
		if e.Ph == ph {
			out = append(out, e)
		}
	}
	return out
}

// ViolationTime reports the time of the first violation instant, if any.
func (t *ChromeTrace) ViolationTime() (des.Time, bool) {
	for _, e := range t.Instants() {
		if e.Cat == "violation" {
			return des.Time(e.Ts), true
		}
	}
	return 0, false
}
