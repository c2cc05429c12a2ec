package des

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	evCheck  = L("check")
	evRead   = L("read")
	evUnplug = L("unplug")
	objMMIO  = L("mmio")
)

// windowRace is a race between events at different virtual times: a periodic worker checks that
// the device is present and, after a short stretch of CPU work, reads a register; an unplug at
// a fixed time unmaps it. The bug (a read after the unmap whose check passed) needs the unplug
// inside the worker's window, window/period of the time, and the unplug is placed so that plain
// timing never lands there. hard makes both processes' timing the hardware's.
func windowRace(s *Sim, period, window Duration, hard bool) *bool {
	hit := new(bool)
	present, mapped := true, true
	w := s.Spawn("worker", Worker, func(p *Proc) {
		for i := 0; i < 20; i++ {
			p.Sleep(period)
			ok := present
			p.Point(evCheck, objMMIO, 0, 0)
			p.Busy(window)
			if ok && !mapped {
				*hit = true
				p.Sim().Violate(p, "use-after-unmap", objMMIO, "read after the unmap")
			}
			p.Point(evRead, objMMIO, 0, 0)
		}
	})
	if hard {
		w.SetHard()
	}
	r := s.Spawn("remover", Task, func(p *Proc) {
		p.Sleep(10*period + period/2)
		present = false
		p.Point(evUnplug, objMMIO, 0, 0)
		mapped = false
		p.Point(evUnplug, objMMIO, 1, 0)
	})
	if hard {
		r.SetHard()
	}
	return hit
}

func countWindowRace(cfg Config, seeds int, hard bool) (hits int, last Result) {
	for seed := 0; seed < seeds; seed++ {
		cfg.Seed = uint64(seed)
		s := MustNew(cfg)
		hit := windowRace(s, 100*Microsecond, 100*Nanosecond, hard)
		last = s.Run()
		if *hit {
			hits++
		}
	}
	return hits, last
}

// TestDelayBoundFindsRacesAcrossTime: with the delay bound, PCT finds a race between events at
// different virtual times at least as often as its bound says; without it (or under fifo) the
// model's timing decides and the race is never hit.
func TestDelayBoundFindsRacesAcrossTime(t *testing.T) {
	const seeds = 2000
	for _, strat := range []string{"fifo", "random", "pct:2"} {
		hits, _ := countWindowRace(Config{Strategy: strat}, 300, false)
		assert.Zero(t, hits, "%s without a delay bound", strat)
	}
	fifoHits, _ := countWindowRace(Config{Strategy: "fifo", DelayBound: 100 * Microsecond}, 300, false)
	assert.Zero(t, fifoHits, "fifo never delays")

	base := MustNew(Config{})
	windowRace(base, 100*Microsecond, 100*Nanosecond, false)
	k := base.Run().K
	hits, r := countWindowRace(Config{Strategy: "pct:2", DelayBound: 100 * Microsecond, StepsHint: k}, seeds, false)
	bound := 1 / float64(r.N*int(r.PCTK))
	rate := float64(hits) / seeds
	t.Logf("pct:2 over the delay bound: %d of %d runs (rate %.4f, PCT bound 1/(n·k) = %.4f, k %d)",
		hits, seeds, rate, bound, r.PCTK)
	assert.GreaterOrEqual(t, rate, bound)
	assert.Equal(t, k, r.PCTK, "k comes from the hint")

	hardHits, _ := countWindowRace(Config{Strategy: "pct:2", DelayBound: 100 * Microsecond, StepsHint: k}, 300, true)
	assert.Zero(t, hardHits, "hard processes are never delayed")
}

// TestDelaysStayWithinTheBound: no soft process waits longer than the bound after it became
// runnable, and no process ever runs before its wake-up (delays only make things later).
func TestDelaysStayWithinTheBound(t *testing.T) {
	const bound = 50 * Nanosecond
	for _, strat := range []string{"random", "pct:3"} {
		for seed := uint64(0); seed < 50; seed++ {
			s := MustNew(Config{Seed: seed, Strategy: strat, DelayBound: bound})
			var late []string
			for i := 0; i < 4; i++ {
				name := fmt.Sprint("t", i)
				s.Spawn(name, Task, func(p *Proc) {
					st := p.Sim().Stream(name)
					for j := 0; j < 30; j++ {
						d := st.Between(1, 200)
						due := p.Now().Add(d)
						p.Sleep(d)
						if p.Now() < due || p.Now() > due.Add(bound) {
							late = append(late, fmt.Sprintf("%s woke at %v, due %v", name, p.Now(), due))
						}
					}
				})
			}
			r := s.Run()
			require.Empty(t, late, "%s seed %d", strat, seed)
			require.True(t, r.OK())
		}
	}
}

// TestHardProcessRunsOnTime: a hard process runs at its wake-up even when soft ones are
// runnable and the strategy would rather let time move on.
func TestHardProcessRunsOnTime(t *testing.T) {
	for seed := uint64(0); seed < 100; seed++ {
		s := MustNew(Config{Seed: seed, Strategy: "random", DelayBound: Microsecond})
		var off []Time
		s.Spawn("dma", Task, func(p *Proc) {
			for i := 1; i <= 20; i++ {
				p.Sleep(37 * Nanosecond)
				if p.Now() != Time(37*i) {
					off = append(off, p.Now())
				}
			}
		}).SetHard()
		for i := 0; i < 3; i++ {
			s.Spawn(fmt.Sprint("cpu", i), Task, func(p *Proc) {
				for j := 0; j < 40; j++ {
					p.Sleep(11 * Nanosecond)
				}
			})
		}
		r := s.Run()
		require.Empty(t, off, "seed %d", seed)
		if seed == 0 {
			assert.Positive(t, r.Deferrals, "the soft processes were delayed")
		}
	}
}

// TestReplayOfTimeExploringRunIsExact: deferrals are decisions on the tape; the tape carries
// the bound, so a replay offers the same choices.
func TestReplayOfTimeExploringRunIsExact(t *testing.T) {
	for _, strat := range []string{"random", "pct:3:400"} {
		for seed := uint64(0); seed < 10; seed++ {
			orig := runStress(t, Config{Seed: seed, Strategy: strat, DelayBound: 30}, 5)
			tape := orig.Tape()
			assert.Equal(t, int64(30), tape.DelayBoundNs)
			rep := runStress(t, Config{Tape: tape}, 5)
			require.Equal(t, fp(orig), fp(rep), "%s seed %d", strat, seed)
			require.Zero(t, rep.TapeMisfit+rep.TapeShort)
		}
	}
}

// TestPCTReportsItsChangePoints: a run says which k it used and how many change points fell
// inside it; with k far above the run's length almost none do.
func TestPCTReportsItsChangePoints(t *testing.T) {
	inside := func(strategy string, hint uint64) (n int) {
		for seed := uint64(0); seed < 100; seed++ {
			r := runStress(t, Config{Seed: seed, Strategy: strategy, StepsHint: hint}, 3)
			n += r.ChangePoints
		}
		return n
	}
	k := runStress(t, Config{}, 3).K
	assert.Equal(t, 200, inside("pct:3", k*2/3), "k below the run's length: every change point falls inside")
	assert.Less(t, inside("pct:3:1000000", 0), 5, "k far past the run: change points fall outside")
	r := runStress(t, Config{Strategy: "pct:3"}, 3)
	assert.Equal(t, uint64(defaultPCTK), r.PCTK, "no hint: the default k")
	assert.Equal(t, 3, r.D)
}

func TestNegativeDelayBoundIsRejected(t *testing.T) {
	_, err := New(Config{Strategy: "random", DelayBound: -1})
	assert.ErrorContains(t, err, "negative delay bound")
}

// choosePCT decides as laterCandidates and pct.Pick do: the same runs, the same tapes, over
// runs where wake-ups within the delay bound, hard processes and change points all occur.
func TestFusedPCTDecidesAsTheGeneralPath(t *testing.T) {
	run := func(strategy string, seed uint64, fused bool) (uint64, []uint64, uint64) {
		defer func(old bool) { fusedPCT = old }(fusedPCT)
		fusedPCT = fused
		s := MustNew(Config{Strategy: strategy, Seed: seed, DelayBound: 3 * Microsecond, StepsHint: 120})
		for i := range 5 {
			pr := s.Spawn(fmt.Sprint("p", i), Task, func(p *Proc) {
				for j := range 8 {
					p.Sleep(Duration((i*7+j*3)%5) * Microsecond)
					p.Point(evCheck, objMMIO, int64(i), int64(j))
					p.Yield()
				}
			})
			if i == 4 {
				pr.SetHard()
			}
		}
		r := s.Run()
		require.True(t, r.OK(), r.Violations)
		return r.Fingerprint, r.Tape().Streams["sched"], r.Deferrals
	}
	deferrals := uint64(0)
	for _, strategy := range []string{"pct:2", "pct:3", "pct:4:60"} {
		for seed := range uint64(200) {
			fp, tape, d := run(strategy, seed, true)
			fp2, tape2, d2 := run(strategy, seed, false)
			require.Equal(t, fp2, fp, "%s seed %d", strategy, seed)
			require.Equal(t, tape2, tape, "%s seed %d", strategy, seed)
			require.Equal(t, d2, d)
			deferrals += d
		}
	}
	assert.Positive(t, deferrals, "some picks were wake-ups within the bound")
}

// Processes that wake each other (WakeOne, the hand-off of every completion) and yield decide
// alike on both paths: a woken process of higher priority is never passed over by a yield
// that goes on.
func TestFusedPCTDecidesAsTheGeneralPathOnWakeUps(t *testing.T) {
	run := func(seed uint64, fused bool) (uint64, []uint64) {
		defer func(old bool) { fusedPCT = old }(fusedPCT)
		fusedPCT = fused
		s := MustNew(Config{Strategy: "pct:3", Seed: seed, StepsHint: 200})
		wq := NewWaitQueue(s, "wq")
		tokens := 0
		for i := range 4 {
			s.Spawn(fmt.Sprint("p", i), Task, func(p *Proc) {
				for j := range 10 {
					if i%2 == 0 {
						tokens++
						wq.WakeOne()
						p.Point(evCheck, objMMIO, int64(i), int64(j))
						continue
					}
					wq.Wait(p, func() bool { return tokens > 0 })
					tokens--
					p.Point(evCheck, objMMIO, int64(i), int64(j))
				}
			})
		}
		r := s.Run()
		return r.Fingerprint, r.Tape().Streams["sched"]
	}
	requireAlike(t, 300, run)
}

// The run queue's summaries (readyTop, readyHard, the oldest process first) agree with the
// queue itself at every step of runs that sleep, wake each other, yield and turn hard while
// queued, and laterHorizon with them agrees with its definition over the queue.
func TestRunQueueSummaries(t *testing.T) {
	check := func(s *Sim) {
		hard, top := 0, int64(0)
		horizon, blocked := Forever, false
		for i, p := range s.ready {
			if i > 0 {
				require.LessOrEqual(t, s.ready[i-1].readyAt, p.readyAt, "queue in readyAt order")
			}
			if p.hard {
				hard++
				blocked = true
			}
			top = max(top, p.prio)
			horizon = min(horizon, p.readyAt.Add(s.bound))
		}
		require.Equal(t, hard, s.readyHard)
		require.GreaterOrEqual(t, s.readyTop, top)
		next, pending := s.timers.Min()
		want := s.bound > 0 && pending && !blocked && next < s.hangCheckAt && next <= horizon &&
			next <= s.now.Add(s.bound)
		h, ok := s.laterHorizon(nil)
		require.Equal(t, want, ok)
		if ok {
			require.Equal(t, horizon, h)
		}
	}
	for seed := range uint64(100) {
		s := MustNew(Config{Strategy: "pct:3", Seed: seed, DelayBound: 4 * Microsecond, StepsHint: 150})
		wq := NewWaitQueue(s, "wq")
		var procs []*Proc
		for i := range 5 {
			procs = append(procs, s.Spawn(fmt.Sprint("p", i), Task, func(p *Proc) {
				for j := range 8 {
					check(s)
					switch (i + j) % 4 {
					case 0:
						p.Sleep(Duration((i*5+j*3)%7) * Microsecond)
					case 1:
						wq.WakeOne()
					case 2:
						wq.WaitTimeout(p, func() bool { return false }, 3*Microsecond)
					}
					if j == 3 && i < 4 {
						procs[i+1].SetHard() // queued or not
					}
					p.Point(evCheck, objMMIO, int64(i), int64(j))
				}
			}))
		}
		r := s.Run()
		require.True(t, r.OK(), r.Violations)
	}
}

// A step budget ends a PCT run at the same step whether the yields decide in place or in the
// dispatcher, and a yield after the run is over unwinds as before.
func TestFusedPCTEndsAtTheBudget(t *testing.T) {
	run := func(fused bool) Result {
		defer func(old bool) { fusedPCT = old }(fusedPCT)
		fusedPCT = fused
		s := MustNew(Config{Strategy: "pct:3", Seed: 7, StepsHint: 100, MaxEvents: 37})
		for i := range 3 {
			s.Spawn(fmt.Sprint("p", i), Task, func(p *Proc) {
				for j := range 50 {
					p.Point(evCheck, objMMIO, int64(i), int64(j))
				}
			})
		}
		return s.Run()
	}
	fused, general := run(true), run(false)
	assert.Equal(t, "events", fused.Budget)
	assert.Equal(t, uint64(37), fused.K)
	assert.Equal(t, general.Fingerprint, fused.Fingerprint)
	assert.Equal(t, general.Events, fused.Events)
}
