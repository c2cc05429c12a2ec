package scenariotest_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/oracle"
	"hotplugsim/workloads"
	"hotplugsim/workloads/hdapatchunbind"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/xeunplug"
)

// recorder is a scenariotest.T that records failures instead of failing the test.
type recorder struct {
	failed bool
	msgs   string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed = true
	r.msgs += fmt.Sprintf(format, args...)
}
func (r *recorder) FailNow() { r.failed = true; panic(r) }

// failures is what check reports on r: "" when it passes.
func failures(check func(t scenariotest.T)) (msgs string) {
	rec := &recorder{}
	defer func() {
		if p := recover(); p != nil && p != any(rec) {
			panic(fmt.Sprint(p))
		}
		msgs = rec.msgs
		if rec.failed && msgs == "" {
			msgs = "FailNow"
		}
	}()
	check(rec)
	return rec.msgs
}

func lookup(t *testing.T, name string) *workloads.Scenario {
	t.Helper()
	sc, err := workloads.Lookup(name)
	require.NoError(t, err)
	return sc
}

// The leak check passes on xe-unplug, which turns it on, and fails on hda-patch-unbind, which
// does not: whether or not the scenario lists the fence-leak kind among its oracles.
func TestFenceLeakCheckIsOn(t *testing.T) {
	xeSc, hdaSc := lookup(t, xeunplug.Name), lookup(t, hdapatchunbind.Name)
	assert.Empty(t, failures(func(t scenariotest.T) { scenariotest.FenceLeakCheckIsOn(t, xeSc, xe.DefaultPolicy) }))
	assert.Contains(t, failures(func(t scenariotest.T) { scenariotest.FenceLeakCheckIsOn(t, hdaSc, hda.WaitFWCb) }),
		`does not contain "fence-leak"`)
	listed := *hdaSc
	listed.Oracles = append(slices.Clone(hdaSc.Oracles), oracle.FenceLeak)
	assert.Contains(t, failures(func(t scenariotest.T) { scenariotest.FenceLeakCheckIsOn(t, &listed, hda.WaitFWCb) }),
		"should have 1 item(s), but has 0", "listed, but the check is off")
}

// withBuild is sc building with build in place of its own.
func withBuild(sc *workloads.Scenario, build func(sim *des.Sim, spec workloads.Spec, pol string) error) *workloads.Scenario {
	c := *sc
	c.Build = build
	return &c
}

// Runs replay on hda-patch-unbind; the check fails where a replay builds another policy.
func TestRunsReplay(t *testing.T) {
	sc := lookup(t, hdapatchunbind.Name)
	pols := []string{hda.NoFWWait, hda.WaitFWCb}
	assert.Empty(t, failures(func(t scenariotest.T) { scenariotest.RunsReplay(t, sc, pols) }))
	other := map[string]string{hda.NoFWWait: hda.WaitFWCb, hda.WaitFWCb: hda.NoFWWait}
	builds := 0
	flipping := withBuild(sc, func(sim *des.Sim, spec workloads.Spec, pol string) error {
		if builds++; builds%2 == 0 { // the replay
			pol = other[pol]
		}
		return sc.Build(sim, spec, pol)
	})
	msgs := failures(func(t scenariotest.T) { scenariotest.RunsReplay(t, flipping, pols) })
	assert.Equal(t, 2, strings.Count(msgs, "Not equal"), msgs)
}

// Runs repeat and replay on hda-patch-unbind; the check fails where the run again at the seed
// builds another policy, where the replay does, and where the replay draws past its tape.
func TestRunsRepeatAndReplay(t *testing.T) {
	sc := lookup(t, hdapatchunbind.Name)
	pols := []string{hda.NoFWWait, hda.WaitFWCb}
	assert.Empty(t, failures(func(t scenariotest.T) { scenariotest.RunsRepeatAndReplay(t, sc, pols, 7) }))
	other := map[string]string{hda.NoFWWait: hda.WaitFWCb, hda.WaitFWCb: hda.NoFWWait}
	for _, flip := range []int{2, 3} { // the run again, the replay
		builds := 0
		flipping := withBuild(sc, func(sim *des.Sim, spec workloads.Spec, pol string) error {
			if builds++; (builds-1)%3+1 == flip {
				pol = other[pol]
			}
			return sc.Build(sim, spec, pol)
		})
		msgs := failures(func(t scenariotest.T) { scenariotest.RunsRepeatAndReplay(t, flipping, pols, 7) })
		assert.Equal(t, 2, strings.Count(msgs, "Not equal"), "build %d of 3 flipped: %s", flip, msgs)
	}
	builds := 0
	drawing := withBuild(sc, func(sim *des.Sim, spec workloads.Spec, pol string) error {
		if builds++; builds%3 == 0 { // the replay: a draw its tape never recorded
			sim.Stream("unrecorded").Uint64()
		}
		return sc.Build(sim, spec, pol)
	})
	msgs := failures(func(t scenariotest.T) { scenariotest.RunsRepeatAndReplay(t, drawing, pols, 7) })
	assert.NotContains(t, msgs, "Not equal")
	assert.Equal(t, 2, strings.Count(msgs, "Should be zero"), msgs)
}

// hda-patch-unbind rejects both bad Specs; a scenario that supports rescan events and has a
// "no-such" policy rejects neither.
func TestRejectsBadSpecs(t *testing.T) {
	sc := lookup(t, hdapatchunbind.Name)
	assert.Empty(t, failures(func(t scenariotest.T) { scenariotest.RejectsBadSpecs(t, sc) }))
	loose := withBuild(sc, func(*des.Sim, workloads.Spec, string) error { return nil })
	loose.EventKinds = append(slices.Clone(sc.EventKinds), workloads.EvRescan)
	loose.Policies = append(slices.Clone(sc.Policies), workloads.Policy{Name: "no-such"})
	msgs := failures(func(t scenariotest.T) { scenariotest.RejectsBadSpecs(t, loose) })
	assert.Equal(t, 2, strings.Count(msgs, "An error is expected but got nil"), msgs)
}

// hda-patch-unbind rejects its first event made a rescan, but not made the kind it is.
func TestRejectsBadSpecsOfKind(t *testing.T) {
	sc := lookup(t, hdapatchunbind.Name)
	assert.Empty(t, failures(func(t scenariotest.T) { scenariotest.RejectsBadSpecsOfKind(t, sc, workloads.EvRescan) }))
	msgs := failures(func(t scenariotest.T) { scenariotest.RejectsBadSpecsOfKind(t, sc, sc.Spec.Events[0].Kind) })
	assert.Equal(t, 1, strings.Count(msgs, "An error is expected but got nil"), msgs)
}

// Generated Specs fail the check where every device runs mainline's buggy policy.
func TestGeneratedSpecsRunClean(t *testing.T) {
	sc := lookup(t, hdapatchunbind.Name)
	buggy := withBuild(sc, func(sim *des.Sim, spec workloads.Spec, _ string) error {
		spec = spec.Clone()
		for i := range spec.Topology.Devices {
			spec.Topology.Devices[i].Policy = hda.NoFWWait
		}
		return sc.Build(sim, spec, hda.NoFWWait)
	})
	assert.Contains(t, failures(func(t scenariotest.T) { scenariotest.GeneratedSpecsRunClean(t, buggy, 100) }),
		"use-after-free")
}
