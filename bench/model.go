package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// M/M/1 parameters, in ns of virtual time.
const (
	MeanArrival = 1000 // mean interarrival time
	MeanService = 800  // mean service time
)

// Result is what one run of a model produced.
type Result struct {
	Events  uint64        // logical events (2 per handoff, 2 per customer)
	Hash    uint64        // canonical event-sequence hash (see Hasher)
	End     int64         // virtual time of the last logical event, in ns (ping-pong: units)
	Elapsed time.Duration // wall time from the start of the run to its last event
}

// EventsPerSec is the run's throughput in logical events per second of wall time.
func (r Result) EventsPerSec() float64 { return float64(r.Events) / r.Elapsed.Seconds() }

func (r Result) String() string {
	return fmt.Sprintf("events=%d hash=%016x end=%d elapsed=%v", r.Events, r.Hash, r.End, r.Elapsed)
}

// result finishes a run: it folds the hash and stamps the elapsed time.
func result(hs *Hasher, start time.Time) Result {
	end := time.Now()
	h, n := hs.Sum()
	return Result{Events: n, Hash: h, End: hs.t, Elapsed: end.Sub(start)}
}

// RunFunc runs one model at the given size (handoffs or customers) and seed.
type RunFunc func(size int, seed uint64) (Result, error)

// Impl is one implementation of both models.
type Impl struct {
	Name     string
	PingPong RunFunc
	MM1      RunFunc
}

// Impls lists the implementations; des comes first (ratios are taken against it).
var Impls = []Impl{
	{"des", PingPongDES, MM1DES},
	{"des-notape", PingPongDESNoTape, MM1DESNoTape},
	{"simgo", PingPongSimgo, MM1Simgo},
	{"godes", PingPongGodes, MM1Godes},
	{"floor", PingPongFloor, MM1Floor},
}

// Model names one of the two models and picks its RunFunc from an Impl.
type Model struct {
	Name string
	Run  func(Impl) RunFunc
}

// Models lists the models.
var Models = []Model{
	{"pingpong", func(i Impl) RunFunc { return i.PingPong }},
	{"mm1", func(i Impl) RunFunc { return i.MM1 }},
}

// ExpDraw draws an exponential duration in ns with the given mean from r, exactly as
// des.Stream.Exp does: u is the top 53 bits of one PCG word scaled to [0, 1), and the
// duration is -ln(1-u)*mean rounded to the nearest ns.
func ExpDraw(r *rand.PCG, mean float64) int64 {
	u := float64(r.Uint64()>>11) * 0x1p-53
	return int64(math.Round(-math.Log1p(-u) * mean))
}

// fifo is the M/M/1 waiting line of customer indices, shared by all implementations so that
// they differ only in the engine. It reuses its buffer once it drains.
type fifo struct {
	buf  []int64
	head int
}

func (q *fifo) len() int { return len(q.buf) - q.head }

func (q *fifo) push(v int64) { q.buf = append(q.buf, v) }

func (q *fifo) pop() int64 {
	v := q.buf[q.head]
	q.head++
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
	return v
}
