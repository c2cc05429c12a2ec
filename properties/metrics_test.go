package properties_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des/metrics"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/all"
)

// Metrics never change a run: for every registered scenario and policy, a run with a recorder
// attached has the fingerprint of the run without (recording never yields, draws or traces).
func TestMetricsDoNotChangeAnyScenario(t *testing.T) {
	seeds := uint64(8)
	if testing.Short() {
		seeds = 2
	}
	for _, sc := range workloads.All() {
		for _, pol := range sc.Policies {
			for seed := uint64(1); seed <= seeds; seed++ {
				cfg := workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: seed, NoTape: true, TraceRing: -1}
				off, err := workloads.Run(cfg)
				require.NoError(t, err)
				cfg.Metrics = metrics.NewRecorder()
				on, err := workloads.Run(cfg)
				require.NoError(t, err)
				require.Equal(t, off.Fingerprint, on.Fingerprint, "%s/%s seed %d: metrics changed the run", sc.Name, pol.Name, seed)
			}
		}
	}
}
