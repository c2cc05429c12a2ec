package des

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type reused struct {
	n    int
	buf  []int
	seen bool
}

func (r *reused) Recycle() { *r = reused{buf: r.buf[:0]} }

type plain struct{ a, b int }

var (
	reusedKey = NewSlabKey[reused]()
	plainKey  = NewSlabKey[plain]()
)

// TestPoolReuseIsInvisible: runs that reuse a pool's objects (processes, wait queues,
// completions, streams, buffers), in any order, with and without a tape and a trace ring, give
// the fingerprints, results and traces of runs made afresh.
func TestPoolReuseIsInvisible(t *testing.T) {
	type out struct {
		fp    string
		n     int
		k     uint64
		trace int
		tape  int
	}
	run := func(c int, pool *Pool, ring int, noTape bool) out {
		cs := detCases[c%len(detCases)]
		s, err := New(Config{Seed: cs.seed + uint64(c/len(detCases)), Strategy: cs.strat, Pool: pool,
			TraceRing: ring, NoTape: noTape})
		require.NoError(t, err)
		stress(s, 4+c%3)
		r := s.Run()
		o := out{fp: fp(r), n: r.N, k: r.K, trace: len(s.Trace())}
		if tp := r.Tape(); tp != nil {
			o.tape = tp.Len()
		}
		return o
	}
	const cases = 15
	var fresh []out
	for c := range cases {
		fresh = append(fresh, run(c, nil, 0, false))
	}
	pool := NewPool(0)
	defer pool.Close()
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
		{14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, {7, 2, 11, 0, 14, 5, 9, 3, 12, 1, 8, 13, 4, 10, 6}} {
		for i, c := range order {
			ring, noTape := []int{0, -1, 16}[i%3], i%2 == 0
			got := run(c, pool, ring, noTape)
			want := fresh[c]
			if noTape {
				want.tape = 0
			}
			if ring != 0 {
				want.trace = min(want.trace, max(ring, 0))
			}
			assert.Equal(t, want, got, "case %d after %v", c, order[:i])
		}
	}
}

// A tape taken from a run stays whole after the pool's next runs reuse its streams.
func TestPoolReuseKeepsTapes(t *testing.T) {
	pool := NewPool(0)
	defer pool.Close()
	s := MustNew(Config{Seed: 3, Strategy: "random", Pool: pool})
	stress(s, 5)
	r := s.Run()
	for seed := uint64(10); seed < 20; seed++ {
		runStress(t, Config{Seed: seed, Strategy: "random", Pool: pool}, 5)
	}
	replayed := MustNew(Config{Tape: r.Tape()})
	stress(replayed, 5)
	assert.Equal(t, fp(r), fp(replayed.Run()))
}

// SlabKey hands out zeroed or recycled objects, the same ones run after run on one pool, and
// fresh ones without a pool or while another Sim has the pool's arena.
func TestSlabKey(t *testing.T) {
	pool := NewPool(0)
	defer pool.Close()
	var first []*reused
	for run := range 3 {
		s := MustNew(Config{Pool: pool})
		busy := MustNew(Config{Pool: pool}) // made while s has the arena: allocates afresh
		var got []*reused
		for i := range 5 {
			r := reusedKey.New(s)
			assert.Equal(t, 0, r.n)
			assert.Empty(t, r.buf)
			assert.False(t, r.seen)
			r.n, r.seen = i+1, true
			r.buf = append(r.buf, i, i, i)
			got = append(got, r)
			p := plainKey.New(s)
			assert.Equal(t, plain{}, *p, fmt.Sprintf("run %d", run))
			p.a, p.b = 1, 2
			assert.NotSame(t, r, reusedKey.New(busy))
		}
		if run == 0 {
			first = got
		} else {
			for i := range got {
				assert.Same(t, first[i], got[i], "reused")
				assert.GreaterOrEqual(t, cap(got[i].buf), 3, "capacity kept")
			}
		}
		busy.Run()
		s.Run()
	}
	lone := MustNew(Config{})
	assert.NotSame(t, first[0], reusedKey.New(lone))
	lone.Run()
}

// A worker that reuses its pool allocates little per run once warm.
func TestPoolReuseAllocations(t *testing.T) {
	pool := NewPool(0)
	defer pool.Close()
	seed := uint64(0)
	runOne := func() {
		seed++
		s := MustNew(Config{Seed: seed, Strategy: "random", Pool: pool, NoTape: true, TraceRing: -1})
		q := NewWaitQueue(s, "q")
		c := NewCompletion(s, "c")
		s.Spawn("a", Task, func(p *Proc) { q.WaitTimeout(p, func() bool { return false }, 10); c.Complete() })
		s.Spawn("b", Task, func(p *Proc) { c.Wait(p); p.Sleep(5) })
		s.Run()
	}
	for range 5 {
		runOne()
	}
	allocs := testing.AllocsPerRun(50, runOne)
	// The Sim itself, its strategy's generator and the two closures; not the processes,
	// queues, completion or streams.
	t.Logf("%v allocs per run", allocs)
	assert.LessOrEqual(t, allocs, 8.0)
}

// TestJoinCachesByContent: Join and JoinN give a+b whatever the strings' addresses: prefixes of
// one buffer (same address, other lengths), equal texts at other addresses, and enough names
// to collide in the worker's cache.
func TestJoinCachesByContent(t *testing.T) {
	pool := NewPool(0)
	defer pool.Close()
	buf := strings.Repeat("abcdefgh", 64)
	for run := range 3 {
		s := MustNew(Config{Pool: pool})
		for i := range 3 * joinCacheSlots {
			a, b := buf[:i%50], buf[:(i*7)%60]
			if run == 1 {
				a, b = strings.Clone(a), strings.Clone(b)
			}
			require.Equal(t, a+b, Join(s, a, b))
			require.Equal(t, a+strconv.Itoa(i), JoinN(s, a, uint64(i)))
			require.Equal(t, a, L(a).String())
		}
		s.Run()
	}
}

// TestJoinedNamesAreSharedByWorkers: two workers (Pools) that make the same names get the
// same strings. The label cache is indexed by a string's address and shared by all workers:
// with a copy of every name per worker, sixteen workers fill it with sixteen times the
// strings of one, and the lookups whose slots collide miss, allocate and write to memory
// every worker reads, in every run.
func TestJoinedNamesAreSharedByWorkers(t *testing.T) {
	var names [2][3]string
	for w := range 2 {
		pool := NewPool(0)
		defer pool.Close()
		s := MustNew(Config{Pool: pool})
		names[w] = [3]string{Join(s, "timer:", "shared-worker-name"), JoinN(s, "shared-worker-bo", 7),
			JoinX(s, "shared-worker-bar", 0x1f)}
		s.Run()
	}
	for i := range names[0] {
		require.Equal(t, names[0][i], names[1][i])
		assert.Same(t, unsafe.StringData(names[0][i]), unsafe.StringData(names[1][i]), names[0][i])
		assert.Equal(t, names[0][i], L(names[1][i]).String())
	}
}
