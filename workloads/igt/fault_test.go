package igt_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
)

// With fault sites on, a probe fails now and then (drm_dev_register's second minor): at boot
// or at the rebind. The subtest stops there without an IGT failure, and the drivers' probe
// error paths leave nothing behind that a kernel object's oracle would report (amdgpu frees
// its interrupt before devm frees the adev, as amdgpu_pci_probe's unload_kms label does).
func TestInjectedProbeFailuresAreNoIGTFailure(t *testing.T) {
	for _, name := range []string{"igt-unbind-rebind", "igt-hotrebind-lateclose", "igt-hotreplug"} {
		sc := scenariotest.Lookup(t, name)
		for _, pol := range []string{"amdgpu-v6-complete-first", "xe-clear-mappings-dev-enter"} {
			fired := 0
			for seed := uint64(1); seed <= 120; seed++ {
				o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: seed, Faults: true, NoTape: true})
				require.NoError(t, err)
				require.Empty(t, o.Kind(), "%s %s seed %d: %v", name, pol, seed, o.Violation)
				if o.FaultsFired > 0 {
					fired++
				}
			}
			assert.Positive(t, fired, "%s %s: a probe failed in some run", name, pol)
		}
	}
}
