package reports_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/reports"
)

func TestCausalSliceOfFixture(t *testing.T) {
	r, res := fixtureRun()
	v := res.Violations[0]
	slice := reports.CausalSlice(r.Events, v, reports.SliceOptions{})
	require.NotEmpty(t, slice)

	var sawUnmap, sawViolation bool
	for i, e := range slice {
		if i > 0 {
			require.Less(t, slice[i-1].Seq, e.Seq, "slice out of order")
		}
		name := r.Names.Name(e.Proc)
		switch e.Kind.String() {
		case "spawn":
			continue
		case "iounmap":
			sawUnmap = true
			assert.Equal(t, "remove", name)
		case "violation":
			sawViolation = true
		}
		// app1 only touches its own BO and the irq only gpu0/the work queue: neither is in.
		assert.NotEqual(t, "app1", name, e)
		assert.NotEqual(t, "irq:gpu0", name, e)
		assert.LessOrEqual(t, e.At, v.At)
	}
	assert.True(t, sawUnmap, "the remove path's iounmap of the BAR must be in the slice")
	assert.True(t, sawViolation)
	assert.Less(t, len(slice), len(r.Events))
	golden(t, "fixture.slice.txt", timelineText(t, slice, r))
}

func TestCausalSliceBounded(t *testing.T) {
	r, res := fixtureRun()
	slice := reports.CausalSlice(r.Events, res.Violations[0], reports.SliceOptions{MaxEvents: 5})
	nonSpawn := 0
	for _, e := range slice {
		if e.Kind.String() != "spawn" {
			nonSpawn++
		}
	}
	assert.LessOrEqual(t, nonSpawn, 5)
	assert.Equal(t, "violation", slice[len(slice)-1].Kind.String())

	// Following one object only: the last one app0 touched (gpu0.bar0).
	one := reports.CausalSlice(r.Events, des.Violation{Kind: "use-after-unmap", At: res.Violations[0].At,
		PID: res.Violations[0].PID}, reports.SliceOptions{Objects: 1})
	objs := map[string]bool{}
	for _, e := range one {
		if e.Proc != int32(res.Violations[0].PID) && e.Kind.String() != "spawn" {
			objs[e.Obj.String()] = true
		}
	}
	assert.Equal(t, map[string]bool{"gpu0.bar0": true}, objs)
}

func TestCausalSliceWithoutViolationEvent(t *testing.T) {
	// A ring that lost the violation event, or a hand-made stream: cut at the violation's time.
	events := []des.Event{
		ev(0, 1, 0, "lock", "m", 0), ev(5, 2, 1, "lock", "m", 0), ev(6, 3, 2, "lock", "other", 0),
		ev(10, 4, 0, "lock", "m", 0), ev(20, 5, 1, "unlock", "m", 0),
	}
	got := reports.CausalSlice(events, des.Violation{Kind: "deadlock", At: 10, PID: 0}, reports.SliceOptions{})
	assert.Equal(t, []des.Event{events[0], events[1], events[3]}, got)
	assert.Empty(t, reports.CausalSlice(nil, des.Violation{}, reports.SliceOptions{}))
}

func timelineText(t *testing.T, events []des.Event, r reports.Run) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, reports.WriteTimeline(&b, events, r.Names, r.Violations))
	return b.Bytes()
}
