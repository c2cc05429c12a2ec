package des

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"

	"github.com/cespare/xxhash/v2"

	"hotplugsim/internal/atomicfile"
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
//	  "delay_bound_ns": 10000,              // Config.DelayBound, when the strategy used it
//	  "faults":   true,                     // Config.Faults, when set
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
	Format   string `json:"format"`
	Version  int    `json:"version"`
	Seed     uint64 `json:"seed"`
	Strategy string `json:"strategy"`
	// DelayBoundNs and Faults are the run's Config.DelayBound (when its strategy explored
	// time) and Config.Faults: a replay needs both to offer the same choices.
	DelayBoundNs int64               `json:"delay_bound_ns,omitempty"`
	Faults       bool                `json:"faults,omitempty"`
	Meta         map[string]string   `json:"meta,omitempty"`
	Streams      map[string][]uint64 `json:"streams"`
}

// Len is the total number of decisions on the tape.
func (t *Tape) Len() int {
	n := 0
	for _, v := range t.Streams { // order-free: a sum
		n += len(v)
	}
	return n
}

// Clone returns a deep copy.
func (t *Tape) Clone() *Tape {
	c := *t
	c.Meta = maps.Clone(t.Meta)
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	c.Streams = make(map[string][]uint64, len(t.Streams))
	for k, v := range t.Streams { // order-free: a copy
		c.Streams[k] = append([]uint64(nil), v...)
	}
	return &c
}

// StreamNames returns the stream names in sorted order.
func (t *Tape) StreamNames() []string {
	return slices.Sorted(maps.Keys(t.Streams))
}

// Encode writes the tape as JSON.
func (t *Tape) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(t)
}

// Save writes the tape to path atomically (internal/atomicfile): a reader never sees a
// partial file, and on an error path is as it was and no temporary file is left.
func (t *Tape) Save(path string) error {
	if err := atomicfile.Write(path, atomicfile.Options{}, t.Encode); err != nil {
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
	if t.DelayBoundNs < 0 {
		return nil, fmt.Errorf("%w: negative delay_bound_ns", ErrBadTape)
	}
	if _, ok := t.Streams[""]; ok {
		return nil, fmt.Errorf("%w: stream with empty name", ErrBadTape)
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
	seed   rand.PCG // rng's initial state, to regenerate recorded draws
	rec    recording
	replay []uint64 // nil unless replaying
	pos    int
	live   bool   // draws come from rng (not replaying)
	draws  uint64 // generated draws so far (the search's reduction reads it)
}

// Kinds of draw, for the recording. A draw of a generated kind is a pure function of the
// stream's generator state (and, for Intn, its bound), so it can be regenerated.
const (
	drawLiteral uint8 = iota // a value not drawn from the stream's generator
	drawUint64               // rng.Uint64()
	drawMant53               // rng.Uint64() >> 11 (Float64)
	drawIntn                 // boundedUint64(rng, n)
)

// recording keeps a stream's decisions as runs. Consecutive draws of one generated kind (and
// bound) are a single run of a count: the values are regenerated from the stream's seed when
// the tape is built, which costs a counter increment per draw instead of a stored word and
// keeps long runs from allocating (and from driving the garbage collector). Values that did
// not come from the generator (strategy picks, replayed values) are stored, in fixed-size
// chunks so appending never copies what is already recorded.
type recording struct {
	off  bool
	cur  recRun   // the open run; kind drawNone before the first decision
	runs []recRun // closed runs, in order
	lits [][]uint64
}

type recRun struct {
	kind  uint8
	n     uint64 // Intn's bound
	count int
}

const (
	recChunk = 4096
	drawNone = 0xff
)

func newRecording(off bool) recording { return recording{off: off, cur: recRun{kind: drawNone}} }

// draw records one generated draw.
func (r *recording) draw(kind uint8, n uint64) {
	if r.cur.kind == kind && r.cur.n == n {
		r.cur.count++
		return
	}
	r.open(kind, n)
}

// open closes the current run and starts one of kind with a single decision.
func (r *recording) open(kind uint8, n uint64) {
	if r.off {
		return
	}
	if r.cur.kind != drawNone {
		r.runs = append(r.runs, r.cur)
	}
	r.cur = recRun{kind: kind, n: n, count: 1}
}

// literal records a value that was not drawn from the generator.
func (r *recording) literal(v uint64) {
	if !r.off { // small enough to inline: a run without a tape pays one test per decision
		r.appendLiteral(v)
	}
}

func (r *recording) appendLiteral(v uint64) {
	r.draw(drawLiteral, 0)
	c := len(r.lits) - 1
	if c < 0 || len(r.lits[c]) == recChunk {
		r.lits = append(r.lits, make([]uint64, 0, recChunk))
		c++
	}
	r.lits[c] = append(r.lits[c], v)
}

// len is the number of decisions recorded.
func (r *recording) len() int {
	n := 0
	if r.cur.kind != drawNone {
		n = r.cur.count
	}
	for _, run := range r.runs {
		n += run.count
	}
	return n
}

// values expands the recording, regenerating generated runs from a copy of the seed state.
func (r *recording) values(seed rand.PCG) []uint64 {
	out := make([]uint64, r.len())
	rng := seed
	i, lit := 0, 0
	for k := 0; k <= len(r.runs); k++ {
		run := r.cur
		if k < len(r.runs) {
			run = r.runs[k]
		}
		dst := out[i : i+run.count]
		switch run.kind {
		case drawNone:
		case drawLiteral:
			for j := range dst {
				dst[j] = r.lits[lit/recChunk][lit%recChunk]
				lit++
			}
		case drawUint64:
			for j := range dst {
				dst[j] = rng.Uint64()
			}
		case drawMant53:
			for j := range dst {
				dst[j] = rng.Uint64() >> 11
			}
		case drawIntn:
			for j := range dst {
				dst[j] = boundedUint64(&rng, run.n)
			}
		}
		i += len(dst)
	}
	return out
}

// StreamPCG returns the PCG generator the stream named name starts from under seed. It lets
// code outside des (benchmarks, peers) reproduce a stream's raw draws.
func StreamPCG(seed uint64, name string) *rand.PCG {
	return rand.NewPCG(seed, xxhash.Sum64String(name))
}

func newStream(s *Sim, name string) *Stream {
	st := s.newStreamObj()
	st.name, st.sim, st.live, st.draws = name, s, true, 0
	st.rec = newRecording(s.cfg.NoTape)
	st.rng.Seed(s.cfg.Seed, xxhash.Sum64String(name)) // = *StreamPCG(s.cfg.Seed, name)
	st.seed = st.rng
	if s.replay != nil {
		st.live = false
		st.replay = s.replay.Streams[name]
	}
	return st
}

// Name returns the stream's name.
func (st *Stream) Name() string { return st.name }

// replayed returns the tape's next value for a draw of which fits tells the valid values, or
// the default 0 (counted) when the tape has run out or the value does not fit. It is recorded.
func (st *Stream) replayed(fits func(uint64) bool) uint64 {
	var v uint64
	if st.pos < len(st.replay) {
		v = st.replay[st.pos]
		st.pos++
		if !fits(v) {
			st.sim.tapeMisfit++
			v = 0
		}
	} else {
		st.sim.tapeShort++
	}
	st.rec.literal(v)
	return v
}

// record appends a decision made elsewhere (a strategy's pick) without drawing.
func (st *Stream) record(v uint64) { st.rec.literal(v) }

func anyValue(uint64) bool { return true }

// Uint64 returns a uniformly random 64-bit value.
func (st *Stream) Uint64() uint64 {
	if !st.live {
		return st.replayed(anyValue)
	}
	st.rec.draw(drawUint64, 0)
	st.draws++
	st.sim.draws++
	return st.rng.Uint64()
}

// Intn returns a uniform value in [0, n). It panics if n <= 0.
func (st *Stream) Intn(n int) int {
	if n <= 0 {
		panic("des: Stream.Intn with n <= 0")
	}
	if n == 1 {
		return 0
	}
	un := uint64(n)
	if !st.live {
		return int(st.replayed(func(v uint64) bool { return v < un }))
	}
	st.rec.draw(drawIntn, un)
	st.draws++
	st.sim.draws++
	return int(boundedUint64(&st.rng, un))
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

func fits53(v uint64) bool { return v < 1<<53 }

// Float64 returns a uniform value in [0, 1): the top 53 bits of one PCG word, scaled.
func (st *Stream) Float64() float64 {
	var v uint64
	if st.live {
		st.rec.draw(drawMant53, 0)
		st.draws++
		st.sim.draws++
		v = st.rng.Uint64() >> 11
	} else {
		v = st.replayed(fits53)
	}
	return float64(v) * 0x1p-53
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
