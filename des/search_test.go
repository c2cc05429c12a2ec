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
