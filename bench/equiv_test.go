package bench

import (
	"fmt"
	"testing"

	"hotplugsim/des"
)

// TestSameEvents runs every model on every implementation at a small size for a few seeds and
// checks that all of them produce the same logical events: same count, same canonical hash,
// same final virtual time.
func TestSameEvents(t *testing.T) {
	const size = 10_000
	seeds := []uint64{1, 2, 42}
	for _, m := range Models {
		for _, seed := range seeds {
			t.Run(fmt.Sprintf("%s/seed=%d", m.Name, seed), func(t *testing.T) {
				var want Result
				for i, impl := range Impls {
					r, err := m.Run(impl)(size, seed)
					if err != nil {
						t.Fatalf("%s: %v", impl.Name, err)
					}
					if r.Events != 2*size {
						t.Errorf("%s: %d events, want %d", impl.Name, r.Events, 2*size)
					}
					if i == 0 {
						want = r
						continue
					}
					if r.Hash != want.Hash || r.Events != want.Events || r.End != want.End {
						t.Errorf("%s: %v\n%s: %v", impl.Name, r, Impls[0].Name, want)
					}
				}
			})
		}
	}
}

// TestSeedsDiffer guards against a hash that ignores the random draws.
func TestSeedsDiffer(t *testing.T) {
	a, _ := MM1Floor(1000, 1)
	b, _ := MM1Floor(1000, 2)
	if a.Hash == b.Hash {
		t.Errorf("seeds 1 and 2 give the same M/M/1 hash %016x", a.Hash)
	}
}

// TestSmallSizes checks the edge sizes, odd handoff counts included, on every implementation.
func TestSmallSizes(t *testing.T) {
	for _, m := range Models {
		for _, size := range []int{0, 1, 2, 3, 7} {
			var want Result
			for i, impl := range Impls {
				r, err := m.Run(impl)(size, 7)
				if err != nil {
					t.Fatalf("%s %s size %d: %v", m.Name, impl.Name, size, err)
				}
				if r.Events != uint64(2*size) {
					t.Errorf("%s %s size %d: %d events, want %d", m.Name, impl.Name, size, r.Events, 2*size)
				}
				if i == 0 {
					want = r
				} else if r.Hash != want.Hash || r.End != want.End {
					t.Errorf("%s %s size %d: %v, des %v", m.Name, impl.Name, size, r, want)
				}
			}
		}
	}
}

// TestHasherCanonical checks that the order of events within one timestamp does not matter and
// that the order across timestamps does.
func TestHasherCanonical(t *testing.T) {
	var a, b, c Hasher
	a.Event(1, KindArrival, 3)
	a.Event(1, KindDeparture, 2)
	a.Event(5, KindArrival, 4)
	b.Event(1, KindDeparture, 2)
	b.Event(1, KindArrival, 3)
	b.Event(5, KindArrival, 4)
	c.Event(1, KindArrival, 3)
	c.Event(5, KindDeparture, 2)
	c.Event(5, KindArrival, 4)
	ha, na := a.Sum()
	hb, nb := b.Sum()
	hc, _ := c.Sum()
	if ha != hb || na != nb || na != 3 {
		t.Errorf("reordering within a timestamp changed the hash: %x/%d vs %x/%d", ha, na, hb, nb)
	}
	if ha == hc {
		t.Errorf("moving an event to another timestamp did not change the hash")
	}
}

// TestDESTapeReplaysMM1: the tape des records during the benchmark run (kept as counted runs,
// expanded on demand) holds every draw, and replaying it gives the same events.
func TestDESTapeReplaysMM1(t *testing.T) {
	const size = 5000
	orig, res, err := mm1DESRun(size, des.Config{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	tape := res.Tape()
	if n := len(tape.Streams["arrival"]); n != size {
		t.Errorf("tape holds %d arrival draws, want %d", n, size)
	}
	rep, _, err := mm1DESRun(size, des.Config{Tape: tape})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hash != orig.Hash || rep.End != orig.End {
		t.Errorf("replay %v, recorded %v", rep, orig)
	}
}

// TestCoroutineReferenceMatchesFloor checks that the bare-coroutine ping-pong peerbench uses
// as a reference simulates the same events as the floor, at odd and even sizes (the last
// hand-off goes to A or to B).
func TestCoroutineReferenceMatchesFloor(t *testing.T) {
	for _, size := range []int{1, 2, 3, 10, 1001} {
		want, err := PingPongFloor(size, 1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := PingPongCoroutines(size, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Hash != want.Hash || got.Events != want.Events || got.End != want.End {
			t.Errorf("size %d: coroutines %v, floor %v", size, got, want)
		}
	}
}
