package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"

	"hotplugsim/des"
	"hotplugsim/internal/strictjson"
)

// Histogram counts every distinct duration it observes. Quantiles are exact; Merge adds counts.
// The zero value is an empty histogram ready to use. A Histogram is not safe for concurrent use.
type Histogram struct {
	counts map[des.Duration]uint64
	n      uint64
	sorted []des.Duration // distinct values in increasing order; nil when stale
}

// Bucket is one distinct value and how often it was observed.
type Bucket struct {
	Value des.Duration
	Count uint64
}

// Summary holds the figures a report shows for one metric.
type Summary struct {
	Name  string       `json:"name,omitempty"`
	Count uint64       `json:"count"`
	Min   des.Duration `json:"min_ns"`
	Mean  des.Duration `json:"mean_ns"`
	P50   des.Duration `json:"p50_ns"`
	P90   des.Duration `json:"p90_ns"`
	P99   des.Duration `json:"p99_ns"`
	P999  des.Duration `json:"p999_ns"`
	Max   des.Duration `json:"max_ns"`
}

// Observe counts one value.
func (h *Histogram) Observe(d des.Duration) { h.add(d, 1) }

func (h *Histogram) add(d des.Duration, c uint64) {
	if c == 0 {
		return
	}
	if h.counts == nil {
		h.counts = map[des.Duration]uint64{}
	}
	old, ok := h.counts[d]
	if !ok {
		h.sorted = nil
	}
	h.counts[d] = old + c
	h.n += c
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 {
	if h == nil {
		return 0
	}
	return h.n
}

// Merge adds o's counts to h. o is not changed; merging h with itself doubles it.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil {
		return
	}
	for _, b := range o.Buckets() {
		h.add(b.Value, b.Count)
	}
}

// Clone returns an independent copy.
func (h *Histogram) Clone() *Histogram {
	c := &Histogram{}
	c.Merge(h)
	return c
}

func (h *Histogram) keys() []des.Duration {
	if h.sorted == nil && len(h.counts) > 0 {
		h.sorted = slices.Sorted(maps.Keys(h.counts))
	}
	return h.sorted
}

// Buckets returns the distinct values with their counts, in increasing order of value.
func (h *Histogram) Buckets() []Bucket {
	if h == nil {
		return nil
	}
	ks := h.keys()
	out := make([]Bucket, len(ks))
	for i, v := range ks {
		out[i] = Bucket{v, h.counts[v]}
	}
	return out
}

// Quantile returns the exact nearest-rank q-quantile (q in [0, 1], 6 decimal places): the
// smallest observed v with at least ceil(q·n) observations ≤ v. Quantile(0) is the minimum,
// Quantile(1) the maximum. An empty histogram gives 0.
func (h *Histogram) Quantile(q float64) des.Duration {
	if h.Count() == 0 {
		return 0
	}
	rank := Rank(q, h.n)
	var cum uint64
	for _, v := range h.keys() {
		cum += h.counts[v]
		if cum >= rank {
			return v
		}
	}
	return h.sorted[len(h.sorted)-1]
}

// Rank is the 1-based nearest rank of quantile q among n observations: ceil(q·n), at least 1,
// with q rounded to 6 decimal places so that 0.999 means exactly 999/1000.
func Rank(q float64, n uint64) uint64 {
	if n == 0 {
		return 0
	}
	if math.IsNaN(q) || q < 0 {
		q = 0
	}
	ppm := uint64(math.Round(math.Min(q, 1) * 1e6))
	hi, lo := bits.Mul64(ppm, n)
	lo, carry := bits.Add64(lo, 1e6-1, 0)
	hi += carry
	if hi >= 1e6 {
		return n
	}
	rank, _ := bits.Div64(hi, lo, 1e6)
	return min(max(rank, 1), n)
}

// Min is the smallest observation (0 if empty).
func (h *Histogram) Min() des.Duration { return h.Quantile(0) }

// Max is the largest observation (0 if empty).
func (h *Histogram) Max() des.Duration { return h.Quantile(1) }

// Mean is the arithmetic mean, rounded to the nearest ns (0 if empty).
func (h *Histogram) Mean() des.Duration {
	if h.Count() == 0 {
		return 0
	}
	var sum float64
	for _, b := range h.Buckets() {
		sum += float64(b.Value) * float64(b.Count)
	}
	return des.Duration(math.Round(sum / float64(h.n)))
}

// Summary returns count, min, mean, p50, p90, p99, p999 and max.
func (h *Histogram) Summary() Summary {
	return Summary{Count: h.Count(), Min: h.Min(), Mean: h.Mean(), P50: h.Quantile(0.5),
		P90: h.Quantile(0.9), P99: h.Quantile(0.99), P999: h.Quantile(0.999), Max: h.Max()}
}

// Equal reports whether h and o hold the same observations.
func (h *Histogram) Equal(o *Histogram) bool {
	return slices.Equal(h.Buckets(), o.Buckets())
}

// MarshalJSON encodes {"count": n, "ns": [[value, count], ...]} with values increasing.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"count":`)
	b.WriteString(strconv.FormatUint(h.Count(), 10))
	b.WriteString(`,"ns":[`)
	for i, bk := range h.Buckets() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		b.WriteString(strconv.FormatInt(int64(bk.Value), 10))
		b.WriteByte(',')
		b.WriteString(strconv.FormatUint(bk.Count, 10))
		b.WriteByte(']')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// ErrBadHistogram is wrapped by every decoding error of a histogram or metrics file.
var ErrBadHistogram = errors.New("bad histogram")

// UnmarshalJSON decodes what MarshalJSON writes and checks it: values strictly increasing,
// every count positive, and "count" equal to their sum.
func (h *Histogram) UnmarshalJSON(data []byte) error {
	var raw struct {
		Count *uint64         `json:"count"`
		NS    [][]json.Number `json:"ns"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("%w: %v", ErrBadHistogram, err)
	}
	if err := strictjson.Keys(data, &raw); err != nil {
		return fmt.Errorf("%w: %v", ErrBadHistogram, err)
	}
	if raw.Count == nil {
		return fmt.Errorf("%w: missing \"count\"", ErrBadHistogram)
	}
	out := Histogram{}
	var total uint64
	vals := make([]des.Duration, 0, len(raw.NS))
	for i, pair := range raw.NS {
		if len(pair) != 2 {
			return fmt.Errorf("%w: ns[%d] has %d numbers, want [value, count]", ErrBadHistogram, i, len(pair))
		}
		v, err := strconv.ParseInt(string(pair[0]), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: ns[%d] value %q is not an int64", ErrBadHistogram, i, pair[0])
		}
		c, err := strconv.ParseUint(string(pair[1]), 10, 64)
		if err != nil || c == 0 {
			return fmt.Errorf("%w: ns[%d] count %q is not a positive integer", ErrBadHistogram, i, pair[1])
		}
		if i > 0 && des.Duration(v) <= vals[i-1] {
			return fmt.Errorf("%w: ns[%d] value %d does not increase", ErrBadHistogram, i, v)
		}
		var carry uint64
		if total, carry = bits.Add64(total, c, 0); carry != 0 {
			return fmt.Errorf("%w: counts overflow", ErrBadHistogram)
		}
		out.add(des.Duration(v), c)
		vals = append(vals, des.Duration(v))
	}
	out.sorted = vals
	if total != *raw.Count {
		return fmt.Errorf("%w: count %d but buckets sum to %d", ErrBadHistogram, *raw.Count, total)
	}
	*h = out
	return nil
}
