package reports_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/reports"
)

func ev(at des.Time, seq uint64, proc int32, kind, obj string, a int64) des.Event {
	return des.Event{At: at, Seq: seq, Proc: proc, Kind: des.L(kind), Obj: des.L(obj), A: a}
}

func TestSpansConventions(t *testing.T) {
	events := []des.Event{
		ev(0, 1, 0, "spawn", "app", 0),
		ev(10, 2, 0, "ioctl:begin", "CS", 0),
		ev(12, 3, 0, "fault:begin", "bo", 0),
		ev(13, 4, 0, "block", "resv", 0),
		ev(20, 5, 1, "ioctl:end", "CS", 0), // another process's end closes nothing
		ev(25, 6, 0, "wake", "resv", 0),
		ev(30, 7, 0, "fault:end", "bo", 0),
		ev(40, 8, 0, "ioctl:end", "CS", 0),
		ev(41, 9, 0, "ioctl:end", "CS", 0), // unmatched: ignored
		ev(50, 10, 0, "sleep", "des", 5),
		ev(55, 11, 1, "block", "q", 0),
		ev(60, 12, 1, "timeout", "q", 0),
		ev(61, 13, 1, "preempt", "des", 4),
		ev(62, 14, 1, "busy", "des", 1000), // cut by the end of the run
		ev(70, 15, 1, "reset:begin", "gpu", 0),
		ev(80, 16, 0, "block", "never", 0),
		ev(90, 17, 0, ":begin", "x", 0), // no name: not a span
	}
	got := reports.Spans(events)
	want := []reports.Span{
		{Proc: 0, Name: "ioctl", Obj: "CS", Cat: reports.CatModel, Start: 10, End: 40, StartSeq: 2},
		{Proc: 0, Name: "fault", Obj: "bo", Cat: reports.CatModel, Start: 12, End: 30, StartSeq: 3},
		{Proc: 0, Name: "wait", Obj: "resv", Cat: reports.CatWait, Start: 13, End: 25, StartSeq: 4},
		{Proc: 0, Name: "sleep", Obj: "des", Cat: reports.CatSleep, Start: 50, End: 55, StartSeq: 10},
		{Proc: 1, Name: "wait", Obj: "q", Cat: reports.CatWait, Start: 55, End: 60, StartSeq: 11, TimedOut: true},
		{Proc: 1, Name: "preempt", Obj: "des", Cat: reports.CatPreempt, Start: 61, End: 65, StartSeq: 13},
		{Proc: 1, Name: "busy", Obj: "des", Cat: reports.CatBusy, Start: 62, End: 90, StartSeq: 14, Open: true},
		{Proc: 1, Name: "reset", Obj: "gpu", Cat: reports.CatModel, Start: 70, End: 90, StartSeq: 15, Open: true},
		{Proc: 0, Name: "wait", Obj: "never", Cat: reports.CatWait, Start: 80, End: 90, StartSeq: 16, Open: true},
	}
	assert.Equal(t, want, got)
	assert.Equal(t, des.Duration(30), got[0].Duration())
}

func TestSpansOfFixture(t *testing.T) {
	r, res := fixtureRun()
	require.Len(t, res.Violations, 1)
	spans := reports.Spans(r.Events)
	count := map[string]int{}
	for _, s := range spans {
		count[s.Name]++
		require.LessOrEqual(t, s.Start, s.End)
	}
	assert.Equal(t, 4, count["ioctl"]) // three complete, one cut by the violation
	assert.Equal(t, 3, count["fault"])
	assert.Equal(t, 1, count["remove"])
	assert.Positive(t, count["wait"])
	assert.Positive(t, count["sleep"])
	assert.Positive(t, count["busy"])
}

func TestNames(t *testing.T) {
	r, _ := fixtureRun()
	fromEvents := reports.NamesFromEvents(r.Events)
	assert.Equal(t, r.Names, fromEvents)
	assert.Equal(t, "app0", r.Names.Name(0))
	assert.Equal(t, "des", r.Names.Name(-1))
	assert.Equal(t, "proc99", r.Names.Name(99))
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[des.Duration]string{
		0: "0ns", 999: "999ns", 1000: "1µs", 1500: "1.5µs", 12345: "12.345µs", 2 * des.Millisecond: "2ms",
		3 * des.Second: "3s", -1500: "-1.5µs",
	} {
		assert.Equal(t, want, reports.FormatDuration(d))
	}
}

// The extremes of a Duration format without recursing or wrapping (-MinInt64 == MinInt64).
func TestFormatDurationExtremes(t *testing.T) {
	assert.Equal(t, "-9223372036.855s", reports.FormatDuration(des.Duration(math.MinInt64)))
	assert.Equal(t, "9223372036.855s", reports.FormatDuration(des.Duration(math.MaxInt64)))
	assert.Equal(t, "-9223372036.855s", reports.FormatDuration(-des.Duration(math.MaxInt64)))
}
