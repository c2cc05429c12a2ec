package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
	"hotplugsim/workloads/enginedemo"
)

// Register keeps its own copy of a scenario's sparse Spec, and refuses one the scenario cannot
// run.
func TestSparseSpecRegistered(t *testing.T) {
	sc, err := workloads.Lookup(enginedemo.Name)
	require.NoError(t, err)
	require.NotNil(t, sc.SparseSpec)
	assert.True(t, sc.SparseSpec.Equal(enginedemo.SparseSpec()))
	assert.NotSame(t, &sc.SparseSpec.Apps[0], &enginedemo.Scenario().SparseSpec.Apps[0])

	bad := enginedemo.Scenario()
	bad.Name = "sparse-bad"
	sp := enginedemo.SparseSpec()
	sp.Apps[0].Kind = workloads.AppAudio // not a kind engine-demo runs
	bad.SparseSpec = &sp
	assert.PanicsWithValue(t, `workloads.Register: scenario "sparse-bad": sparse spec: apps[0].kind: scenario sparse-bad supports app kinds [render compute idle], not "audio"`,
		func() { workloads.Register(bad) })
}

// NoDelayBound runs without the scenario's delay bound: the strategy never lets time move on
// while a process is runnable.
func TestNoDelayBound(t *testing.T) {
	sc, err := workloads.Lookup(enginedemo.Name)
	require.NoError(t, err)
	var bounded, unbounded uint64
	for seed := uint64(1); seed <= 20; seed++ {
		cfg := workloads.RunConfig{Scenario: sc, Spec: sc.SparseSpec, Seed: seed, Strategy: "random", NoTape: true, TraceRing: -1}
		o, err := workloads.Run(cfg)
		require.NoError(t, err)
		bounded += o.Deferrals
		cfg.NoDelayBound = true
		o, err = workloads.Run(cfg)
		require.NoError(t, err)
		unbounded += o.Deferrals
	}
	assert.NotZero(t, bounded)
	assert.Zero(t, unbounded)
}
