package metrics_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

func randomHist(rng *rand.Rand, n int, spread int64) (*metrics.Histogram, []des.Duration) {
	h := &metrics.Histogram{}
	var vals []des.Duration
	for range n {
		v := des.Duration(rng.Int64N(spread))
		if rng.IntN(10) == 0 {
			v *= 1000 // a heavy tail
		}
		h.Observe(v)
		vals = append(vals, v)
	}
	return h, vals
}

// nearestRank is the textbook definition on a sorted slice.
func nearestRank(sorted []des.Duration, num, den int) des.Duration {
	n := len(sorted)
	rank := (num*n + den - 1) / den
	rank = max(rank, 1)
	return sorted[rank-1]
}

func TestQuantilesExactAgainstSortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	qs := []struct {
		q        float64
		num, den int
	}{{0, 0, 1}, {0.5, 1, 2}, {0.9, 9, 10}, {0.99, 99, 100}, {0.999, 999, 1000}, {1, 1, 1}, {0.25, 1, 4}}
	for _, n := range []int{1, 2, 3, 7, 10, 100, 999, 1000, 1001, 12345} {
		for _, spread := range []int64{1, 5, 1000, 1 << 40} {
			h, vals := randomHist(rng, n, spread)
			slices.Sort(vals)
			for _, q := range qs {
				require.Equal(t, nearestRank(vals, q.num, q.den), h.Quantile(q.q), "n=%d spread=%d q=%v", n, spread, q.q)
			}
			assert.Equal(t, vals[0], h.Min())
			assert.Equal(t, vals[len(vals)-1], h.Max())
			assert.Equal(t, uint64(n), h.Count())
		}
	}
}

func TestRank(t *testing.T) {
	assert.Equal(t, uint64(999), metrics.Rank(0.999, 1000))
	assert.Equal(t, uint64(1000), metrics.Rank(0.999, 1001))
	assert.Equal(t, uint64(1), metrics.Rank(0, 5))
	assert.Equal(t, uint64(5), metrics.Rank(1, 5))
	assert.Equal(t, uint64(5), metrics.Rank(7, 5))
	assert.Equal(t, uint64(0), metrics.Rank(0.5, 0))
	assert.Equal(t, ^uint64(0), metrics.Rank(1, ^uint64(0)))
	assert.Equal(t, uint64(1)<<63, metrics.Rank(0.5, ^uint64(0)))
}

func TestEmptyHistogram(t *testing.T) {
	var h metrics.Histogram
	assert.Equal(t, des.Duration(0), h.Quantile(0.5))
	assert.Equal(t, metrics.Summary{}, h.Summary())
	b, err := json.Marshal(&h)
	require.NoError(t, err)
	assert.Equal(t, `{"count":0,"ns":[]}`, string(b))
}

func TestSummary(t *testing.T) {
	var h metrics.Histogram
	for i := 1; i <= 1000; i++ {
		h.Observe(des.Duration(i) * des.Microsecond)
	}
	s := h.Summary()
	assert.Equal(t, metrics.Summary{Count: 1000, Min: des.Microsecond, Mean: 500500 * des.Nanosecond,
		P50: 500 * des.Microsecond, P90: 900 * des.Microsecond, P99: 990 * des.Microsecond,
		P999: 999 * des.Microsecond, Max: 1000 * des.Microsecond}, s)
}

func encode(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestMergeAssociativeAndCommutative(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		a, _ := randomHist(rng, rng.IntN(200), 100)
		b, _ := randomHist(rng, rng.IntN(200), 100)
		c, _ := randomHist(rng, rng.IntN(200), 100000)
		ab := a.Clone()
		ab.Merge(b)
		abc1 := ab.Clone()
		abc1.Merge(c)
		bc := b.Clone()
		bc.Merge(c)
		abc2 := a.Clone()
		abc2.Merge(bc)
		cba := c.Clone()
		cba.Merge(b)
		cba.Merge(a)
		require.True(t, abc1.Equal(abc2))
		require.True(t, abc1.Equal(cba))
		require.Equal(t, encode(t, abc1), encode(t, abc2))
		require.Equal(t, encode(t, abc1), encode(t, cba))
		require.Equal(t, a.Count()+b.Count()+c.Count(), abc1.Count())
	}
}

func TestMergeEqualsObservingAll(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, va := randomHist(rng, 300, 50)
	b, vb := randomHist(rng, 300, 5000)
	all := &metrics.Histogram{}
	for _, v := range append(va, vb...) {
		all.Observe(v)
	}
	a.Merge(b)
	assert.True(t, a.Equal(all))
	self := all.Clone()
	self.Merge(self)
	assert.Equal(t, 2*all.Count(), self.Count())
	assert.Equal(t, all.Quantile(0.99), self.Quantile(0.99))
}

func TestHistogramJSONRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	h, _ := randomHist(rng, 500, 1000)
	h.Observe(-5) // a negative duration is a model bug, but it must survive a round trip
	b, err := json.Marshal(h)
	require.NoError(t, err)
	var back metrics.Histogram
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, h.Equal(&back))
	assert.Equal(t, h.Summary(), back.Summary())
}

func TestHistogramJSONRejectsCorruptInput(t *testing.T) {
	for _, in := range []string{
		`{"ns":[[1,1]]}`,
		`{"count":2,"ns":[[1,1]]}`,
		`{"count":2,"ns":[[2,1],[1,1]]}`,
		`{"count":2,"ns":[[1,1],[1,1]]}`,
		`{"count":1,"ns":[[1,0],[2,1]]}`,
		`{"count":1,"ns":[[1.5,1]]}`,
		`{"count":1,"ns":[[1,1,1]]}`,
		`{"count":1,"ns":[[1,-1]]}`,
		`{"count":1,"ns":[[1,1]],"extra":1}`,
		`{"count":0,"ns":[[1,18446744073709551615],[2,1]]}`,
		`{"count":`,
		`[]`,
	} {
		var h metrics.Histogram
		err := json.Unmarshal([]byte(in), &h)
		require.Error(t, err, in)
		assert.NotContains(t, err.Error(), "\n")
	}
}

func TestNilRecorderIsFreeAndSilent(t *testing.T) {
	var r *metrics.Recorder
	assert.False(t, r.On())
	allocs := testing.AllocsPerRun(1000, func() {
		r.Observe(metrics.Fault, des.Microsecond)
		r.ObserveSpan(metrics.Fence, 0, 10)
	})
	assert.Zero(t, allocs)
	assert.Nil(t, r.Names())
	assert.Nil(t, r.Histogram(metrics.Fault))
	assert.Nil(t, r.Summaries())
}

func TestRecorderObserveMergeEncode(t *testing.T) {
	a := metrics.NewRecorder()
	b := metrics.NewRecorder()
	a.Observe(metrics.Ioctl("AMDGPU_CS"), 3*des.Microsecond)
	a.Observe(metrics.Fault, 2*des.Microsecond)
	b.Observe(metrics.Fault, 7*des.Microsecond)
	b.ObserveSpan(metrics.BarMoveStall("0000:03:00.0"), 100, 600)
	a.Merge(b)
	assert.Equal(t, []string{"barmove-stall/0000:03:00.0", "fault", "ioctl/AMDGPU_CS"}, a.Names())
	assert.Equal(t, 7*des.Microsecond, a.Histogram(metrics.Fault).Max())
	assert.Equal(t, des.Duration(500), a.Histogram("barmove-stall/0000:03:00.0").Max())

	var buf bytes.Buffer
	require.NoError(t, a.Encode(&buf))
	assert.Equal(t, `{"format":"hotplugsim-metrics","version":1,"metrics":{"barmove-stall/0000:03:00.0":{"count":1,"ns":[[500,1]]},"fault":{"count":2,"ns":[[2000,1],[7000,1]]},"ioctl/AMDGPU_CS":{"count":1,"ns":[[3000,1]]}}}`+"\n", buf.String())
	back, err := metrics.Decode(&buf)
	require.NoError(t, err)
	assert.Equal(t, a.Summaries(), back.Summaries())

	// The zero Recorder works too.
	var z metrics.Recorder
	z.Observe("x", 1)
	z.Merge(a)
	assert.Len(t, z.Names(), 4)
}

func TestDecodeRejects(t *testing.T) {
	for _, in := range []string{
		``, `{}`, `{"format":"hotplugsim-metrics","version":2,"metrics":{}}`,
		`{"format":"hotplugsim-metrics","version":1,"metrics":{"a":null}}`,
		`{"format":"hotplugsim-metrics","version":1,"metrics":{"a":{"count":3,"ns":[]}}}`,
		"{\"format\":\n\"x\"",
	} {
		_, err := metrics.Decode(strings.NewReader(in))
		require.Error(t, err, in)
		assert.ErrorIs(t, err, metrics.ErrBadHistogram)
		assert.NotContains(t, err.Error(), "\n")
		assert.NotContains(t, err.Error(), "bad histogram: bad histogram")
	}
}

func TestAttachAndOf(t *testing.T) {
	sim := des.MustNew(des.Config{})
	assert.Nil(t, metrics.Of(sim))
	r := metrics.NewRecorder()
	metrics.Attach(sim, r)
	assert.Same(t, r, metrics.Of(sim))
	assert.Nil(t, metrics.Of(des.MustNew(des.Config{})))
}

func TestDescribe(t *testing.T) {
	assert.Equal(t, "ioctl AMDGPU_CS latency", metrics.Describe(metrics.Ioctl("AMDGPU_CS")))
	assert.Contains(t, metrics.Describe(metrics.BarMoveStall("gpu0")), "gpu0")
	for _, n := range []string{metrics.Fault, metrics.FaultRetry, metrics.Fence, metrics.FenceAfterUnplug,
		metrics.UnplugRemove, metrics.UnplugRelease, metrics.BarMoveBlocked, metrics.IrqWork} {
		assert.NotEqual(t, n, metrics.Describe(n))
	}
	assert.Equal(t, "other", metrics.Describe("other"))
}

// FuzzHistogramJSON: whatever decodes must re-encode to bytes that decode to the same
// histogram, and its quantiles must be ordered.
func FuzzHistogramJSON(f *testing.F) {
	f.Add([]byte(`{"count":3,"ns":[[1,1],[5,2]]}`))
	f.Add([]byte(`{"count":0,"ns":[]}`))
	f.Add([]byte(`{"count":2,"ns":[[-9223372036854775808,1],[9223372036854775807,1]]}`))
	f.Add([]byte(`{"count":2,"ns":[[2,1],[1,1]]}`))
	f.Add([]byte(`{"count":1}`))
	f.Add([]byte(`{"format":"hotplugsim-metrics","version":1,"metrics":{"fault":{"count":1,"ns":[[7,1]]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h metrics.Histogram
		if err := json.Unmarshal(data, &h); err == nil {
			b1, err := json.Marshal(&h)
			require.NoError(t, err)
			var back metrics.Histogram
			require.NoError(t, json.Unmarshal(b1, &back))
			require.True(t, h.Equal(&back))
			s := h.Summary()
			require.True(t, s.Min <= s.P50 && s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.P999 && s.P999 <= s.Max)
		} else {
			require.NotContains(t, err.Error(), "\n")
		}
		r, err := metrics.Decode(bytes.NewReader(data))
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		var b1, b2 bytes.Buffer
		require.NoError(t, r.Encode(&b1))
		back, err := metrics.Decode(bytes.NewReader(b1.Bytes()))
		require.NoError(t, err)
		require.NoError(t, back.Encode(&b2))
		require.Equal(t, b1.String(), b2.String())
	})
}

func TestMarksAreOffWithoutARecorder(t *testing.T) {
	sim := des.MustNew(des.Config{})
	metrics.MarkUnplug(sim, 5)
	metrics.BeginMove(sim)
	_, ok := metrics.UnplugSince(sim, 0)
	assert.False(t, ok)
	gen, moving := metrics.MoveState(sim)
	assert.Zero(t, gen)
	assert.False(t, moving)
	sim.Spawn("p", des.Task, func(p *des.Proc) {
		metrics.BeginUnplug(p)
		metrics.SetIRQRaise(p, 3)
		_, ok := metrics.UnplugStart(p)
		assert.False(t, ok)
		_, ok = metrics.IRQRaise(p)
		assert.False(t, ok)
	})
	sim.Run()
}

func TestMarks(t *testing.T) {
	sim := des.MustNew(des.Config{})
	metrics.Attach(sim, metrics.NewRecorder())
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		p.Sleep(2)
		metrics.BeginUnplug(p)
		p.Sleep(3)
		metrics.BeginUnplug(p) // nested: the outer start stays
		s, ok := metrics.UnplugStart(p)
		assert.True(t, ok)
		assert.Equal(t, des.Time(2), s)
		metrics.EndUnplug(p)
		metrics.EndUnplug(p)
		_, ok = metrics.UnplugStart(p)
		assert.False(t, ok)
		metrics.MarkUnplug(sim, 9)
		metrics.MarkUnplug(sim, 9) // the same start once
		u, ok := metrics.UnplugSince(sim, 3)
		assert.True(t, ok)
		assert.Equal(t, des.Time(9), u)
		_, ok = metrics.UnplugSince(sim, 10)
		assert.False(t, ok)
		metrics.BeginMove(sim)
		gen, moving := metrics.MoveState(sim)
		assert.Equal(t, uint64(1), gen)
		assert.True(t, moving)
		metrics.EndMove(sim)
		metrics.EndMove(sim) // unbalanced: ignored
		_, moving = metrics.MoveState(sim)
		assert.False(t, moving)
		metrics.SetIRQRaise(p, 4)
		r, ok := metrics.IRQRaise(p)
		assert.True(t, ok)
		assert.Equal(t, des.Time(4), r)
		metrics.ClearIRQRaise(p)
		_, ok = metrics.IRQRaise(p)
		assert.False(t, ok)
	})
	sim.Run()
}
