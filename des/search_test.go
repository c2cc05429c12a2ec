package des

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lostUpdate is two processes incrementing a counter with a read and a write that are
// separate steps; with guarded, the read-modify-write is one step (no window).
func lostUpdate(s *Sim, guarded bool) {
	count := 0
	for _, name := range []string{"a", "b"} {
		s.Spawn(name, Task, func(p *Proc) {
			if guarded {
				count++
				p.Point(evTouch, objShared, int64(count), 0)
				return
			}
			v := count
			p.Point(evTouch, objShared, int64(v), 0)
			count = v + 1
			p.Point(evTouch, objShared, int64(count), 0)
		})
	}
	s.Spawn("check", Task, func(p *Proc) {
		p.Sleep(Microsecond)
		if count != 2 {
			p.Sim().Violate(p, "lost-update", objShared, "a write was lost")
		}
	})
}

func TestSearchFindsTheBugAndProvesTheFix(t *testing.T) {
	res, err := Search(SearchConfig{Bound: 2}, func(s *Sim) error { lostUpdate(s, false); return nil })
	require.NoError(t, err)
	require.NotNil(t, res.Failure, "the lost update is found")
	assert.Equal(t, 1, res.FailureDelays, "one delay suffices: the base schedule runs a to the end")
	assert.False(t, res.Exhausted)

	// The failing schedule's tape replays exactly.
	rep := MustNew(Config{Tape: res.Failure.Tape()})
	lostUpdate(rep, false)
	r := rep.Run()
	assert.Equal(t, res.Failure.Fingerprint, r.Fingerprint)
	assert.Equal(t, ViolationKind("lost-update"), r.First().Kind)

	res, err = Search(SearchConfig{Bound: 2}, func(s *Sim) error { lostUpdate(s, true); return nil })
	require.NoError(t, err)
	assert.Nil(t, res.Failure)
	assert.True(t, res.Exhausted, "no schedule within bound 2 fails")
	assert.Equal(t, 1, res.ByDelays[0], "one base schedule")
	assert.Equal(t, res.Schedules, res.ByDelays[0]+res.ByDelays[1]+res.ByDelays[2])
}

// TestSearchOrdersEventsAcrossTime: with a delay bound, the search finds the window race
// between events at different virtual times that no same-instant reordering can reach.
func TestSearchOrdersEventsAcrossTime(t *testing.T) {
	build := func(s *Sim) error { windowRace(s, 100*Microsecond, 100*Nanosecond, false); return nil }
	res, err := Search(SearchConfig{Bound: 3}, build)
	require.NoError(t, err)
	assert.Nil(t, res.Failure, "without a delay bound time decides")
	assert.True(t, res.Exhausted)

	res, err = Search(SearchConfig{Bound: 3, Config: Config{DelayBound: 100 * Microsecond}}, build)
	require.NoError(t, err)
	require.NotNil(t, res.Failure, "%d schedules", res.Schedules)
	t.Logf("found after %d schedules, %d delays", res.Schedules, res.FailureDelays)
}

// TestSearchShardsPartitionTheSchedules: the shards of a search run, between them, exactly
// the schedules of the whole search, and a resumed search runs the rest.
func TestSearchShardsPartitionTheSchedules(t *testing.T) {
	build := func(s *Sim) error { lostUpdate(s, true); stress(s, 2); return nil }
	whole, err := Search(SearchConfig{Bound: 2}, build)
	require.NoError(t, err)
	require.True(t, whole.Exhausted)
	sum := 0
	for k := 1; k <= 3; k++ {
		part, err := Search(SearchConfig{Bound: 2, Shard: k, Shards: 3}, build)
		require.NoError(t, err)
		assert.True(t, part.Exhausted)
		sum += part.Schedules
	}
	assert.Equal(t, whole.Schedules, sum)

	var at SearchPoint
	cut, err := Search(SearchConfig{Bound: 2, MaxSchedules: whole.Schedules / 2,
		Progress: func(p SearchPoint) { at = p }}, build)
	require.NoError(t, err)
	assert.False(t, cut.Exhausted)
	rest, err := Search(SearchConfig{Bound: 2, Resume: at}, build)
	require.NoError(t, err)
	assert.True(t, rest.Exhausted)
	assert.Equal(t, whole.Schedules, cut.Schedules+rest.Schedules)
}

func TestSearchRejectsBadBounds(t *testing.T) {
	_, err := Search(SearchConfig{Bound: 9}, func(*Sim) error { return nil })
	assert.ErrorContains(t, err, "search bound 9")
	_, err = Search(SearchConfig{Shard: 3, Shards: 2}, func(*Sim) error { return nil })
	assert.ErrorContains(t, err, "shard 3/2")
}

// newestInWindow is a window between two steps of "first" that the process spawned last
// ("last") must observe before any of the fillers, runnable before it, closes it.
func newestInWindow(s *Sim, fillers int) {
	state := 0
	s.Spawn("first", Task, func(p *Proc) {
		state = 1
		p.Point(evTouch, objShared, 1, 0)
		state = 2
		p.Point(evTouch, objShared, 2, 0)
	})
	for i := 0; i < fillers; i++ {
		s.Spawn("filler", Task, func(p *Proc) {
			p.Point(evTouch, objShared, 0, 0)
			state = 2
			p.Point(evTouch, objShared, 2, 0)
		})
	}
	s.Spawn("last", Task, func(p *Proc) {
		if state == 1 {
			p.Sim().Violate(p, "half-done", objShared, "saw first's state between its two steps")
		}
	})
}

// TestSearchDeviationsReachTheNewestProcess: taking the last of 12 candidates costs 11 delays
// but one deviation, so the deviation-bounded search finds at bound 1 what the delay-bounded
// one cannot at the largest bound.
func TestSearchDeviationsReachTheNewestProcess(t *testing.T) {
	build := func(s *Sim) error { newestInWindow(s, 10); return nil }
	res, err := Search(SearchConfig{Bound: 3, MaxSchedules: 50_000}, build)
	require.NoError(t, err)
	assert.Nil(t, res.Failure, "11 delays away")
	assert.True(t, res.Exhausted)

	res, err = Search(SearchConfig{Bound: 1, Cost: CostDeviations}, build)
	require.NoError(t, err)
	require.NotNil(t, res.Failure)
	assert.Equal(t, 1, res.FailureDelays)
	assert.Equal(t, ViolationKind("half-done"), res.Failure.First().Kind)
	rep := MustNew(Config{Tape: res.Failure.Tape()})
	newestInWindow(rep, 10)
	assert.Equal(t, res.Failure.Fingerprint, rep.Run().Fingerprint, "the failing schedule replays")
}

// TestSearchDeviationsCountEveryPick: at bound 1 the deviation search runs the base and one
// schedule per (decision, other candidate) pair of the base, each exactly once.
func TestSearchDeviationsCountEveryPick(t *testing.T) {
	build := func(s *Sim) error { lostUpdate(s, true); return nil }
	dev, err := Search(SearchConfig{Bound: 1, Cost: CostDeviations}, build)
	require.NoError(t, err)
	del, err := Search(SearchConfig{Bound: 8}, build)
	require.NoError(t, err)
	assert.True(t, dev.Exhausted)
	assert.Equal(t, 1, dev.ByDelays[0])
	assert.LessOrEqual(t, dev.Schedules, del.Schedules, "bound 1 of deviations is within 8 delays here")

	// Sharding and resuming split and continue the same sequence of schedules.
	var parts int
	for k := 1; k <= 3; k++ {
		r, err := Search(SearchConfig{Bound: 1, Cost: CostDeviations, Shard: k, Shards: 3}, build)
		require.NoError(t, err)
		parts += r.Schedules
	}
	assert.Equal(t, dev.Schedules, parts)
}

func TestParseSearchCost(t *testing.T) {
	for _, c := range []SearchCost{CostDelays, CostDeviations} {
		got, err := ParseSearchCost(c.String())
		require.NoError(t, err)
		assert.Equal(t, c, got)
	}
	_, err := ParseSearchCost("preemptions")
	assert.Error(t, err)
	_, err = Search(SearchConfig{Cost: 7}, func(*Sim) error { return nil })
	assert.Error(t, err)
}
