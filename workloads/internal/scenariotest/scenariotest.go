// Package scenariotest holds the checks that the scenario packages' tests (workloads/...)
// make on a registered scenario: that it turns model/fence's leak check on.
package scenariotest

import (
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
