package pcibarmove_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/pcibars"
	"hotplugsim/reports"
	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/pcibarmove"
)

// latencies are one metric's samples, split by whether the operation overlapped a BAR move.
type latencies struct{ during, outside []des.Duration }

// stat is p50 and max of samples (zeros if there are none).
func stat(samples []des.Duration) (p50, max des.Duration) {
	if len(samples) == 0 {
		return 0, 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[(len(s)-1)/2], s[len(s)-1]
}

// measure runs the default Spec under policy for seeds 1..seeds (collecting all violations,
// so a per-device-lock run goes on after lockdep's report) and returns the ioctl and fault
// latencies from the trace's spans. An operation is "during a move" if its span overlaps
// any device's barmove span; a span that never ended (a deadlocked run) is left out, a
// barmove that never ended lasts to the end of the run.
func measure(t *testing.T, policy string, seeds int) (ioctl, fault latencies, deadlocks int) {
	t.Helper()
	sc := scenariotest.Lookup(t, pcibarmove.Name)
	for seed := 1; seed <= seeds; seed++ {
		var events []des.Event
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Seed: uint64(seed), NoTape: true,
			TraceRing: -1, CollectAll: true, Sink: func(e des.Event) { events = append(events, e) }})
		require.NoError(t, err)
		for _, v := range o.Result.Violations {
			if v.Kind == "deadlock" {
				deadlocks++
			}
		}
		all := modelSpans(events)
		moves := spansOf(all, "barmove")
		for i := range moves {
			if moves[i].Open {
				moves[i].End = o.Result.End
			}
		}
		for _, s := range all {
			var l *latencies
			switch {
			case s.Open:
				continue
			case s.Name == "ioctl":
				l = &ioctl
			case s.Name == "fault":
				l = &fault
			default:
				continue
			}
			d := s.Duration()
			if slices.ContainsFunc(moves, func(m reports.Span) bool { return s.Start < m.End && s.End > m.Start }) {
				l.during = append(l.during, d)
			} else {
				l.outside = append(l.outside, d)
			}
		}
	}
	return ioctl, fault, deadlocks
}

// Ioctl and fault latency during BAR moves vs outside them, global-rwsem vs per-device-lock,
// from the trace spans the reports compute their metrics from. Only sanity is asserted.
func TestLatencyDuringMoves(t *testing.T) {
	const seeds = 8
	for _, pol := range []string{pcibars.GlobalRWSem, pcibars.PerDeviceLock} {
		ioctl, fault, deadlocks := measure(t, pol, seeds)
		for _, m := range []struct {
			name string
			l    latencies
		}{{"ioctl", ioctl}, {"fault", fault}} {
			dp50, dmax := stat(m.l.during)
			op50, omax := stat(m.l.outside)
			t.Logf("%-15s %-5s during moves: n=%3d p50=%-7v max=%-7v | outside: n=%3d p50=%-7v max=%v",
				pol, m.name, len(m.l.during), dp50, dmax, len(m.l.outside), op50, omax)
			require.NotEmpty(t, m.l.during, "%s %s: no operation overlapped a move", pol, m.name)
			require.NotEmpty(t, m.l.outside, "%s %s: every operation overlapped a move", pol, m.name)
			assert.GreaterOrEqual(t, dmax, omax, "%s %s: max during a move", pol, m.name)
			assert.GreaterOrEqual(t, dp50, op50, "%s %s: p50 during a move", pol, m.name)
		}
		t.Logf("%-15s runs that deadlocked: %d of %d", pol, deadlocks, seeds)
	}
}
