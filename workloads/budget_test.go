package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

func TestRunBudgetsDerivedFromTheSpec(t *testing.T) {
	spec := workloads.Spec{
		Apps: []workloads.App{
			{Kind: workloads.AppRender, Count: 2, Ops: 10, IntervalNs: 1000},
			{Kind: workloads.AppIdle, Count: 1, Ops: 0},
		},
		Events: []workloads.Event{{Kind: workloads.EvUnplug, AtNs: 5000}, {Kind: workloads.EvReplug, AtNs: 7000}},
	}
	assert.Equal(t, int64(7000+10*1000), spec.SpanNs())
	assert.Equal(t, int64(2*11+1*1+2), spec.Work())
	b := spec.RunBudgets()
	assert.Equal(t, int64(120*des.Second)+workloads.DefaultSpanFactor*spec.SpanNs(), b.MaxTimeNs,
		"a wait that outlives the hang bound is still a hang, not a budget end")
	assert.Equal(t, workloads.DefaultMinSteps, b.MaxEvents, "the floor")

	big := spec.Clone()
	big.Apps[0].Count, big.Apps[0].Ops = 64, 1000
	assert.Greater(t, big.RunBudgets().MaxEvents, workloads.DefaultMinSteps, "the step bound grows with the work")

	set := spec.Clone()
	set.Budgets = workloads.Budgets{MaxEvents: 7, MaxTimeNs: 9, HangTimeoutNs: int64(des.Second)}
	assert.Equal(t, set.Budgets, set.RunBudgets(), "a Spec's own bounds win")
	set.Budgets.MaxTimeNs = 0
	assert.Equal(t, int64(des.Second)+workloads.DefaultSpanFactor*spec.SpanNs(), set.RunBudgets().MaxTimeNs,
		"the time bound follows the Spec's hang bound")
}

// livelockScenario spawns one process that never ends: it spins in zero virtual time (zeroTime)
// or sleeps a microsecond at a time.
func livelockScenario(zeroTime bool) *workloads.Scenario {
	return &workloads.Scenario{
		Name: "test-livelock",
		Doc:  "a model that never quiesces",
		Spec: workloads.Spec{
			Topology: workloads.Topology{Devices: []workloads.Device{{Name: "d0", Driver: "log"}}},
			Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "d0", Count: 1, Ops: 2}},
		},
		Policies:      []workloads.Policy{{Name: "only", Doc: "the one policy"}},
		DefaultPolicy: "only",
		Strategy:      "fifo",
		AppKinds:      []workloads.AppKind{workloads.AppRender},
		Build: func(sim *des.Sim, _ workloads.Spec, _ string) error {
			sim.Spawn("spin", des.Task, func(p *des.Proc) {
				for {
					if zeroTime {
						p.Yield()
					} else {
						p.Sleep(des.Microsecond)
					}
				}
			})
			return nil
		},
	}
}

// A model that livelocks ends at the default budget, reported like any budget-ended run.
func TestDefaultBudgetEndsALivelock(t *testing.T) {
	for _, c := range []struct {
		zeroTime bool
		budget   string
	}{{true, "events"}, {false, "events"}} {
		sc := livelockScenario(c.zeroTime)
		out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: 1, NoTape: true})
		require.NoError(t, err)
		assert.Equal(t, c.budget, out.Budget, "zero time %v", c.zeroTime)
		assert.Nil(t, out.Violation)
		assert.Equal(t, sc.Spec.RunBudgets().MaxEvents, out.Steps)
	}
	sc := livelockScenario(false)
	spec := sc.Spec.Clone()
	spec.Budgets.MaxEvents = 1 << 40 // only the time bound is left
	spec.Budgets.HangTimeoutNs = int64(des.Millisecond)
	out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: 1, NoTape: true})
	require.NoError(t, err)
	assert.Equal(t, "time", out.Budget)
	assert.Equal(t, spec.RunBudgets().MaxTimeNs, out.VirtualNs)
}

// No registered scenario's default or sparse Spec comes near its default budget (the sweeps
// over seeds 1:2000 of every policy report no budget-ended run either).
func TestDefaultBudgetsNeverHit(t *testing.T) {
	pool := des.NewPool(0)
	defer pool.Close()
	for _, sc := range workloads.All() {
		specs := []workloads.Spec{sc.Spec}
		if sc.SparseSpec != nil {
			specs = append(specs, *sc.SparseSpec)
		}
		for i, spec := range specs {
			b := spec.RunBudgets()
			for _, pol := range sc.Policies {
				for seed := uint64(1); seed <= 20; seed++ {
					out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Spec: &spec,
						Seed: seed, NoTape: true, TraceRing: -1, Pool: pool})
					require.NoError(t, err)
					require.Empty(t, out.Budget, "%s/%s spec %d seed %d", sc.Name, pol.Name, i, seed)
					if spec.Budgets.MaxEvents == 0 { // a default: a tenfold margin
						assert.Less(t, out.Steps*10, b.MaxEvents, "%s/%s spec %d seed %d", sc.Name, pol.Name, i, seed)
					}
					if spec.Budgets.MaxTimeNs == 0 {
						assert.Less(t, out.VirtualNs*10, b.MaxTimeNs, "%s/%s spec %d seed %d", sc.Name, pol.Name, i, seed)
					}
				}
			}
		}
	}
}
