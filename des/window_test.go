package des

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	evEnter = L("enter")
	evPull  = L("pull")
)

// rangeRace is two external events: a reset that lands within 2 ms and then sleeps 50 µs inside
// its critical section, and a pull that lands within 200 ms; an app keeps the CPU busy with
// short sleeps throughout. The bug is the pull inside the reset's section: 50 µs of the pull's
// 200 ms, 1 in 4000 when the pull's time is uniform. It returns whether the run hit it and
// the offsets at which the two events fired (from their SleepRange's start).
func rangeRace(s *Sim) (hit *bool, fired *[2]Duration) {
	hit, fired = new(bool), new([2]Duration)
	inside := false
	s.Spawn("app", Task, func(p *Proc) {
		for i := 0; i < 4000; i++ {
			p.Sleep(50 * Microsecond)
			p.Point(evCheck, objMMIO, int64(i), 0)
		}
	})
	s.Spawn("reset", Task, func(p *Proc) {
		start := p.Now()
		p.SleepRange(0, 2*Millisecond, p.Sim().Stream("reset"))
		fired[0] = Duration(p.Now() - start)
		inside = true
		p.Point(evEnter, objMMIO, 0, 0)
		p.Sleep(50 * Microsecond)
		inside = false
		p.Point(evEnter, objMMIO, 1, 0)
	})
	s.Spawn("pull", Task, func(p *Proc) {
		p.Sleep(Microsecond)
		start := p.Now()
		p.SleepRange(100*Nanosecond, 200*Millisecond, p.Sim().Stream("pull"))
		fired[1] = Duration(p.Now() - start)
		if inside {
			*hit = true
		}
		p.Point(evPull, objMMIO, 0, 0)
	})
	return hit, fired
}

// TestSleepRangeFindsNarrowWindows: an exploring strategy lands the pull inside the reset's
// section in a good share of the seeds, fifo (the time drawn uniformly) in none of them; every
// event fires inside its range.
func TestSleepRangeFindsNarrowWindows(t *testing.T) {
	const seeds = 400
	for _, strat := range []string{"fifo", "random", "pct:3", "mix"} {
		hits, first := 0, -1
		for seed := range seeds {
			s := MustNew(Config{Seed: uint64(seed), Strategy: strat, DelayBound: 10 * Microsecond, NoTape: true})
			hit, fired := rangeRace(s)
			r := s.Run()
			require.True(t, r.OK(), "%s seed %d: %v", strat, seed, r.First())
			require.True(t, fired[0] >= 0 && fired[0] <= 2*Millisecond, "%s seed %d: reset fired at +%v", strat, seed, fired[0])
			require.True(t, fired[1] >= 100*Nanosecond && fired[1] <= 200*Millisecond, "%s seed %d: pull fired at +%v", strat, seed, fired[1])
			if *hit {
				hits++
				if first < 0 {
					first = seed
				}
			}
		}
		t.Logf("%s: %d of %d seeds hit, first seed %d", strat, hits, seeds, first)
		if strat == "fifo" {
			assert.Zero(t, hits, "fifo: the time is drawn uniformly")
			continue
		}
		// Half the seeds wake at a waiting moment, one in 8 of those at the reset's sleep.
		assert.GreaterOrEqual(t, hits, seeds/40, strat)
		assert.True(t, first >= 0 && first < 100, "%s: first hit at seed %d", strat, first)
	}
}

// TestSleepRangeFifoDrawsAsBetween: under fifo, SleepRange is Sleep(st.Between(lo, hi)): the
// same wake-up and the same trace.
func TestSleepRangeFifoDrawsAsBetween(t *testing.T) {
	run := func(seed uint64, ranged bool) (Time, uint64) {
		s := MustNew(Config{Seed: seed})
		var woke Time
		s.Spawn("other", Task, func(p *Proc) {
			for range 50 {
				p.Sleep(3 * Microsecond)
			}
		})
		s.Spawn("event", Task, func(p *Proc) {
			st := p.Sim().Stream("event")
			if ranged {
				p.SleepRange(Microsecond, 100*Microsecond, st)
			} else {
				p.Sleep(st.Between(Microsecond, 100*Microsecond))
			}
			woke = p.Now()
			p.Sleep(Microsecond) // a sleep of an external operation: no moment under fifo
		})
		return woke, s.Run().Fingerprint
	}
	requireAlike(t, 50, run)
}

// TestSleepRangeReplays: a tape reproduces where in its range every event fired.
func TestSleepRangeReplays(t *testing.T) {
	hits := 0
	for seed := range uint64(60) {
		s := MustNew(Config{Seed: seed, Strategy: "pct:3", DelayBound: 10 * Microsecond})
		hit, fired := rangeRace(s)
		r := s.Run()
		again := MustNew(Config{Tape: r.Tape()})
		hit2, fired2 := rangeRace(again)
		r2 := again.Run()
		require.Equal(t, fp(r), fp(r2), "seed %d", seed)
		require.Equal(t, *fired, *fired2, "seed %d", seed)
		require.Equal(t, *hit, *hit2, "seed %d", seed)
		require.Zero(t, r2.TapeShort+r2.TapeMisfit, "seed %d", seed)
		if *hit {
			hits++
		}
	}
	assert.Positive(t, hits, "some replayed run hits the window")
}
