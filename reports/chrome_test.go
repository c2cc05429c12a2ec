package reports_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/reports"
)

func chromeBytes(t *testing.T, r reports.Run, opt reports.ChromeOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, reports.WriteChromeTrace(&b, r, opt))
	return b.Bytes()
}

func TestChromeTraceRoundTrip(t *testing.T) {
	r, res := fixtureRun()
	data := chromeBytes(t, r, reports.ChromeOptions{})
	require.True(t, json.Valid(data))
	tr, err := reports.ReadChromeTrace(bytes.NewReader(data))
	require.NoError(t, err)

	// Every process is a named thread.
	threads := tr.Threads()
	for id, name := range r.Names {
		assert.Equal(t, name, threads[reports.ChromeTid(id)])
	}
	// Every span is a complete event, in order, with exact times.
	spans := reports.Spans(r.Events)
	var xs []reports.ChromeEvent
	for _, x := range tr.Complete() {
		if x.Cat != "cause" && x.Cat != "effect" { // the flow arrows' anchors
			xs = append(xs, x)
		}
	}
	require.Len(t, xs, len(spans))
	for i, s := range spans {
		x := xs[i]
		assert.Equal(t, reports.Micros(s.Start), x.Ts)
		assert.Equal(t, reports.Micros(s.Duration()), *x.Dur)
		assert.Equal(t, reports.ChromeTid(s.Proc), x.Tid)
		assert.Equal(t, s.Cat, x.Cat)
		assert.True(t, strings.HasPrefix(x.Name, s.Name))
	}
	// The violation is an instant on the violating thread.
	at, ok := tr.ViolationTime()
	require.True(t, ok)
	assert.Equal(t, res.Violations[0].At, at)
	var viol []reports.ChromeEvent
	for _, e := range tr.Instants() {
		if e.Cat == "violation" {
			viol = append(viol, e)
		}
	}
	require.Len(t, viol, 1)
	assert.Equal(t, "violation: use-after-unmap", viol[0].Name)
	assert.Equal(t, reports.ChromeTid(int32(res.Violations[0].PID)), viol[0].Tid)
	assert.Equal(t, "t", viol[0].S)

	// Other events are thread instants; NoInstants leaves them out.
	assert.Greater(t, len(tr.Instants()), 10)
	small, err := reports.ReadChromeTrace(bytes.NewReader(chromeBytes(t, r, reports.ChromeOptions{NoInstants: true})))
	require.NoError(t, err)
	assert.Len(t, small.Instants(), 1)

	// Re-encoding what was read gives the same bytes.
	var again bytes.Buffer
	require.NoError(t, tr.Encode(&again))
	assert.Equal(t, string(data), again.String())
}

func TestChromeTraceDeterministic(t *testing.T) {
	r1, _ := fixtureRun()
	r2, _ := fixtureRun()
	assert.Equal(t, chromeBytes(t, r1, reports.ChromeOptions{}), chromeBytes(t, r2, reports.ChromeOptions{}))
}

func TestChromeTraceGolden(t *testing.T) {
	r, _ := fixtureRun()
	golden(t, "fixture.trace.json", chromeBytes(t, r, reports.ChromeOptions{}))
}

func TestChromeTraceMetadataFirst(t *testing.T) {
	r, _ := fixtureRun()
	tr := reports.BuildChromeTrace(r, reports.ChromeOptions{})
	assert.Equal(t, "process_name", tr.TraceEvents[0].Name)
	seenBody := false
	var last reports.Micros
	for _, e := range tr.TraceEvents {
		if e.Ph == "M" {
			require.False(t, seenBody, "metadata after body events")
			continue
		}
		seenBody = true
		require.GreaterOrEqual(t, e.Ts, last, "events out of time order")
		last = e.Ts
	}
}

func TestReadChromeTraceArrayForm(t *testing.T) {
	tr, err := reports.ReadChromeTrace(strings.NewReader(`[{"name":"a","ph":"X","ts":1.5,"dur":2,"pid":1,"tid":2},
		{"name":"b","ph":"i","ts":0.0015,"pid":1,"tid":2,"s":"t"},{"name":"c","ph":"B","ts":1e3,"pid":1,"tid":2}]`))
	require.NoError(t, err)
	require.Len(t, tr.TraceEvents, 3)
	assert.Equal(t, reports.Micros(1500), tr.TraceEvents[0].Ts)
	assert.Equal(t, reports.Micros(2000), *tr.TraceEvents[0].Dur)
	assert.Equal(t, reports.Micros(2), tr.TraceEvents[1].Ts) // 1.5 ns rounds to 2
	assert.Equal(t, reports.Micros(1000000), tr.TraceEvents[2].Ts)
}

func TestMicrosExact(t *testing.T) {
	for _, ns := range []int64{0, 1, 999, 1000, 1001, 123456789012345, -42} {
		b, err := json.Marshal(reports.Micros(ns))
		require.NoError(t, err)
		var back reports.Micros
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, reports.Micros(ns), back, string(b))
	}
	b, _ := json.Marshal(reports.Micros(1500))
	assert.Equal(t, "1.500", string(b))
}

func TestReadChromeTraceErrors(t *testing.T) {
	for in, want := range map[string]string{
		``:                               "EOF",
		`{`:                              "unexpected EOF",
		`{}`:                             `no "traceEvents"`,
		`{"traceEvents":[{"name":"a"}]}`: `traceEvents[0] has no "ph"`,
		`{"traceEvents":[{"ph":"X","name":"a","ts":1}]}`:          "complete event without a duration",
		`{"traceEvents":[{"ph":"X","name":"a","ts":1,"dur":-1}]}`: "complete event without a duration",
		`{"traceEvents":[{"ph":"i","ts":"x"}]}`:                   "is not a number",
		`{"traceEvents":[{"ph":"i","ts":1e400}]}`:                 "not a number of µs in range",
		`{"traceEvents":[{"ph":"i","ts":1,"pid":1.5}]}`:           "cannot unmarshal",
		"{\"traceEvents\":[]}\n{\"x\":1}":                         "trailing data",
		"{\"traceEvents\":[{\"ph\":\"i\",\n\"ts\":\n}]}":          "invalid character",
	} {
		_, err := reports.ReadChromeTrace(strings.NewReader(in))
		require.Error(t, err, in)
		assert.ErrorIs(t, err, reports.ErrBadTrace)
		assert.Contains(t, err.Error(), want, in)
		assert.NotContains(t, err.Error(), "\n", in)
	}
}

// FuzzChromeTrace: whatever reads must re-encode to bytes that read back to the same trace
// and re-encode identically; errors are one line.
func FuzzChromeTrace(f *testing.F) {
	small := reports.Run{Title: "t", Events: []des.Event{
		ev(0, 1, 0, "spawn", "app", 0), ev(1, 2, 0, "ioctl:begin", "CS", 0), ev(2, 3, 0, "mmio-read", "bar0", 16),
		ev(3, 4, 0, "ioctl:end", "CS", 0), ev(4, 5, 0, "violation", "use-after-unmap", 0)},
		Violations: []des.Violation{{Kind: "use-after-unmap", At: 4, Proc: "app", PID: 0, Msg: "m"}}}
	var b bytes.Buffer
	if err := reports.WriteChromeTrace(&b, small, reports.ChromeOptions{}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`[{"name":"a","ph":"X","ts":1.5,"dur":2,"pid":1,"tid":2,"args":{"x":[1,{"y":null}]}}]`))
	f.Add([]byte(`{"traceEvents":[{"ph":"i","ts":-0.001,"s":"g","name":"v"}],"otherData":{"a":"b"}}`))
	f.Add([]byte(`{"traceEvents":[{"ph":"X","ts":1}]}`))
	f.Add([]byte(`{"traceEvents":[{"ph":"M","name":"thread_name","args":{"name":7}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := reports.ReadChromeTrace(bytes.NewReader(data))
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		_ = tr.Threads()
		var b1, b2 bytes.Buffer
		require.NoError(t, tr.Encode(&b1))
		back, err := reports.ReadChromeTrace(bytes.NewReader(b1.Bytes()))
		require.NoError(t, err, b1.String())
		require.NoError(t, back.Encode(&b2))
		require.Equal(t, b1.String(), b2.String())
		require.Len(t, back.TraceEvents, len(tr.TraceEvents))
	})
}

// Processes are grouped by device or subsystem, instants carry named arguments, and the
// remover's iounmap is joined to the use-after-unmap by a flow arrow.
func TestChromeTraceGroupsArgsAndFlows(t *testing.T) {
	r, res := fixtureRun()
	tr, err := reports.ReadChromeTrace(bytes.NewReader(chromeBytes(t, r, reports.ChromeOptions{})))
	require.NoError(t, err)
	procs := map[int64]string{}
	pidOfTid := map[int64]int64{}
	for _, e := range tr.TraceEvents {
		if e.Ph == "M" && e.Name == "process_name" {
			procs[e.Pid] = e.Args["name"].(string)
		}
		if e.Ph == "M" && e.Name == "thread_name" {
			pidOfTid[e.Tid] = e.Pid
		}
	}
	assert.Equal(t, map[int64]string{1: "app", 2: "irq", 3: "kworker", 4: "remove"}, procs)
	assert.Equal(t, pidOfTid[reports.ChromeTid(0)], pidOfTid[reports.ChromeTid(1)], "app0 and app1 share a process")
	for _, e := range tr.TraceEvents {
		if e.Ph != "M" {
			assert.Equal(t, pidOfTid[e.Tid], e.Pid, "event %s on a thread of another process", e.Name)
		}
	}
	var sawRead bool
	for _, e := range tr.Instants() {
		if e.Name == "mmio-read" {
			sawRead = true
			assert.Equal(t, "0x10", e.Args["off"])
			assert.NotContains(t, e.Args, "a")
		}
	}
	assert.True(t, sawRead)

	var start, end *reports.ChromeEvent
	for i, e := range tr.TraceEvents {
		switch e.Ph {
		case "s":
			start = &tr.TraceEvents[i]
		case "f":
			end = &tr.TraceEvents[i]
		}
	}
	require.NotNil(t, start)
	require.NotNil(t, end)
	assert.Equal(t, start.ID, end.ID)
	assert.Equal(t, "e", end.BP)
	assert.Equal(t, "iounmap gpu0.bar0 -> use-after-unmap", start.Name)
	assert.Equal(t, procs[start.Pid], "remove")
	assert.Equal(t, reports.ChromeTid(int32(res.Violations[0].PID)), end.Tid)
	assert.Equal(t, reports.Micros(res.Violations[0].At), end.Ts)
}

func TestChromeGroup(t *testing.T) {
	for name, want := range map[string]string{
		"gpu1.gfx": "gpu1", "render0.1": "render", "compute1.0": "compute", "unplug0": "unplug",
		"irq/amdgpu:0000:04:00.0": "irq", "kworker/events:0": "kworker", "boot": "boot", "irq:gpu0": "irq",
		"dma-buf-share2.0": "dma-buf-share", "des": "des", "remove": "remove",
	} {
		assert.Equal(t, want, reports.ChromeGroup(name), name)
	}
}
