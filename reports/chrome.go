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
	"hotplugsim/reports/causal"
)

// ChromePID is the pid of the first group of processes in a Chrome trace. Simulated
// processes are grouped into Chrome processes by device or subsystem (ChromeGroup): pids
// 1, 2, ... in the order each group's first process appears; each simulated process is a
// thread with tid = des process id + 1 (the engine is tid 0).
const ChromePID = 1

// ChromeGroup is the Chrome process a simulated process is shown under, from its name: a
// kernel thread by its kind ("irq/amdgpu:0000:04:00.0" -> "irq", "kworker/events:0" ->
// "kworker", "irq:gpu0" -> "irq"), a device's own thread by the device ("gpu1.gfx" -> "gpu1"), anything else by
// its name without the instance number ("render0.1" -> "render", "unplug0" -> "unplug").
// The engine is "des".
func ChromeGroup(name string) string {
	if name == "" || name == "des" {
		return "des"
	}
	if i := strings.IndexAny(name, "/:"); i > 0 {
		return name[:i]
	}
	head, _, dotted := strings.Cut(name, ".")
	if dotted && strings.TrimRight(head, "0123456789") != head {
		// "gpu1.gfx": a device's thread; "render0.1": an app instance.
		base := strings.TrimRight(head, "0123456789")
		if devicePrefix(base) {
			return head
		}
		return base
	}
	if base := strings.TrimRight(name, "0123456789"); base != "" {
		return base
	}
	return name
}

// devicePrefix reports whether a name prefix is a device's (gpu0, nvme1, hda0, xe0, card0).
func devicePrefix(base string) bool {
	switch base {
	case "gpu", "nvme", "hda", "xe", "card", "dev":
		return true
	}
	return false
}

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
	S    string         `json:"s,omitempty"`  // instant scope: "t" thread, "p" process, "g" global
	ID   string         `json:"id,omitempty"` // flow id ("s"/"f" events)
	BP   string         `json:"bp,omitempty"` // flow binding point: "e" binds to the enclosing slice
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

// BuildChromeTrace converts a run: a Chrome process per device or subsystem (ChromeGroup,
// named by process_name metadata), a thread per simulated process (thread_name, in id
// order), a complete ("X") event per span, a thread-scoped instant ("i") per other event with
// its arguments named (causal.NamedArgs; addresses as "0x..." strings) and one per violation
// (category "violation"). Each event a violation references (the iounmap or free it
// follows, KASAN's alloc site, lockdep's chain: causal.References) is joined to the
// violation by a flow arrow, cause to effect: a zero-length slice of category "cause" with
// a flow start ("s") on the cause's thread, and one of category "effect" with the flow end
// ("f") on the violating thread.
func BuildChromeTrace(r Run, opt ChromeOptions) *ChromeTrace {
	names := r.names()
	t := &ChromeTrace{DisplayTimeUnit: "ns", OtherData: map[string]string{"generator": "hotplugsim reports"}}
	if r.Title != "" {
		t.OtherData["title"] = r.Title
	}
	if r.ToolVersion != "" {
		t.OtherData["tool_version"] = r.ToolVersion
	}
	meta := func(name string, pid, tid int64, args map[string]any) {
		t.TraceEvents = append(t.TraceEvents, ChromeEvent{Name: name, Ph: "M", Pid: pid, Tid: tid, Args: args})
	}
	title := r.Title
	if title == "" {
		title = "hotplugsim"
	}
	ids := procIDs(r.Events, names)
	pidOf := map[int32]int64{}
	groupPid := map[string]int64{}
	for _, id := range ids {
		g := "des"
		if id >= 0 {
			g = ChromeGroup(names.Name(id))
		}
		pid, ok := groupPid[g]
		if !ok {
			pid = ChromePID + int64(len(groupPid))
			groupPid[g] = pid
			meta("process_name", pid, 0, map[string]any{"name": g})
			meta("process_sort_index", pid, 0, map[string]any{"sort_index": pid})
			if pid == ChromePID {
				meta("process_labels", pid, 0, map[string]any{"labels": title})
			}
		}
		pidOf[id] = pid
	}
	pid := func(proc int32) int64 {
		if p, ok := pidOf[proc]; ok {
			return p
		}
		return ChromePID
	}
	for _, id := range ids {
		label := names.Name(id)
		if id < 0 {
			label = "des (engine)"
		}
		meta("thread_name", pid(id), ChromeTid(id), map[string]any{"name": label})
		meta("thread_sort_index", pid(id), ChromeTid(id), map[string]any{"sort_index": ChromeTid(id)})
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
			Dur: &dur, Pid: pid(s.Proc), Tid: ChromeTid(s.Proc), Args: args})
	}
	for _, e := range r.Events {
		kind := e.Kind.String()
		if opt.NoInstants || spanKind(kind) || (kind == "violation" && len(r.Violations) > 0) {
			continue
		}
		body = append(body, ChromeEvent{Name: kind, Cat: "event", Ph: "i", S: "t", Ts: Micros(e.At),
			Pid: pid(e.Proc), Tid: ChromeTid(e.Proc), Args: eventArgs(e)})
	}
	zero := Micros(0)
	for vi, v := range r.Violations {
		vt := ChromeTid(int32(v.PID))
		body = append(body, ChromeEvent{Name: "violation: " + string(v.Kind), Cat: "violation", Ph: "i", S: "t",
			Ts: Micros(v.At), Pid: pid(int32(v.PID)), Tid: vt,
			Args: map[string]any{"kind": v.Kind, "proc": v.Proc, "msg": v.Msg}})
		for _, c := range causal.References(r.Events, v) {
			if c.Proc == int32(v.PID) && c.At == v.At {
				continue // the faulting access itself, on the same thread
			}
			id := fmt.Sprintf("v%d.%d", vi, c.Seq)
			name := c.Kind.String() + " " + c.Obj.String() + " -> " + string(v.Kind)
			args := eventArgs(c)
			body = append(body,
				ChromeEvent{Name: name, Cat: "cause", Ph: "X", Ts: Micros(c.At), Dur: &zero, Pid: pid(c.Proc), Tid: ChromeTid(c.Proc), Args: args},
				ChromeEvent{Name: name, Cat: "cause", Ph: "s", Ts: Micros(c.At), Pid: pid(c.Proc), Tid: ChromeTid(c.Proc), ID: id},
				ChromeEvent{Name: name, Cat: "effect", Ph: "X", Ts: Micros(v.At), Dur: &zero, Pid: pid(int32(v.PID)), Tid: vt,
					Args: map[string]any{"cause_seq": c.Seq, "kind": v.Kind}},
				ChromeEvent{Name: name, Cat: "cause", Ph: "f", BP: "e", Ts: Micros(v.At), Pid: pid(int32(v.PID)), Tid: vt, ID: id})
		}
	}
	// Stable: spans are already ordered by (start, seq), instants by seq.
	slices.SortStableFunc(body, func(a, b ChromeEvent) int { return cmpInt(a.Ts, b.Ts) })
	t.TraceEvents = append(t.TraceEvents, body...)
	return t
}

// eventArgs are an instant's args: its object, trace seq and named arguments (addresses,
// offsets and sizes as "0x..." strings).
func eventArgs(e des.Event) map[string]any {
	args := map[string]any{"obj": e.Obj.String(), "seq": e.Seq}
	for _, a := range causal.NamedArgs(e) {
		if a.Hex {
			args[a.Name] = fmt.Sprintf("%#x", a.Value)
		} else {
			args[a.Name] = a.Value
		}
	}
	return args
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
