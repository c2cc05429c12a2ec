package des

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"

	"github.com/cespare/xxhash/v2"
)

// TapeFormat and TapeVersion identify the tape file format.
//
// A tape file is one JSON object:
//
//	{
//	  "format":   "hotplugsim-tape",
//	  "version":  1,
//	  "seed":     42,                       // the run's seed
//	  "strategy": "pct:3",                  // the strategy that recorded it
//	  "meta":     {"scenario": "..."},      // free-form run identity, written by the caller
//	  "streams":  {"sched": [0, 2, 1], ...} // every decision, per named stream, in draw order
//	}
//
// Stream values are what the run consumed: a pick index for "sched", a delay in ns for
// "delay", the drawn value for Intn, the 53-bit mantissa for Float64, the raw word for Uint64.
// Replaying feeds each stream its recorded values in order; a stream that runs out, or a value
// that does not fit the draw (an index past the number of choices), yields the default 0, and the
// run counts it in Result.TapeShort / Result.TapeMisfit. A shrinker can therefore cut or zero any
// part of a tape and still get a run.
const (
	TapeFormat  = "hotplugsim-tape"
	TapeVersion = 1
)

// Tape is the record of every nondeterministic decision of a run.
type Tape struct {
	Format   string              `json:"format"`
	Version  int                 `json:"version"`
	Seed     uint64              `json:"seed"`
	Strategy string              `json:"strategy"`
	Meta     map[string]string   `json:"meta,omitempty"`
	Streams  map[string][]uint64 `json:"streams"`
}

// Len is the total number of decisions on the tape.
func (t *Tape) Len() int {
	n := 0
	for _, v := range t.Streams {
		n += len(v)
	}
	return n
}

// Clone returns a deep copy.
func (t *Tape) Clone() *Tape {
	c := *t
	c.Meta = make(map[string]string, len(t.Meta))
	for k, v := range t.Meta {
		c.Meta[k] = v
	}
	c.Streams = make(map[string][]uint64, len(t.Streams))
	for k, v := range t.Streams {
		c.Streams[k] = append([]uint64(nil), v...)
	}
	return &c
}

// StreamNames returns the stream names in sorted order.
func (t *Tape) StreamNames() []string {
	names := make([]string, 0, len(t.Streams))
	for k := range t.Streams {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Encode writes the tape as JSON.
func (t *Tape) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(t)
}

// Save writes the tape to path atomically: a reader never sees a partial file.
func (t *Tape) Save(path string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tape-*")
	if err != nil {
		return fmt.Errorf("cannot write tape %s: %w", path, err)
	}
	tmp := f.Name()
	if err := t.Encode(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("cannot write tape %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write tape %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write tape %s: %w", path, err)
	}
	return nil
}

// ErrBadTape is wrapped by every error DecodeTape returns.
var ErrBadTape = errors.New("bad tape")

// DecodeTape reads and validates a tape.
func DecodeTape(r io.Reader) (*Tape, error) {
	var t Tape
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTape, err)
	}
	if t.Format != TapeFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrBadTape, t.Format, TapeFormat)
	}
	if t.Version != TapeVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads %d", ErrBadTape, t.Version, TapeVersion)
	}
	if t.Streams == nil {
		return nil, fmt.Errorf("%w: no streams", ErrBadTape)
	}
	for name := range t.Streams {
		if name == "" {
			return nil, fmt.Errorf("%w: stream with empty name", ErrBadTape)
		}
	}
	if _, err := ParseStrategy(t.Strategy); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTape, err)
	}
	return &t, nil
}

// LoadTape reads a tape file.
func LoadTape(path string) (*Tape, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read tape: %w", err)
	}
	defer f.Close()
	t, err := DecodeTape(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Stream is a named, seeded source of decisions. Every value it hands out is recorded on the
// run's tape; when the Sim replays a tape, the values come from the tape instead. Streams are
// independent: extra draws on one do not shift another. Get one with Sim.Stream.
type Stream struct {
	name   string
	sim    *Sim
	rng    rand.PCG
	rec    recording
	replay []uint64 // nil unless replaying
	pos    int
	live   bool // draws come from rng (not replaying)
}

// recording keeps a stream's decisions in fixed-size chunks: appending never copies what is
// already recorded, and a long run allocates one chunk per recChunk decisions.
type recording struct {
	off    bool
	full   [][]uint64
	cur    []uint64
	length int
}

const recChunk = 4096

func (r *recording) add(v uint64) {
	if r.off {
		return
	}
	if len(r.cur) == cap(r.cur) {
		if r.cur != nil {
			r.full = append(r.full, r.cur)
		}
		r.cur = make([]uint64, 0, recChunk)
	}
	r.cur = append(r.cur, v)
	r.length++
}

func (r *recording) values() []uint64 {
	out := make([]uint64, 0, r.length)
	for _, c := range r.full {
		out = append(out, c...)
	}
	return append(out, r.cur...)
}

// StreamPCG returns the PCG generator the stream named name starts from under seed. It lets
// code outside des (benchmarks, peers) reproduce a stream's raw draws.
func StreamPCG(seed uint64, name string) *rand.PCG {
	return rand.NewPCG(seed, xxhash.Sum64String(name))
}

func newStream(s *Sim, name string) *Stream {
	st := &Stream{name: name, sim: s, live: true}
	st.rec.off = s.cfg.NoTape
	st.rng = *StreamPCG(s.cfg.Seed, name)
	if s.replay != nil {
		st.live = false
		st.replay = s.replay.Streams[name]
	}
	return st
}

// Name returns the stream's name.
func (st *Stream) Name() string { return st.name }

// next returns the next decision: a fresh one from gen, or the tape's if it fits.
func (st *Stream) next(gen func(*rand.PCG) uint64, fits func(uint64) bool) uint64 {
	var v uint64
	if st.live {
		v = gen(&st.rng)
	} else if st.pos < len(st.replay) {
		v = st.replay[st.pos]
		st.pos++
		if !fits(v) {
			st.sim.tapeMisfit++
			v = 0
		}
	} else {
		st.sim.tapeShort++
	}
	st.rec.add(v)
	return v
}

// record appends a decision made elsewhere (a strategy's pick) without drawing.
func (st *Stream) record(v uint64) { st.rec.add(v) }

func anyValue(uint64) bool         { return true }
func rawUint64(r *rand.PCG) uint64 { return r.Uint64() }

// Uint64 returns a uniformly random 64-bit value.
func (st *Stream) Uint64() uint64 { return st.next(rawUint64, anyValue) }

// Intn returns a uniform value in [0, n). It panics if n <= 0.
func (st *Stream) Intn(n int) int {
	if n <= 0 {
		panic("des: Stream.Intn with n <= 0")
	}
	if n == 1 {
		return 0
	}
	un := uint64(n)
	v := st.next(func(r *rand.PCG) uint64 { return boundedUint64(r, un) },
		func(v uint64) bool { return v < un })
	return int(v)
}

// boundedUint64 is Lemire's nearly-divisionless bounded draw.
func boundedUint64(r *rand.PCG, n uint64) uint64 {
	hi, lo := bits64Mul(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits64Mul(r.Uint64(), n)
		}
	}
	return hi
}

func mantissa53(r *rand.PCG) uint64 { return r.Uint64() >> 11 }
func fits53(v uint64) bool          { return v < 1<<53 }

// Float64 returns a uniform value in [0, 1): the top 53 bits of one PCG word, scaled.
func (st *Stream) Float64() float64 {
	return float64(st.next(mantissa53, fits53)) * 0x1p-53
}

// Bool returns true with probability p.
func (st *Stream) Bool(p float64) bool { return st.Float64() < p }

// Exp returns an exponentially distributed duration with the given mean, rounded to the
// nearest ns: -ln(1-u)*mean for u = Float64().
func (st *Stream) Exp(mean Duration) Duration {
	u := st.Float64()
	return Duration(math.Round(-math.Log1p(-u) * float64(mean)))
}

// Between returns a uniform duration in [lo, hi].
func (st *Stream) Between(lo, hi Duration) Duration {
	if hi <= lo {
		return lo
	}
	return lo + Duration(st.Intn(int(hi-lo)+1))
}
