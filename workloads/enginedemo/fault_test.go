package enginedemo_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
	"hotplugsim/workloads/enginedemo"
	"hotplugsim/workloads/internal/scenariotest"
)

// Fault sites are off unless asked for; on, a swarm of runs fails the ioctl's allocation in
// some of them, the decision is on the tape (replay is exact), and zeroing the site's stream
// switches it off, as a shrinker would.
func TestFaultSiteIsAChoiceOnTheTape(t *testing.T) {
	sc := scenariotest.Lookup(t, enginedemo.Name)
	fired := 0
	for seed := uint64(1); seed <= 50; seed++ {
		off, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: seed})
		require.NoError(t, err)
		require.Zero(t, off.FaultsFired, "off by default")

		on, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: seed, Faults: true})
		require.NoError(t, err)
		require.Empty(t, on.Kind(), "the error path is correct: %v", on.Violation)
		if on.FaultsFired == 0 {
			continue
		}
		fired++
		assert.NotEqual(t, off.Fingerprint, on.Fingerprint)
		assert.Contains(t, on.Command(""), "--faults")

		tape := on.Tape()
		assert.True(t, tape.Faults)
		rep, err := workloads.Run(workloads.RunConfig{Scenario: sc, Tape: tape})
		require.NoError(t, err)
		assert.Equal(t, on.Fingerprint, rep.Fingerprint, "replay is exact")

		zeroed := tape.Clone()
		for i := range zeroed.Streams["fault:"+enginedemo.FaultIoctlAlloc] {
			zeroed.Streams["fault:"+enginedemo.FaultIoctlAlloc][i] = 0
		}
		z, err := workloads.Run(workloads.RunConfig{Scenario: sc, Tape: zeroed})
		require.NoError(t, err)
		assert.Zero(t, z.FaultsFired, "a zeroed site is off")
	}
	assert.Greater(t, fired, 10, "the site fires in a good share of runs (enabled in half, 1/4 per ioctl)")
	assert.Less(t, fired, 40)
}
