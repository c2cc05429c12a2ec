package workloads

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
)

// SteerStrategy is a function of the seed and the corpus: without a corpus it is the sweep's
// strategy; with one, about half the seeds run a valid neighbour of a corpus schedule, and a
// mix seed that chose random stays random.
func TestSteerStrategyMutatesCorpusSchedules(t *testing.T) {
	corpus := []CorpusEntry{{Seed: 3, Schedule: "pct:3:100@3/10,60"}, {Seed: 9, Schedule: "pct:3:100@9/5,5"}}
	assert.Equal(t, "pct:3", SteerStrategy("pct:3", 42, nil))
	steered, seen := 0, map[string]bool{}
	for seed := uint64(1); seed <= 400; seed++ {
		s := SteerStrategy("pct:3", seed, corpus)
		assert.Equal(t, s, SteerStrategy("pct:3", seed, corpus), "seed %d", seed)
		if s == "pct:3" {
			continue
		}
		steered++
		seen[s] = true
		ps, err := des.ParsePCTSchedule(s)
		require.NoError(t, err, s)
		assert.Equal(t, 3, ps.D)
		assert.Equal(t, 100, ps.K)
		assert.NotContains(t, []string{corpus[0].Schedule, corpus[1].Schedule}, s, "a mutation changes something")
	}
	assert.InDelta(t, 200, steered, 40)
	assert.Greater(t, len(seen), steered/2, "mutations differ")
	for seed := uint64(1); seed <= 100; seed++ {
		if des.MixChoice(seed) == "random" {
			assert.Equal(t, "mix", SteerStrategy("mix", seed, corpus))
		}
	}
	assert.Equal(t, "pct:3", SteerStrategy("pct:3", 7, []CorpusEntry{{Schedule: "junk"}, {Schedule: "junk"}}), "a bad entry is never steered from")
}

func TestCanSteer(t *testing.T) {
	for s, want := range map[string]bool{"pct:3": true, "pct:2:50": true, "mix": true, "random": false,
		"fifo": false, "pct:3:50@1/2,3": false, "pct:0": false} {
		assert.Equal(t, want, CanSteer(s), s)
	}
}

// Visible is the newest MaxCorpus entries of the positions before the generation's start.
func TestVisible(t *testing.T) {
	var c []CorpusEntry
	for s := uint64(1); s <= MaxCorpus+100; s++ {
		c = append(c, CorpusEntry{Seed: s})
	}
	id := func(s uint64) uint64 { return s - 1 }
	assert.Len(t, Visible(c, id, 50), 50, "seeds 1 to 50: positions 0 to 49")
	v := Visible(c, id, MaxCorpus+100)
	assert.Len(t, v, MaxCorpus)
	assert.Equal(t, uint64(101), v[0].Seed, "the oldest 100 dropped")
}
