package des

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type refItem struct {
	at  Time
	seq uint64
	v   int
}

// TestTimerQueueMatchesReference drives the engine's intrusive timer queue with random
// pushes, pops and cancels of a pool of processes (each queued at most once, as in the
// engine) and checks every pop against a sorted reference and every position a process
// believes it has.
func TestTimerQueueMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	procs := make([]*Proc, 64)
	for i := range procs {
		procs[i] = &Proc{id: int32(i)}
	}
	var q timerQueue
	var ref []refItem
	var seq uint64
	byTime := func(a, b refItem) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return int(a.seq) - int(b.seq)
	}
	for op := 0; op < 20000; op++ {
		p := procs[r.IntN(len(procs))]
		switch k := r.IntN(10); {
		case k < 5 && p.tidx == 0:
			seq++
			at := Time(r.IntN(50))
			q.push(at, seq, p)
			ref = append(ref, refItem{at, seq, int(p.id)})
		case k < 8 && len(ref) > 0:
			slices.SortFunc(ref, byTime)
			at, _ := q.Min()
			require.Equal(t, ref[0].at, at)
			got := q.pop()
			require.Equal(t, ref[0].v, int(got.id))
			assert.Zero(t, got.tidx, "a popped process is no longer queued")
			ref = ref[1:]
		case k >= 8:
			queued := p.tidx != 0
			q.cancel(p)
			assert.Zero(t, p.tidx)
			i := slices.IndexFunc(ref, func(e refItem) bool { return e.v == int(p.id) })
			require.Equal(t, queued, i >= 0, "cancel of %d", p.id)
			if i >= 0 {
				ref = slices.Delete(ref, i, i+1)
			}
		}
		require.Equal(t, len(ref), q.Len())
		for i, e := range q.items {
			require.Equal(t, int32(i+1), e.p.tidx, "entry %d's process knows its position", i)
		}
	}
}

func TestTimerQueueSteadyStateDoesNotAllocate(t *testing.T) {
	var q timerQueue
	a, b := &Proc{}, &Proc{}
	q.push(1, 1, a)
	q.push(2, 2, b)
	seq := uint64(2)
	allocs := testing.AllocsPerRun(1000, func() {
		p := q.pop()
		seq++
		q.push(Time(seq), seq, p)
		q.cancel(b)
		seq++
		q.push(Time(seq), seq, b)
	})
	assert.Zero(t, allocs)
}
