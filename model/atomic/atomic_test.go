package atomic_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/atomic"
)

func run(t *testing.T, sim *des.Sim) des.Result {
	t.Helper()
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	return r
}

func TestIntOperations(t *testing.T) {
	sim := des.MustNew(des.Config{})
	a := atomic.NewInt("refcount", 1)
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		assert.Equal(t, int64(1), a.Read(p))
		a.Inc(p)
		assert.Equal(t, int64(3), a.IncReturn(p))
		assert.Equal(t, int64(2), a.DecReturn(p))
		a.Dec(p)
		assert.Equal(t, int64(6), a.AddReturn(p, 5))
		a.Set(p, 1)
		assert.True(t, a.DecAndTest(p), "1 -> 0")
		assert.False(t, a.IncNotZero(p), "a zero count is not revived")
		assert.Equal(t, int64(0), a.Cmpxchg(p, 0, 7), "returns the old value")
		assert.Equal(t, int64(7), a.Cmpxchg(p, 0, 9), "no store when old differs")
		assert.True(t, a.IncNotZero(p))
		assert.False(t, a.DecAndTest(p), "8 -> 7")
	})
	run(t, sim)
	assert.Equal(t, int64(7), a.Peek())
}

func TestBitsOperations(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b := atomic.NewBits("flags")
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		assert.False(t, b.TestAndSetBit(p, 3))
		assert.True(t, b.TestAndSetBit(p, 3))
		assert.True(t, b.TestBit(p, 3))
		b.SetBit(p, 63)
		b.ClearBit(p, 3)
		assert.False(t, b.TestBit(p, 3))
		assert.True(t, b.TestAndClearBit(p, 63))
		assert.False(t, b.TestAndClearBit(p, 63))
	})
	run(t, sim)
	assert.Zero(t, b.Peek())
	s := des.MustNew(des.Config{})
	s.Spawn("t", des.Task, func(p *des.Proc) { b.SetBit(p, atomic.BitsPerLong) })
	r := s.Run()
	require.NotNil(t, r.First(), "a bit outside the word is a model bug")
	assert.Equal(t, des.KindPanic, r.First().Kind)
}

func TestVarReadWriteOnce(t *testing.T) {
	sim := des.MustNew(des.Config{})
	v := atomic.NewVar("dev->state", "up")
	sim.Spawn("t", des.Task, func(p *des.Proc) {
		assert.Equal(t, "up", v.ReadOnce(p))
		v.WriteOnce(p, "gone")
		assert.Equal(t, "gone", v.ReadOnce(p))
	})
	run(t, sim)
	assert.Equal(t, "gone", v.Peek())
}

// Every operation is a scheduling point: a process spinning on READ_ONCE lets the writer
// run, and the trace shows one event per access.
func TestEveryAccessIsASchedulingPoint(t *testing.T) {
	sim := des.MustNew(des.Config{TraceRing: 64})
	done := atomic.NewVar("done", false)
	spins := 0
	sim.Spawn("poller", des.Task, func(p *des.Proc) {
		for n := 0; n < 100 && !done.ReadOnce(p); n++ {
			spins++
		}
	})
	sim.Spawn("writer", des.Task, func(p *des.Proc) { done.WriteOnce(p, true) })
	run(t, sim)
	assert.Less(t, spins, 100, "the writer ran between two READ_ONCEs")
	n := 0
	for _, e := range sim.Trace() {
		if e.Kind.String() == "READ_ONCE" || e.Kind.String() == "WRITE_ONCE" {
			n++
		}
	}
	assert.Equal(t, spins+2, n, "one event per READ_ONCE (the last one sees true) and the write")
}

// resetters runs two error paths that each start a device reset unless one is pending, the
// check written as the plain-field pattern (READ_ONCE, then WRITE_ONCE) or as
// test_and_set_bit, and returns how many resets started.
func resetters(seed uint64, tas bool) int {
	sim := des.MustNew(des.Config{Seed: seed, Strategy: "random"})
	pending := atomic.NewVar("reset_pending", false)
	flags := atomic.NewBits("adev->flags")
	const resetPending = 0
	resets := 0
	start := func(p *des.Proc) {
		if tas {
			if flags.TestAndSetBit(p, resetPending) {
				return
			}
		} else {
			if pending.ReadOnce(p) {
				return
			}
			pending.WriteOnce(p, true)
		}
		resets++
	}
	sim.Spawn("timeout_handler", des.Worker, start)
	sim.Spawn("ras_handler", des.Worker, start)
	sim.Run()
	return resets
}

func TestCheckThenActRaceFoundByRandom(t *testing.T) {
	first := uint64(0)
	for seed := uint64(1); seed <= 200 && first == 0; seed++ {
		if resetters(seed, false) == 2 {
			first = seed
		}
	}
	require.NotZero(t, first, "the random strategy runs the other handler between READ_ONCE and WRITE_ONCE")
	t.Logf("READ_ONCE/WRITE_ONCE check-then-act: two resets at seed %d", first)
	assert.Equal(t, 2, resetters(first, false), "the seed reproduces")
}

func TestTestAndSetBitIsClean(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		require.Equal(t, 1, resetters(seed, true), "seed %d", seed)
	}
}

// The kref_put idiom: with atomic_dec_and_test exactly one of two putters frees; with a
// READ_ONCE of the count before the decrement both can see 2 and neither frees (a leak), or
// both see 1 and both free.
func TestDecAndTestExactlyOneRelease(t *testing.T) {
	for seed := uint64(1); seed <= 100; seed++ {
		sim := des.MustNew(des.Config{Seed: seed, Strategy: "random"})
		ref := atomic.NewInt("kref", 2)
		released := 0
		put := func(p *des.Proc) {
			if ref.DecAndTest(p) {
				released++
			}
		}
		sim.Spawn("a", des.Task, put)
		sim.Spawn("b", des.Task, put)
		run(t, sim)
		require.Equal(t, 1, released, "seed %d", seed)
	}
}
