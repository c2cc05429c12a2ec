package des

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFIFORoundRobin: under fifo, processes enabled at one instant take turns in the order
// they became runnable.
func TestFIFORoundRobin(t *testing.T) {
	s := MustNew(Config{})
	var order []string
	for _, name := range []string{"a", "b", "c"} {
		s.Spawn(name, Task, func(p *Proc) {
			for i := 0; i < 2; i++ {
				order = append(order, fmt.Sprint(name, i))
				p.Yield()
			}
		})
	}
	r := s.Run()
	require.True(t, r.OK())
	assert.Equal(t, "a0 b0 c0 a1 b1 c1", strings.Join(order, " "))
	assert.Equal(t, 3, r.N)
	assert.Equal(t, uint64(9), r.K, "3 starts + 6 yields")
	assert.Equal(t, Time(0), r.End)
}

// TestTimeAdvancesOnlyWhenNothingIsEnabled: sleepers wake in time order; ties keep the order
// in which they went to sleep.
func TestTimeAdvancesOnlyWhenNothingIsEnabled(t *testing.T) {
	s := MustNew(Config{})
	var log []string
	sleeper := func(name string, d Duration) {
		s.Spawn(name, Task, func(p *Proc) {
			p.Sleep(d)
			log = append(log, fmt.Sprintf("%s@%d", name, p.Now()))
		})
	}
	sleeper("late", 30)
	sleeper("early", 10)
	sleeper("tie1", 20)
	sleeper("tie2", 20)
	r := s.Run()
	require.True(t, r.OK())
	assert.Equal(t, []string{"early@10", "tie1@20", "tie2@20", "late@30"}, log)
	assert.Equal(t, Time(30), r.End)
}

// TestExactlyOneRunsAtATime checks mutual exclusion of process bodies under every strategy,
// and that the nested dispatcher is observably the same as a plain central loop.
func TestExactlyOneRunsAtATime(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "random:20ns", "pct:3:400"} {
		for seed := uint64(0); seed < 20; seed++ {
			running := 0
			s := MustNew(Config{Seed: seed, Strategy: strat})
			for i := 0; i < 5; i++ {
				s.Spawn(fmt.Sprint("p", i), Task, func(p *Proc) {
					st := p.Sim().Stream(p.Name())
					for j := 0; j < 30; j++ {
						running++
						require.Equal(t, 1, running)
						require.Same(t, p, p.Sim().Current())
						running--
						if st.Bool(0.3) {
							p.Sleep(st.Between(0, 5))
						} else {
							p.Yield()
						}
					}
				})
			}
			r := s.Run()
			require.True(t, r.OK(), "%s seed %d: %v", strat, seed, r.Violations)
		}
	}
}

func TestNestedDispatchMatchesCentralLoop(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "random:50ns", "pct:2:500", "pct:4:500"} {
		for seed := uint64(0); seed < 25; seed++ {
			nested := runStress(t, Config{Seed: seed, Strategy: strat}, 6)
			s := MustNew(Config{Seed: seed, Strategy: strat})
			s.flat = true
			stress(s, 6)
			flat := s.Run()
			require.Equal(t, fp(flat), fp(nested), "%s seed %d", strat, seed)
			require.Equal(t, flat.K, nested.K)
			require.Equal(t, flat.Violations, nested.Violations)
		}
	}
}

func TestStrategiesExplore(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(0); seed < 30; seed++ {
		seen[fp(runStress(t, Config{Seed: seed, Strategy: "random"}, 4))] = true
	}
	assert.Greater(t, len(seen), 20, "random should produce many distinct schedules")

	fifoSeen := map[string]bool{}
	for seed := uint64(0); seed < 5; seed++ {
		// Same seed for the workload streams: fifo itself adds no variation.
		r := runStress(t, Config{Seed: 7, Strategy: "fifo"}, 4)
		fifoSeen[fp(r)] = true
	}
	assert.Len(t, fifoSeen, 1)
}

func TestParseStrategy(t *testing.T) {
	for _, ok := range []string{"fifo", "random", "random:50us", "pct:1", "pct:3", "pct:2:100", "replay"} {
		st, err := ParseStrategy(ok)
		require.NoError(t, err, ok)
		assert.Equal(t, ok, st.Name())
	}
	for _, bad := range []string{"lifo", "pct", "pct:0", "pct:x", "pct:2:0", "random:x", "random:0", "fifo:1", "replay:2"} {
		_, err := ParseStrategy(bad)
		assert.Error(t, err, bad)
	}
	_, err := New(Config{Strategy: "replay"})
	assert.ErrorContains(t, err, "needs a tape")
	_, err = New(Config{Strategy: "bogus"})
	assert.ErrorContains(t, err, `unknown strategy "bogus"`)
	// The error lists every form of Strategies, and every base name of the table parses.
	assert.ErrorContains(t, err, "(want fifo, random, pct:D[:K], pct:D:K@P/C, mix, search or replay)")
	for _, st := range Strategies {
		if st.parse != nil {
			base, _, _ := strings.Cut(st.Syntax, ":")
			if base == "pct" {
				base = "pct:2"
			}
			_, err := ParseStrategy(base)
			assert.NoError(t, err, st.Syntax)
		}
	}
	_, err = ParseStrategy(":1")
	assert.EqualError(t, err, `strategy ":1": fifo takes no argument`)
}

func TestRunReportsNKD(t *testing.T) {
	r := runStress(t, Config{Seed: 3, Strategy: "pct:3:1000"}, 4)
	assert.Equal(t, 3, r.D)
	assert.GreaterOrEqual(t, r.N, 5)
	assert.Greater(t, r.K, uint64(20))
	assert.Equal(t, "pct:3:1000", r.Strategy)
	r = runStress(t, Config{Seed: 3}, 4)
	assert.Equal(t, 0, r.D)
	assert.Equal(t, "fifo", r.Strategy)
}

func TestPreemptionDelayIsInjectedAndRecorded(t *testing.T) {
	r := runStress(t, Config{Seed: 5, Strategy: "random:1us"}, 4)
	require.NotEmpty(t, r.Tape().Streams["delay"])
	nonzero := 0
	for _, d := range r.Tape().Streams["delay"] {
		if d > 0 {
			nonzero++
			assert.LessOrEqual(t, d, uint64(Microsecond))
		}
	}
	assert.Positive(t, nonzero)
	plain := runStress(t, Config{Seed: 5, Strategy: "random"}, 4)
	assert.Empty(t, plain.Tape().Streams["delay"])
}

func TestSpawnFromProcessAndJoin(t *testing.T) {
	s := MustNew(Config{})
	var log []string
	s.Spawn("parent", Task, func(p *Proc) {
		c := p.Sim().Spawn("child", Worker, func(c *Proc) {
			c.Sleep(5)
			log = append(log, "child done")
		})
		assert.Equal(t, Worker, c.Kind())
		p.Join(c)
		log = append(log, fmt.Sprint("joined at ", p.Now()))
		p.Join(c) // already done: returns at once
	})
	r := s.Run()
	require.True(t, r.OK())
	assert.Equal(t, []string{"child done", "joined at @5ns"}, log)
}

func TestTraceRingAndFullSink(t *testing.T) {
	var all []Event
	s := MustNew(Config{Seed: 3, Strategy: "random", TraceRing: 64, Sink: func(e Event) { all = append(all, e) }})
	stress(s, 6)
	r := s.Run()
	require.Greater(t, r.Events, uint64(64))
	require.Len(t, all, int(r.Events), "the sink sees every event")
	ring := s.Trace()
	require.Len(t, ring, 64, "the ring keeps the last 64")
	assert.Equal(t, all[len(all)-64:], ring)
	for i, e := range all {
		require.Equal(t, uint64(i+1), e.Seq)
		if i > 0 {
			require.GreaterOrEqual(t, e.At, all[i-1].At, "time never goes back")
		}
	}
	// The fingerprint covers the whole stream, not only the ring.
	var f fingerprint
	for i := range all {
		e := &all[i]
		f.fold(e.At, e.Proc, e.Kind, e.Obj, e.A, e.B)
	}
	assert.Equal(t, uint64(f), r.Fingerprint)

	none := MustNew(Config{Seed: 3, Strategy: "random", TraceRing: -1})
	stress(none, 6)
	rn := none.Run()
	assert.Empty(t, none.Trace())
	assert.Equal(t, r.Fingerprint, rn.Fingerprint, "keeping no ring does not change the fingerprint")
	assert.Equal(t, "w0", s.ProcName(0))
	assert.Equal(t, "des", s.ProcName(-1))
}

// TestTraceRingKeepsLabelsExactly checks that events read back from the ring (which keeps
// label ids, not labels) equal what the sink received, for the zero Label and L("") too:
// both print as "", but only L("") carries the text's hash into the fingerprint.
func TestTraceRingKeepsLabelsExactly(t *testing.T) {
	var all []Event
	s := MustNew(Config{Sink: func(e Event) { all = append(all, e) }})
	kinds := []Label{L("k"), Label{}, L("")}
	s.Spawn("p", Task, func(p *Proc) {
		for _, k := range kinds {
			for _, o := range kinds {
				p.Trace(k, o, 1, 2)
			}
		}
	})
	s.Run()
	require.NotEqual(t, Label{}, L(""), "L(\"\") keeps the hash of the empty text")
	assert.Equal(t, all, s.Trace())
}

// Stop ends the run at the stopping process's next scheduling point, also on the fast paths
// (a sleep nobody else could run through, a lone runnable process picked).
func TestStopEndsTheRunAtTheNextSchedulingPoint(t *testing.T) {
	for _, strategy := range []string{"fifo", "random"} {
		s := MustNew(Config{Strategy: strategy})
		var after []string
		s.Spawn("stopper", Task, func(p *Proc) {
			p.Sleep(1)
			s.Stop()
			p.Sleep(1)
			after = append(after, "stopper slept")
		})
		r := s.Run()
		assert.True(t, r.OK(), strategy)
		assert.Equal(t, Time(1), r.End, strategy)
		assert.Empty(t, after, strategy)
	}
}
