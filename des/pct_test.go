package des

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// atomicityBug is a depth-2 bug: process A checks a flag and then acts on it one step later;
// the bug happens only if B's write lands between A's check and A's act (two ordering
// constraints: check < write, write < act). Noise processes add steps. B writes late, so the
// fifo round-robin never hits the window.
func atomicityBug(s *Sim, n, m int) *bool {
	hit := new(bool)
	flag := false
	s.Spawn("A", Task, func(p *Proc) {
		seen := flag // check
		p.Yield()
		if seen != flag { // act on a stale check
			*hit = true
		}
	})
	s.Spawn("B", Task, func(p *Proc) {
		for i := 0; i < m; i++ {
			p.Yield()
		}
		flag = true // write
	})
	for i := 0; i < n-2; i++ {
		s.Spawn(fmt.Sprint("noise", i), Task, func(p *Proc) {
			for j := 0; j < m; j++ {
				p.Yield()
			}
		})
	}
	return hit
}

// TestPCTMeetsItsBound measures, over many seeds, that pct:2 finds the depth-2 bug at least as
// often as the ASPLOS 2010 bound 1/(n*k), and that fifo never does.
func TestPCTMeetsItsBound(t *testing.T) {
	const n, m, seeds = 4, 10, 3000
	k := uint64(2 + (m+1)*(n-1)) // A: 2 steps; B and noise: start + m yields
	count := func(strategy string) (int, uint64) {
		hits := 0
		var steps uint64
		for seed := uint64(0); seed < seeds; seed++ {
			s := MustNew(Config{Seed: seed, Strategy: strategy})
			hit := atomicityBug(s, n, m)
			r := s.Run()
			steps = r.K
			if *hit {
				hits++
			}
		}
		return hits, steps
	}
	pctHits, steps := count(fmt.Sprintf("pct:2:%d", k))
	assert.Equal(t, k, steps, "the program's step count is what the bound is computed for")
	bound := float64(seeds) / float64(n*int(k))
	t.Logf("pct:2 found the bug in %d of %d runs; bound 1/(n*k) = %.1f runs", pctHits, seeds, bound)
	assert.GreaterOrEqual(t, float64(pctHits), bound)

	fifoHits, _ := count("fifo")
	assert.Zero(t, fifoHits, "fifo never finds it")

	pct1, _ := count(fmt.Sprintf("pct:1:%d", k))
	assert.Zero(t, pct1, "depth 1 (no change point) cannot find a depth-2 bug")
}

// mix runs, per seed, exactly the run of the strategy MixChoice names for it, both choices
// occur, and its tape replays.
func TestMixIsPerSeedPCTOrRandom(t *testing.T) {
	build := func(s *Sim) {
		for _, name := range []string{"a", "b", "c"} {
			s.Spawn(name, Task, func(p *Proc) {
				for i := 0; i < 5; i++ {
					p.Point(evTouch, objShared, int64(i), 0)
				}
			})
		}
	}
	run := func(cfg Config) Result {
		s := MustNew(cfg)
		build(s)
		return s.Run()
	}
	seen := map[string]int{}
	for seed := uint64(1); seed <= 40; seed++ {
		choice := MixChoice(seed)
		seen[choice]++
		mix := run(Config{Seed: seed, Strategy: "mix", StepsHint: 20})
		alone := run(Config{Seed: seed, Strategy: choice, StepsHint: 20})
		assert.Equal(t, "mix", mix.Strategy)
		assert.Equal(t, alone.Fingerprint, mix.Fingerprint, "seed %d runs %s", seed, choice)
		rep := run(Config{Tape: mix.Tape()})
		assert.Equal(t, mix.Fingerprint, rep.Fingerprint)
	}
	assert.Greater(t, seen["pct:3"], 5)
	assert.Greater(t, seen["random"], 5)
	assert.True(t, WantsStepsHint("mix"))
	_, err := ParseStrategy("mix:2")
	assert.Error(t, err)
}

// A PCT run written out as its schedule (pct:D:K@P/C) reruns the same run; another change
// point or another priority seed makes another schedule; a malformed schedule is refused.
func TestPCTScheduleRerunsTheRun(t *testing.T) {
	run := func(strategy string, seed uint64) Result {
		s := MustNew(Config{Seed: seed, Strategy: strategy})
		atomicityBug(s, 4, 10)
		return s.Run()
	}
	for seed := uint64(1); seed <= 20; seed++ {
		fresh := run("pct:3:40", seed)
		ps := fresh.PCT
		assert.Equal(t, 3, ps.D)
		assert.Len(t, ps.Changes, 2)
		again := run(ps.String(), seed)
		assert.Equal(t, fresh.Fingerprint, again.Fingerprint, ps.String())
		assert.Equal(t, ps, again.PCT)
	}
	base := run("pct:2:40@7/20", 1)
	assert.NotEqual(t, base.Fingerprint, run("pct:2:40@7/3", 1).Fingerprint, "an earlier change point")
	assert.NotEqual(t, base.Fingerprint, run("pct:2:40@8/20", 1).Fingerprint, "other priorities")
	assert.Zero(t, run("random", 1).PCT)
	for _, bad := range []string{"pct:3:40@7/1", "pct:3:40@7/5,41", "pct:3:40@7/9,5", "pct:3@7/1,2",
		"pct:2:40@x/1", "pct:2:40@7", "pct:2:40@7/0", "pct:2:40@7/1,2"} {
		_, err := ParseStrategy(bad)
		assert.Error(t, err, bad)
	}
}
