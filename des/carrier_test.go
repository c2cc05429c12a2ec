package des

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPoolKeepsRunsIdentical: runs that share a pool (one after another, and from two
// goroutines at once) give the fingerprints they give alone; the pool then holds idle
// carriers and nothing else is left running.
func TestPoolKeepsRunsIdentical(t *testing.T) {
	want := detFingerprints(t)
	before := goroutinesSettle(0)
	pool := NewPool(0)
	run := func() []string {
		var out []string
		for _, c := range detCases {
			r := runStress(t, Config{Seed: c.seed, Strategy: c.strat, Pool: pool}, 6)
			out = append(out, fmt.Sprintf("%s/%d=%s", c.strat, c.seed, fp(r)))
		}
		return out
	}
	assert.Equal(t, want, run())
	var wg sync.WaitGroup
	got := make([][]string, 2)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = run() }()
	}
	wg.Wait()
	assert.Equal(t, [][]string{want, want}, got)

	idle := pool.Idle()
	assert.Positive(t, idle, "finished bodies give their carriers back")
	assert.LessOrEqual(t, goroutinesSettle(before+idle), before+idle, "only the pool's idle carriers remain")
	pool.Close()
	assert.Zero(t, pool.Idle())
	assert.LessOrEqual(t, goroutinesSettle(before), before, "Close ends them")
}

// TestPoolReusesCarriers: a sweep-like loop of runs on one pool creates no goroutines once
// it holds as many carriers as the busiest run needs (the second pass runs the same seeds).
func TestPoolReusesCarriers(t *testing.T) {
	pool := NewPool(0)
	defer pool.Close()
	sweep := func() {
		for seed := uint64(1); seed < 40; seed++ {
			runStress(t, Config{Seed: seed, Strategy: "random", Pool: pool}, 6)
		}
	}
	sweep()
	before := goroutinesSettle(0)
	idle := pool.Idle()
	sweep()
	assert.Equal(t, idle, pool.Idle())
	assert.LessOrEqual(t, goroutinesSettle(before), before, "the same carriers carry every run")
}

// TestPoolBound: a pool keeps at most its size of idle carriers; the rest end.
func TestPoolBound(t *testing.T) {
	before := goroutinesSettle(0)
	pool := NewPool(2)
	s := MustNew(Config{Pool: pool})
	for i := 0; i < 10; i++ {
		s.Spawn("w", Task, func(p *Proc) { p.Sleep(Duration(i + 1)) })
	}
	s.Run()
	assert.Equal(t, 2, pool.Idle())
	assert.LessOrEqual(t, goroutinesSettle(before+2), before+2)
	pool.Close()
	assert.LessOrEqual(t, goroutinesSettle(before), before)
}

// TestKilledBodiesUnwindOnPooledCarriers: when a run ends under suspended bodies, their
// defers run, the carriers go back to the pool, and the next run on them is unaffected.
func TestKilledBodiesUnwindOnPooledCarriers(t *testing.T) {
	pool := NewPool(0)
	defer pool.Close()
	unwound := 0
	s := MustNew(Config{Pool: pool, MaxEvents: 50})
	never := NewCompletion(s, "never")
	for i := 0; i < 3; i++ {
		s.Spawn("blocked", Task, func(p *Proc) {
			defer func() { unwound++ }()
			never.Wait(p)
		})
	}
	s.Spawn("spinner", Task, func(p *Proc) {
		defer func() { unwound++ }()
		for {
			p.Yield()
		}
	})
	r := s.Run()
	require.Equal(t, "events", r.Budget)
	assert.Equal(t, 4, unwound, "every suspended body ran its defers")
	assert.Equal(t, 4, pool.Idle())

	want := runStress(t, Config{Seed: 9, Strategy: "random"}, 6)
	got := runStress(t, Config{Seed: 9, Strategy: "random", Pool: pool}, 6)
	assert.Equal(t, fp(want), fp(got))
}
