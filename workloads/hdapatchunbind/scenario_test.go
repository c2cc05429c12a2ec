package hdapatchunbind_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/oracle"
	"hotplugsim/properties"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/hdabarmove"
	"hotplugsim/workloads/hdapatchunbind"
	"hotplugsim/workloads/internal/scenariotest"
)

// Mainline (no-fw-wait) is found: a sweep meets the remove during the load, and every hit is
// KASAN's report of azx_firmware_cb reading the card snd_card_free freed under azx_remove.
func TestBuggyPolicyIsFound(t *testing.T) {
	sc := scenariotest.Lookup(t, hdapatchunbind.Name)
	pol, err := sc.Policy(hda.NoFWWait)
	require.NoError(t, err)
	row, err := properties.ZooWith(sc, pol, 300, properties.ZooOptions{AllSeeds: true,
		Each: func(seed uint64, o *workloads.Outcome) {
			require.Empty(t, o.Budget, "seed %d ran out of budget", seed)
			if o.Violation != nil {
				assert.Contains(t, o.Violation.Message, "BUG: KASAN: slab-use-after-free in azx_firmware_cb", "seed %d", seed)
				assert.Contains(t, o.Violation.Message, "azx_remove", "seed %d: freed by", seed)
			}
		}})
	require.NoError(t, err)
	require.NoError(t, row.Err())
	assert.Equal(t, []string{string(oracle.UseAfterFree)}, slices.Collect(maps.Keys(row.Kinds)))
	// A quarter to a half of the seeds remove during the load (UnbindSpread vs PatchLatency).
	assert.Greater(t, row.Kinds[string(oracle.UseAfterFree)], 30)
	t.Logf("no-fw-wait: first seed %d, %d of %d seeds", row.FirstSeed, row.Kinds[string(oracle.UseAfterFree)], row.Seeds)
}

// The fixed policy (wait-fw-cb) is clean, on the default and the sparse Spec, and the
// removes of its sweep do land during the load (the race is met, not avoided).
func TestFixedPolicyIsClean(t *testing.T) {
	sc := scenariotest.Lookup(t, hdapatchunbind.Name)
	pol, err := sc.Policy(hda.WaitFWCb)
	require.NoError(t, err)
	for _, spec := range []*workloads.Spec{nil, sc.SparseSpec} {
		row, err := properties.ZooWith(sc, pol, 2000, properties.ZooOptions{Spec: spec})
		require.NoError(t, err)
		assert.NoError(t, row.Err())
	}
	// The same seeds under mainline: the removes that hit its race are among those the fixed
	// policy ran clean.
	hits := 0
	for seed := uint64(1); seed <= 50; seed++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: hda.NoFWWait, Seed: seed, NoTape: true})
		require.NoError(t, err)
		if o.Violation != nil {
			hits++
		}
	}
	assert.Greater(t, hits, 5, "removes that found the patch load pending")
}

// The patch loader is off in hda-bar-move (Config.Patch ""): its runs are those of the
// commit before the loader existed, fingerprint for fingerprint (pinned from 6b4a818).
func TestNoPatchLeavesHDABarMoveUnchanged(t *testing.T) {
	sc := scenariotest.Lookup(t, "hda-bar-move")
	want := map[string][3]string{ // seeds 1, 16, 123
		hda.StopChip:      {"9303944c3d900df9", "a8b6197ede312a48", "6e1be41a75f61f37"},
		hda.IoctlRWSem:    {"4304e9f932d1acd3", "2858f848c2ac7aed", "157e393fad351d57"},
		hda.WaitClose:     {"56f8f0a2bfe7547a", "6451153c4e0e1402", "591ff50278237c66"},
		hda.Quiesce:       {"c9cb9c924516f5ea", "55d590c66df07729", "fa3dbfd169caeb6c"},
		hda.QuiescePCMRef: {"7bb2263b5c8c44bb", "5389056fb92ddd52", "0ef5c936c2e7fbcb"},
	}
	for _, pol := range policy.Names(hda.Policies) {
		for i, seed := range []uint64{1, 16, 123} {
			o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: seed, NoTape: true})
			require.NoError(t, err)
			assert.Equal(t, want[pol][i], o.Fingerprint, "%s seed %d", pol, seed)
		}
	}
}

func TestRunsAreDeterministic(t *testing.T) {
	scenariotest.RunsReplay(t, scenariotest.Lookup(t, hdapatchunbind.Name), policy.Names(hda.PatchPolicies))
}

func TestSpecChecks(t *testing.T) {
	scenariotest.RejectsBadSpecs(t, scenariotest.Lookup(t, hdapatchunbind.Name))
}

// Generated Specs (several controllers, apps and removes) run clean under the fixed policy.
func TestGeneratedSpecsFixed(t *testing.T) {
	scenariotest.GeneratedSpecsRunClean(t, scenariotest.Lookup(t, hdapatchunbind.Name), 100)
}
