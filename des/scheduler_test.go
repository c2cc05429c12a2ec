package des

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchedulerIsTheNamedStrategy: a strategy passed as a value runs the run its name runs,
// with the same Result and tape.
func TestSchedulerIsTheNamedStrategy(t *testing.T) {
	for _, c := range detCases {
		st, err := ParseStrategy(c.strat)
		require.NoError(t, err)
		byName := runStress(t, Config{Seed: c.seed, Strategy: c.strat}, 6)
		byValue := runStress(t, Config{Seed: c.seed, Scheduler: st}, 6)
		assert.Equal(t, fp(byName), fp(byValue), c.strat)
		assert.Equal(t, byName.Strategy, byValue.Strategy)
		assert.Equal(t, byName.D, byValue.D)
		assert.Equal(t, byName.PCT.String(), byValue.PCT.String())
		assert.Equal(t, byName.Tape(), byValue.Tape(), c.strat)
	}
}

func TestSchedulerAndStrategyMustAgree(t *testing.T) {
	st, err := ParseStrategy("pct:3")
	require.NoError(t, err)
	_, err = New(Config{Strategy: "random", Scheduler: st})
	assert.Error(t, err)
	_, err = New(Config{Strategy: "pct:3", Scheduler: st})
	assert.NoError(t, err)
}

func TestPCTDepth(t *testing.T) {
	for _, c := range []struct {
		name string
		d    int
	}{{"pct:3", 3}, {"pct:2:500", 2}, {"pct:4:100@7/1,2,3", 4}, {"random", 0}, {"mix", 0},
		{"pct:0", 0}, {"fifo", 0}} {
		assert.Equal(t, c.d, PCTDepth(c.name), c.name)
	}
}
