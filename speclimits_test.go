package hotplugsim_test

import (
	"fmt"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
	_ "hotplugsim/workloads/all"
)

// TestSpecMaxima lives here, outside the deterministic packages, because it measures memory.

// Budgets of one run at a Spec maximum. Work is counted in engine steps, not wall time, so the
// check does not depend on the machine's load (speed is make bench's business); the largest
// run today (amdgpu-unplug, 64 instances of 312 ops) takes about a third of maximaSteps. Memory
// is the live heap after a collection, so it does not depend on when the collector ran.
const (
	maximaSteps = 4_000_000
	maximaHeap  = 512 << 20
)

// maxima are Specs of sc, each at one limit of a valid Spec (and at the others where they
// combine), with a name saying which. A Spec a scenario refuses (CheckSpec, or Build with an
// error) is fine: it is refused at input, with one line.
func maxima(sc *workloads.Scenario) map[string]workloads.Spec {
	base := sc.Spec.Clone()
	if len(base.Apps) == 0 {
		base.Apps = []workloads.App{{Kind: sc.AppKinds[0], Device: base.Topology.Devices[0].Name, Count: 1, Ops: 1}}
	}
	out := map[string]workloads.Spec{}
	// Every app group alone with all the instances, or with the most ops, interval 0 (back to
	// back: the most work per virtual ns), and with late events dropped (the most work).
	for i, a := range base.Apps {
		for _, shape := range []struct {
			name       string
			count, ops int
		}{
			{"instances", workloads.MaxInstances, workloads.MaxTotalOps / workloads.MaxInstances},
			{"ops", workloads.MaxTotalOps / workloads.MaxOps, workloads.MaxOps},
		} {
			for _, events := range []bool{true, false} {
				s := base.Clone()
				app := a
				app.Count, app.Ops, app.IntervalNs = shape.count, shape.ops, 0
				s.Apps = []workloads.App{app}
				s.Events = nil
				if events {
					for _, e := range base.Events {
						if e.After == nil {
							s.Events = append(s.Events, e)
						}
					}
				}
				out[fmt.Sprintf("apps[%d] %s=%d ops=%d events=%v", i, shape.name, shape.count, shape.ops, events)] = s
			}
		}
	}
	// The longest think times and the latest events.
	s := base.Clone()
	for i := range s.Apps {
		s.Apps[i].IntervalNs = workloads.MaxIntervalNs
	}
	for i := range s.Events {
		s.Events[i].AtNs = workloads.MaxAtNs
	}
	s.Budgets = workloads.Budgets{HangTimeoutNs: workloads.MaxBudgetNs}
	out["interval and at_ns"] = s
	// The most app groups (one instance each), BOs at their largest.
	s = base.Clone()
	s.Apps = nil
	for i := 0; i < workloads.MaxApps; i++ {
		a := base.Apps[i%len(base.Apps)]
		a.Count = 1
		a.Ops = min(a.Ops, workloads.MaxTotalOps/workloads.MaxApps)
		a.BOs = nil
		for j := 0; j < workloads.MaxBOs; j++ {
			place := []string{workloads.PlaceVRAM, workloads.PlaceGTT, workloads.PlaceSystem}[j%3]
			a.BOs = append(a.BOs, workloads.BO{SizeBytes: workloads.MaxBOBytes, Placement: place})
		}
		s.Apps = append(s.Apps, a)
	}
	for i := range s.Events {
		if s.Events[i].After != nil {
			s.Events[i].After.App = 0
			s.Events[i].After.Op = 0
		}
	}
	out["apps and bos"] = s
	// The most events: the Spec's own, repeated.
	if len(base.Events) > 0 {
		s = base.Clone()
		s.Events = nil
		for i := 0; i < workloads.MaxEvents; i++ {
			e := base.Events[i%len(base.Events)]
			if e.After != nil {
				after := *e.After
				e.After = &after
			}
			e.AtNs += int64(i) * 1000
			s.Events = append(s.Events, e)
		}
		out["events"] = s
	}
	// The most devices.
	if s, err := base.WithDevices(workloads.MaxDevices); err == nil {
		out["devices"] = s
	}
	return out
}

// heapPeak samples the live heap (as the last collection measured it: what runs retain, not
// the garbage a loaded machine's late collection leaves) while run runs.
func heapPeak(run func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	go func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	run()
	close(done)
	return peak.Load()
}

// Every scenario runs at every maximum of a valid Spec, under every policy, within a time and
// memory budget, and without a model bound tripping (a "panic" violation: more entities than
// a scheduler takes, more unsignalled jobs than a fence context takes): the limits are what
// the models can run, checked where input enters rather than deep in a model.
//
// The app shapes with the platform events run under the default policy only (the events cut
// most runs short); everything else under every policy. Scenarios run in parallel, so the heap
// figure is of the whole test process, an upper bound.
func TestSpecMaxima(t *testing.T) {
	for _, sc := range workloads.All() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			checkMaxima(t, sc)
		})
	}
}

func checkMaxima(t *testing.T, sc *workloads.Scenario) {
	for name, spec := range maxima(sc) {
		if sc.CheckSpec(spec) != nil {
			continue
		}
		for _, pol := range sc.Policies {
			if strings.HasSuffix(name, "events=true") && pol.Name != sc.DefaultPolicy {
				continue
			}
			{
				var o *workloads.Outcome
				var err error
				peak := heapPeak(func() {
					o, err = workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Spec: &spec, Seed: 1,
						NoTape: true, TraceRing: -1})
				})
				what := fmt.Sprintf("%s/%s at %s", sc.Name, pol.Name, name)
				if err != nil {
					continue // refused by the scenario's Build, with an error
				}
				assert.Less(t, o.Steps, uint64(maximaSteps), what)
				assert.Less(t, peak, uint64(maximaHeap), what)
				assert.NotEqual(t, "panic", o.Kind(), "%s: %v", what, o.Violation)
				assert.GreaterOrEqual(t, o.VirtualNs, int64(0), what)
				if testing.Verbose() {
					t.Logf("%-60s %9d steps %4d MB %s %s", what, o.Steps, peak>>20, o.Verdict, o.Kind())
				}
			}
		}
	}
}

// Just over each limit, a Spec is refused with one line naming the field.
func TestSpecLimitsRefused(t *testing.T) {
	sc, err := workloads.Lookup("amdgpu-unplug")
	require.NoError(t, err)
	for _, tc := range []struct {
		edit func(s *workloads.Spec)
		want string
	}{
		{func(s *workloads.Spec) { s.Apps[0].Count = workloads.MaxInstances + 1 }, "apps[0].count"},
		{func(s *workloads.Spec) { s.Apps[0].Count = 256 }, "apps[0].count"}, // panicked v6's scheduler
		{func(s *workloads.Spec) { s.Apps[0].Count, s.Apps[0].Ops, s.Apps[0].IntervalNs = 250, 100000, 0 }, "apps[0].count"},
		{func(s *workloads.Spec) { s.Apps[0].Ops = workloads.MaxOps + 1 }, "apps[0].ops"},
		{func(s *workloads.Spec) { s.Apps[0].Count, s.Apps[0].Ops = 60, workloads.MaxOps }, "at most 20000 operations"},
		{func(s *workloads.Spec) { s.Apps[0].IntervalNs = 4e18 }, "apps[0].interval_ns"},
		{func(s *workloads.Spec) { s.Events[0].AtNs = workloads.MaxAtNs + 1 }, "events[0].at_ns"},
		{func(s *workloads.Spec) { s.Budgets.HangTimeoutNs = workloads.MaxBudgetNs + 1 }, "budgets.hang_timeout_ns"},
		{func(s *workloads.Spec) { s.Budgets.MaxTimeNs = workloads.MaxBudgetNs + 1 }, "budgets.max_time_ns"},
	} {
		s := sc.Spec.Clone()
		tc.edit(&s)
		err := sc.CheckSpec(s)
		require.Error(t, err, tc.want)
		assert.Contains(t, err.Error(), tc.want)
	}
}
