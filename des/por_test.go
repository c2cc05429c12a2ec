package des

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// private is n processes that each touch an object of their own k times (shared: one object
// for all), and a last process that checks nothing: every interleaving of the first ones
// reaches the same state unless they share the object.
func private(s *Sim, n, k int, shared bool) {
	for i := 0; i < n; i++ {
		obj := L(fmt.Sprintf("own%d", i))
		if shared {
			obj = objShared
		}
		s.Spawn(fmt.Sprintf("p%d", i), Task, func(p *Proc) {
			for j := 0; j < k; j++ {
				p.Point(evTouch, obj, int64(j), 0)
			}
		})
	}
}

// privateThenLost is private's processes beside lostUpdate's race.
func privateThenLost(s *Sim) { private(s, 2, 4, false); lostUpdate(s, false) }

// drawers is two processes that each draw from a stream between two touches of their own
// objects: one stream for both (shared), or one each.
func drawers(s *Sim, shared bool) {
	for i := 0; i < 2; i++ {
		obj, name := L(fmt.Sprintf("own%d", i)), fmt.Sprintf("st%d", i)
		if shared {
			name = "st"
		}
		s.Spawn(fmt.Sprintf("d%d", i), Task, func(p *Proc) {
			for j := 0; j < 4; j++ {
				p.Point(evTouch, obj, int64(p.Sim().Stream(name).Intn(100)), 0)
			}
		})
	}
}

// searchBoth runs the search with and without the reduction.
func searchBoth(t *testing.T, cfg SearchConfig, build func(*Sim) error) (off, on SearchResult) {
	t.Helper()
	cfg.NoPOR = true
	off, err := Search(cfg, build)
	require.NoError(t, err)
	cfg.NoPOR = false
	on, err = Search(cfg, build)
	require.NoError(t, err)
	return off, on
}

// TestPORKeepsEveryVerdict: with either cost and bounds 1 to 3, the reduced search finds the
// bug at the same bound as the full one, proves the same bug-free programs, and runs fewer
// schedules where steps commute; where every step is ordered it prunes nothing.
func TestPORKeepsEveryVerdict(t *testing.T) {
	progs := []struct {
		name     string
		build    func(*Sim) error
		commutes bool // some schedules are equivalent
	}{
		{"private", func(s *Sim) error { private(s, 3, 4, false); return nil }, true},
		{"shared", func(s *Sim) error { private(s, 3, 4, true); return nil }, false},
		{"private+lost", func(s *Sim) error { privateThenLost(s); return nil }, true},
		{"lost-guarded", func(s *Sim) error { lostUpdate(s, true); return nil }, false},
		{"newest", func(s *Sim) error { newestInWindow(s, 4); return nil }, false},
		{"drawers-own", func(s *Sim) error { drawers(s, false); return nil }, true},
		{"drawers-shared", func(s *Sim) error { drawers(s, true); return nil }, false},
	}
	for _, prog := range progs {
		for _, cost := range []SearchCost{CostDelays, CostDeviations} {
			for bound := 1; bound <= 3; bound++ {
				name := fmt.Sprintf("%s/%s/%d", prog.name, cost, bound)
				off, on := searchBoth(t, SearchConfig{Bound: bound, Cost: cost}, prog.build)
				assert.Equal(t, off.Exhausted, on.Exhausted, name)
				assert.Equal(t, off.Failure != nil, on.Failure != nil, name)
				assert.Equal(t, off.FailureDelays, on.FailureDelays, "%s: the first failing bound", name)
				assert.LessOrEqual(t, on.Schedules, off.Schedules, name)
				assert.LessOrEqual(t, on.Runs, off.Runs, name)
				assert.Zero(t, off.Pruned, name)
				if !prog.commutes {
					assert.Zero(t, on.Pruned, "%s: no two schedules are equivalent", name)
					assert.Equal(t, off.Schedules, on.Schedules, name)
				}
			}
		}
	}
	off, on := searchBoth(t, SearchConfig{Bound: 4}, func(s *Sim) error { private(s, 2, 6, false); return nil })
	assert.Less(t, on.Schedules, off.Schedules, "the private processes' interleavings are pruned")
	assert.Positive(t, on.Pruned)
	t.Logf("private, 4 delays: %d schedules (%d runs) without the reduction, %d (%d pruned, %d runs) with it",
		off.Schedules, off.Runs, on.Schedules, on.Pruned, on.Runs)
}

// TestPORFailureReplays: the failing schedule the reduced search reports is one it ran to the
// end, and its tape replays it.
func TestPORFailureReplays(t *testing.T) {
	res, err := Search(SearchConfig{Bound: 3, Cost: CostDeviations}, func(s *Sim) error { privateThenLost(s); return nil })
	require.NoError(t, err)
	require.NotNil(t, res.Failure)
	assert.Equal(t, ViolationKind("lost-update"), res.Failure.First().Kind)
	rep := MustNew(Config{Tape: res.Failure.Tape()})
	privateThenLost(rep)
	assert.Equal(t, res.Failure.Fingerprint, rep.Run().Fingerprint)
}

// TestPORShardsAndResume: with the reduction the shards of a search still split it exactly
// (schedules run and schedules pruned), and a resumed search ends where the whole one does.
func TestPORShardsAndResume(t *testing.T) {
	build := func(s *Sim) error { private(s, 2, 6, false); return nil }
	for _, cost := range []SearchCost{CostDelays, CostDeviations} {
		whole, err := Search(SearchConfig{Bound: 4, Cost: cost}, build)
		require.NoError(t, err)
		require.True(t, whole.Exhausted)
		require.Positive(t, whole.Pruned)
		for _, n := range []int{2, 3} {
			var sched, pruned int
			for k := 1; k <= n; k++ {
				part, err := Search(SearchConfig{Bound: 4, Cost: cost, Shard: k, Shards: n}, build)
				require.NoError(t, err)
				assert.True(t, part.Exhausted)
				sched, pruned = sched+part.Schedules, pruned+part.Pruned
			}
			assert.Equal(t, whole.Schedules, sched, "%s, %d shards", cost, n)
			assert.Equal(t, whole.Pruned, pruned, "%s, %d shards", cost, n)
		}
		for _, stop := range []int{1, (whole.Schedules + whole.Pruned) / 3, (whole.Schedules + whole.Pruned) / 2} {
			var at SearchPoint
			cut, err := Search(SearchConfig{Bound: 4, Cost: cost, MaxSchedules: stop,
				Progress: func(p SearchPoint) { at = p }}, build)
			require.NoError(t, err)
			require.False(t, cut.Exhausted)
			rest, err := Search(SearchConfig{Bound: 4, Cost: cost, Resume: at}, build)
			require.NoError(t, err)
			assert.True(t, rest.Exhausted)
			assert.Equal(t, whole.Schedules, cut.Schedules+rest.Schedules, "%s, stopped after %d", cost, stop)
			assert.Equal(t, whole.Pruned, cut.Pruned+rest.Pruned, "%s, stopped after %d", cost, stop)
		}
	}
}

// TestPORDigestOrdersDependentSteps: the trace digest is the same for two orders of steps that
// touch different objects, and differs when they touch one object or draw from one stream.
func TestPORDigestOrdersDependentSteps(t *testing.T) {
	digestOf := func(build func(*Sim), prefix []uint16) (digest, []uint16) {
		pr := newPORRun(&porTable{seen: map[digest]int32{}}, 0, 0, false)
		s := MustNew(Config{Strategy: "search", Sink: pr.event})
		st := s.strat.(*searchStrategy)
		st.prefix, st.por = prefix, pr
		build(s)
		s.Run()
		return pr.sum.plus(pr.impure), st.sizes
	}
	for _, tc := range []struct {
		name  string
		build func(*Sim)
		same  bool
	}{
		{"private", func(s *Sim) { private(s, 2, 4, false) }, true},
		{"shared", func(s *Sim) { private(s, 2, 4, true) }, false},
		{"own streams", func(s *Sim) { drawers(s, false) }, true},
		{"one stream", func(s *Sim) { drawers(s, true) }, false},
	} {
		// x: p0, p1, p0 to its end, then p1; y: the same with p1's second step moved before
		// p0's third. Both processes have started (a first step is ordered with every step).
		x, _ := digestOf(tc.build, []uint16{0, 1, 1})
		y, _ := digestOf(tc.build, []uint16{0, 1, 1, 1, 1})
		base, _ := digestOf(tc.build, nil)
		assert.NotEqual(t, base, x, "%s: a first step moved is another trace", tc.name)
		if tc.same {
			assert.Equal(t, x, y, "%s: the same trace", tc.name)
		} else {
			assert.NotEqual(t, x, y, "%s: dependent steps reordered", tc.name)
		}
	}
}
