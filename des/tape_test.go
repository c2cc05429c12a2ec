package des

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReplayReproducesRunExactly(t *testing.T) {
	for _, strat := range []string{"fifo", "random", "random:100ns", "pct:2:300", "pct:3:300"} {
		for seed := uint64(0); seed < 10; seed++ {
			orig := runStress(t, Config{Seed: seed, Strategy: strat}, 5)
			var buf bytes.Buffer
			require.NoError(t, orig.Tape().Encode(&buf))
			tape, err := DecodeTape(&buf)
			require.NoError(t, err)

			rep := runStress(t, Config{Tape: tape}, 5)
			require.Equal(t, fp(orig), fp(rep), "%s seed %d", strat, seed)
			assert.Equal(t, "replay", rep.Strategy)
			assert.Zero(t, rep.TapeShort)
			assert.Zero(t, rep.TapeMisfit)
			assert.Equal(t, orig.Tape().Streams, rep.Tape().Streams, "replay records the same tape")
		}
	}
}

// TestReplayIgnoresStrategySeed: the tape, not the seed, drives a replay.
func TestReplayIgnoresStrategySeed(t *testing.T) {
	orig := runStress(t, Config{Seed: 11, Strategy: "random"}, 5)
	rep := runStress(t, Config{Seed: 999, Strategy: "replay", Tape: orig.Tape()}, 5)
	assert.Equal(t, fp(orig), fp(rep))
}

func TestCutTapeYieldsDefaultsAndSaysSo(t *testing.T) {
	orig := runStress(t, Config{Seed: 4, Strategy: "random"}, 5)
	cut := orig.Tape().Clone()
	cut.Streams["sched"] = cut.Streams["sched"][:len(cut.Streams["sched"])/3]
	delete(cut.Streams, "w1")
	rep := runStress(t, Config{Tape: cut}, 5)
	assert.Positive(t, rep.TapeShort)
	assert.NotEqual(t, fp(orig), fp(rep))
	assert.Empty(t, rep.Violations)

	// Values that do not fit (a pick past the number of runnable processes) become 0.
	bad := orig.Tape().Clone()
	for i := range bad.Streams["sched"] {
		bad.Streams["sched"][i] = 1000
	}
	rep = runStress(t, Config{Tape: bad}, 5)
	assert.Positive(t, rep.TapeMisfit)

	// Default picks are index 0, the fifo choice: a fifo tape with its picks cut replays the
	// fifo run exactly.
	fifo := runStress(t, Config{Seed: 4, Strategy: "fifo"}, 5)
	noPicks := fifo.Tape().Clone()
	delete(noPicks.Streams, "sched")
	rep = runStress(t, Config{Tape: noPicks}, 5)
	assert.Equal(t, fp(fifo), fp(rep))
	assert.Positive(t, rep.TapeShort)
}

func TestTapeSaveLoad(t *testing.T) {
	dir := t.TempDir()
	orig := runStress(t, Config{Seed: 2, Strategy: "pct:2:200"}, 4)
	orig.Tape().Meta = map[string]string{"scenario": "stress"}
	path := filepath.Join(dir, "run.tape")
	require.NoError(t, orig.Tape().Save(path))
	got, err := LoadTape(path)
	require.NoError(t, err)
	assert.Equal(t, orig.Tape(), got)
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file left behind")

	err = orig.Tape().Save(filepath.Join(dir, "missing", "x.tape"))
	assert.ErrorContains(t, err, "cannot write tape")
}

// Save replaces an older tape whole; a failed Save leaves what was at the path as it was
// and no temporary file beside it.
func TestTapeSaveReplacesOrLeavesAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.tape")
	require.NoError(t, os.WriteFile(path, []byte("an older, longer tape file than the new one ......"), 0o600))
	tape := runStress(t, Config{Seed: 3, Strategy: "fifo"}, 2).Tape()
	require.NoError(t, tape.Save(path))
	got, err := LoadTape(path)
	require.NoError(t, err)
	assert.Equal(t, tape, got)

	busy := filepath.Join(dir, "busy")
	require.NoError(t, os.Mkdir(busy, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(busy, "keep"), []byte("x"), 0o600))
	err = tape.Save(busy)
	assert.ErrorContains(t, err, "cannot write tape "+busy)
	kept, err := os.ReadFile(filepath.Join(busy, "keep"))
	require.NoError(t, err)
	assert.Equal(t, "x", string(kept), "a directory at the path is not replaced")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 2, "no temporary file left behind")
}

func TestCorruptTapeIsAnInputError(t *testing.T) {
	for name, text := range map[string]string{
		"garbage":          "\x00\x01not json",
		"truncated":        `{"format":"hotplugsim-tape","version":1,"streams":{"sched":[1,2`,
		"wrong format":     `{"format":"other","version":1,"streams":{}}`,
		"future version":   `{"format":"hotplugsim-tape","version":99,"streams":{}}`,
		"no streams":       `{"format":"hotplugsim-tape","version":1,"strategy":"fifo"}`,
		"unknown field":    `{"format":"hotplugsim-tape","version":1,"streams":{},"bogus":1}`,
		"negative value":   `{"format":"hotplugsim-tape","version":1,"strategy":"fifo","streams":{"sched":[-1]}}`,
		"empty name":       `{"format":"hotplugsim-tape","version":1,"strategy":"fifo","streams":{"":[1]}}`,
		"unknown strategy": `{"format":"hotplugsim-tape","version":1,"strategy":"lifo","streams":{}}`,
	} {
		_, err := DecodeTape(strings.NewReader(text))
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrBadTape, name)
		assert.NotContains(t, err.Error(), "\n", "one-line error")
	}
	path := filepath.Join(t.TempDir(), "bad.tape")
	require.NoError(t, os.WriteFile(path, []byte("nope"), 0o644))
	_, err := LoadTape(path)
	assert.ErrorContains(t, err, path)
	_, err = LoadTape(filepath.Join(t.TempDir(), "absent.tape"))
	assert.ErrorContains(t, err, "cannot read tape")
}

func TestStreamsAreIndependent(t *testing.T) {
	a := MustNew(Config{Seed: 9})
	b := MustNew(Config{Seed: 9})
	x := a.Stream("x")
	for i := 0; i < 10; i++ {
		b.Stream("y").Uint64() // extra draws elsewhere
	}
	y := b.Stream("x")
	for i := 0; i < 10; i++ {
		assert.Equal(t, x.Uint64(), y.Uint64())
	}
	// Stream values match the documented PCG derivation.
	pcg := StreamPCG(9, "z")
	z := a.Stream("z")
	assert.Equal(t, float64(pcg.Uint64()>>11)*0x1p-53, z.Float64())
	for i := 0; i < 1000; i++ {
		v := z.Intn(7)
		assert.True(t, v >= 0 && v < 7)
		d := z.Between(3, 5)
		assert.True(t, d >= 3 && d <= 5)
		assert.GreaterOrEqual(t, z.Exp(100), Duration(0))
	}
	assert.Panics(t, func() { z.Intn(0) })
}

// TestTapeHoldsEveryValueDrawn: the recording keeps generated draws as counted runs and
// regenerates them; the tape must still hold exactly the values handed out, in order, for
// every kind of draw, mixed with recorded literals, across literal chunk boundaries.
func TestTapeHoldsEveryValueDrawn(t *testing.T) {
	s := MustNew(Config{Seed: 3})
	st := s.Stream("mixed")
	var want []uint64
	for i := range 3 * recChunk {
		switch i % 7 {
		case 0, 1:
			want = append(want, uint64(st.Intn(5)))
		case 2:
			want = append(want, uint64(st.Intn(1000+i)))
		case 3:
			want = append(want, uint64(st.Float64()*0x1p53))
		case 4:
			want = append(want, st.Uint64())
		default:
			st.record(uint64(i))
			want = append(want, uint64(i))
		}
	}
	for range 100 {
		want = append(want, uint64(st.Float64()*0x1p53))
	}
	r := s.Run()
	require.Equal(t, want, r.Tape().Streams["mixed"])

	// Replaying that stream hands out the same values.
	rs := MustNew(Config{Tape: r.Tape()})
	rst := rs.Stream("mixed")
	for i, w := range want[:7] {
		var got uint64
		switch i % 7 {
		case 0, 1:
			got = uint64(rst.Intn(5))
		case 2:
			got = uint64(rst.Intn(1000 + i))
		case 3:
			got = uint64(rst.Float64() * 0x1p53)
		case 4:
			got = rst.Uint64()
		default:
			got = uint64(rst.Intn(1 << 30))
		}
		assert.Equal(t, w, got, "draw %d", i)
	}
}

// TestResultTapeIsBuiltOnceAndFrozen: the tape is expanded on the first Tape call, later calls
// (and copies of the Result) return the same Tape, draws made after Run do not change it, and a
// run with NoTape has none.
func TestResultTapeIsBuiltOnceAndFrozen(t *testing.T) {
	s := MustNew(Config{Seed: 5})
	st := s.Stream("x")
	want := []uint64{uint64(st.Intn(10)), uint64(st.Intn(10))}
	r := s.Run()
	st.Intn(10) // after the run: not part of it
	copied := r
	tape := r.Tape()
	require.NotNil(t, tape)
	assert.Same(t, tape, copied.Tape())
	assert.Equal(t, want, tape.Streams["x"])

	s = MustNew(Config{Seed: 5, NoTape: true})
	s.Stream("x").Intn(10)
	assert.Nil(t, s.Run().Tape())
}
