// Package scenariotest holds the checks that the scenario packages' tests (workloads/...)
// make on a registered scenario: that it turns model/fence's leak check on, that its runs
// replay from their tapes, that it rejects a Spec it cannot run, and that the Specs
// workloads.GenSpec generates for it run clean.
package scenariotest

import (
	"github.com/leanovate/gopter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
	"hotplugsim/workloads"
)

// T is what the checks need of a *testing.T.
type T interface {
	require.TestingT
	Helper()
}

// Lookup returns the scenario registered as name.
func Lookup(t T, name string) *workloads.Scenario {
	t.Helper()
	sc, err := workloads.Lookup(name)
	require.NoError(t, err)
	return sc
}

// FenceLeakCheckIsOn asserts sc, built under pol, turns model/fence's leak check on: a fence
// whose timeline was retired and which is kept referenced to the end is reported as the one
// violation, and nothing of pol's own.
func FenceLeakCheckIsOn(t T, sc *workloads.Scenario, pol string) {
	t.Helper()
	assert.Contains(t, sc.Oracles, oracle.FenceLeak)
	sim := des.MustNew(des.Config{Seed: 1})
	require.NoError(t, sc.Build(sim, sc.Spec, pol))
	gone := fence.NewContext(sim, "gone.ring")
	sim.Spawn("holder", des.Task, func(p *des.Proc) {
		_ = gone.NewFence(p).Signal(p) // its reference kept
		gone.Retire()
	})
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, oracle.FenceLeak, v.Kind, v.String())
	assert.Contains(t, v.Msg, "kmemleak: 1 new suspected memory leaks")
	assert.Contains(t, v.Msg, "fence:gone.ring#1")
}

// RunsReplay asserts that a run of sc's default Spec under each of pols (seed 3), replayed
// from its tape, has the same fingerprint.
func RunsReplay(t T, sc *workloads.Scenario, pols []string) {
	t.Helper()
	for _, pol := range pols {
		a := run(t, sc, pol, 3)
		replay(t, sc, pol, a)
	}
}

// RunsRepeatAndReplay asserts that a run of sc's default Spec under each of pols at seed has
// the same fingerprint when run again at seed and when replayed from its tape, and that the
// tape fits its replay (no draw past its end, no value that did not fit its draw).
func RunsRepeatAndReplay(t T, sc *workloads.Scenario, pols []string, seed uint64) {
	t.Helper()
	for _, pol := range pols {
		a := run(t, sc, pol, seed)
		b := run(t, sc, pol, seed)
		assert.Equal(t, a.Fingerprint, b.Fingerprint, pol)
		c := replay(t, sc, pol, a)
		assert.Zero(t, c.Result.TapeShort+c.Result.TapeMisfit, pol)
	}
}

// run is a run of sc's default Spec under pol at seed, with its tape.
func run(t T, sc *workloads.Scenario, pol string, seed uint64) *workloads.Outcome {
	t.Helper()
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: seed})
	require.NoError(t, err)
	return o
}

// replay asserts a, a run under pol, replayed from its tape, has the same fingerprint; it
// returns the replay.
func replay(t T, sc *workloads.Scenario, pol string, a *workloads.Outcome) *workloads.Outcome {
	t.Helper()
	c, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Tape: a.Tape()})
	require.NoError(t, err)
	assert.Equal(t, a.Fingerprint, c.Fingerprint, pol)
	return c
}

// RejectsBadSpecs asserts sc refuses its default Spec with the first event's kind made
// EvRescan (which it does not support) and with the first device's policy unknown.
func RejectsBadSpecs(t T, sc *workloads.Scenario) {
	t.Helper()
	RejectsBadSpecsOfKind(t, sc, workloads.EvRescan)
}

// RejectsBadSpecsOfKind asserts sc refuses its default Spec with the first event's kind made
// unsupported (a kind it does not support) and with the first device's policy unknown.
func RejectsBadSpecsOfKind(t T, sc *workloads.Scenario, unsupported workloads.EventKind) {
	t.Helper()
	spec := sc.Spec.Clone()
	spec.Events[0].Kind = unsupported
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, "supports event kinds")

	spec = sc.Spec.Clone()
	spec.Topology.Devices[0].Policy = "no-such"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `no policy "no-such"`)
}

// GeneratedSpecsRunClean asserts the first n Specs workloads.GenSpec generates for sc (gopter
// seeds 0 to n-1, run at seeds 1 to n) run without a violation.
func GeneratedSpecsRunClean(t T, sc *workloads.Scenario, n int) {
	t.Helper()
	gen := workloads.GenSpec(sc)
	for i := 0; i < n; i++ {
		spec := gen(gopter.DefaultGenParameters().CloneWithSeed(int64(i))).Result.(workloads.Spec)
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: uint64(i + 1), NoTape: true})
		require.NoError(t, err)
		require.True(t, o.Result.OK(), "spec %s: %v", spec.JSON(), o.Result.Violations)
	}
}
