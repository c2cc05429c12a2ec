package des

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

var (
	testSimKey  = NewSimKey[int]()
	testProcKey = NewProcKey[int]()
)

// TestLocalsKeepOneValuePerKeyAndOwner: a Sim and each process have their own value under a
// key, made once, and a key made later (a higher slot) does not disturb the earlier ones.
func TestLocalsKeepOneValuePerKeyAndOwner(t *testing.T) {
	s := MustNew(Config{})
	made := 0
	mk := func(got *Sim) *int { made++; assert.Same(t, s, got, "mk is passed its owner"); return new(int) }
	mkP := func(p *Proc) *int { made++; assert.Equal(t, s, p.Sim()); return new(int) }
	*testSimKey.Get(s, mk) = 5
	assert.Equal(t, 5, *testSimKey.Get(s, mk))
	assert.Equal(t, 1, made, "mk runs once per key and owner")
	s.Spawn("a", Task, func(p *Proc) {
		*testProcKey.Get(p, mkP) = 7
		assert.Equal(t, 7, *testProcKey.Get(p, mkP))
	})
	s.Spawn("b", Task, func(p *Proc) { assert.Equal(t, 0, *testProcKey.Get(p, mkP), "a's value is a's") })
	s.Run()
	assert.Equal(t, 3, made)
	assert.Equal(t, 5, *testSimKey.Get(MustNew(Config{}), func(_ *Sim) *int { v := 5; return &v }), "another Sim makes its own")

	keys := make([]SimKey[string], 20)
	for i := range keys {
		keys[i] = NewSimKey[string]()
	}
	for i := len(keys) - 1; i >= 0; i-- { // highest slot first: the others fit without growing
		keys[i].Get(s, func(s *Sim) *string { v := fmt.Sprint(i); return &v })
	}
	for i, k := range keys {
		assert.Equal(t, fmt.Sprint(i), *k.Get(s, func(s *Sim) *string { t.Fatal("made again"); return nil }))
	}
	assert.Equal(t, 5, *testSimKey.Get(s, mk), "still there after the slots grew")
}

// TestLocalMadeAsNilIsFoundAgain: mk runs once even when it makes nil.
func TestLocalMadeAsNilIsFoundAgain(t *testing.T) {
	s := MustNew(Config{})
	k := NewSimKey[int]()
	made := 0
	mk := func(*Sim) *int { made++; return nil }
	assert.Nil(t, k.Get(s, mk))
	assert.Nil(t, k.Get(s, mk))
	assert.Equal(t, 1, made)
}

// TestLocalsGetAllocatesNothing: a value found again costs no allocation, and the maker, which
// captures nothing, is no closure to allocate.
func TestLocalsGetAllocatesNothing(t *testing.T) {
	s := MustNew(Config{})
	k := NewSimKey[int]()
	get := func() { k.Get(s, func(*Sim) *int { return new(int) }) }
	get()
	assert.Zero(t, testing.AllocsPerRun(100, get))
}

// TestZeroKeyIsRejected: a key not made by NewSimKey/NewProcKey would share a slot silently.
func TestZeroKeyIsRejected(t *testing.T) {
	s := MustNew(Config{})
	assert.PanicsWithValue(t, "des: a local's key was not made by NewSimKey or NewProcKey", func() {
		SimKey[int]{}.Get(s, func(s *Sim) *int { return new(int) })
	})
	s.Spawn("p", Task, func(p *Proc) {
		assert.Panics(t, func() { ProcKey[int]{}.Get(p, func(p *Proc) *int { return new(int) }) })
	})
	s.Run()
}
