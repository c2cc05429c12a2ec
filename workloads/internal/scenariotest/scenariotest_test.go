package scenariotest_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
