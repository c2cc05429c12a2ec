package p2pevict_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/p2pevict"
)

// sweep runs seeds 1..n of policy with the scenario's default Spec and strategy and returns
// the first seed whose first violation has kind want (0: none), how many seeds found it, and
// every other violation kind seen with its first seed.
func sweep(t *testing.T, policy string, n int, want des.ViolationKind) (first uint64, found int, other map[string]uint64) {
	t.Helper()
	sc := scenariotest.Lookup(t, p2pevict.Name)
	other = map[string]uint64{}
	for seed := uint64(1); seed <= uint64(n); seed++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Seed: seed, NoTape: true, TraceRing: -1})
		require.NoError(t, err)
		switch k := o.Kind(); {
		case k == "":
		case k == string(want):
			found++
			if first == 0 {
				first = seed
			}
		default:
			if _, ok := other[k]; !ok {
				other[k] = seed
				t.Logf("seed %d: %s: %s", seed, k, o.Violation.Message)
			}
		}
	}
	return first, found, other
}

func cut(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
