package amdgpuunplug_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuunplug"
	"hotplugsim/workloads/internal/scenariotest"
)

func BenchmarkDefaultRun(b *testing.B) {
	sc, _ := workloads.Lookup(amdgpuunplug.Name)
	pool := des.NewPool(0) // as a sweep worker runs
	defer pool.Close()
	for i := 0; i < b.N; i++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: uint64(i + 1), NoTape: true, TraceRing: -1,
			Pool: pool})
		if err != nil || o.Kind() != "" {
			b.Fatal(err, o.Kind())
		}
	}
}

// A sweep worker's default run, once its Pool is warm, allocates a handful of objects (the
// Sim, the Outcome and its strings): the model's per-run objects come from the Pool
// (des.SlabKey), so a change that allocates per fence, job, lock or callback fails here
// rather than showing only in make bench.
func TestDefaultRunAllocations(t *testing.T) {
	const maxAllocsPerRun = 16
	sc := scenariotest.Lookup(t, amdgpuunplug.Name)
	pool := des.NewPool(0)
	defer pool.Close()
	seed := uint64(0)
	runOne := func() {
		seed++
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: seed, NoTape: true, TraceRing: -1, Pool: pool})
		require.NoError(t, err)
		require.Empty(t, o.Kind(), "seed %d", seed)
	}
	for range 200 { // warm the Pool: its slabs grow to the largest run seen
		runOne()
	}
	allocs := testing.AllocsPerRun(200, runOne)
	t.Logf("%.1f allocations per run", allocs)
	assert.LessOrEqual(t, allocs, float64(maxAllocsPerRun))
}
