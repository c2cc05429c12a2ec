package bench

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/agoussia/godes"

	"hotplugsim/des"
)

// godes keeps one global model, so runs must not overlap.
var godesMu sync.Mutex

// godesRun holds what the runners of one godes run share: the hash, the count of runners still
// going, and the moment the last one finished.
type godesRun struct {
	hs   Hasher
	live int
	end  time.Time
	done chan struct{}
}

// exit is deferred by every runner's Run: the last one to finish stamps the end of the run.
func (g *godesRun) exit() {
	if g.live--; g.live == 0 {
		g.end = time.Now()
		close(g.done)
	}
}

// now is godes's virtual time as an integer (every delay we use is integer-valued).
func godesNow() int64 { return int64(godes.GetSystemTime()) }

// runGodes runs the runners on a fresh godes model. The usual ending, godes.WaitUntilDone, polls
// every 100 ms for the end of the simulation, so the run's end is taken from the last runner
// instead, and onDone (if set) is called as soon as it finishes, before the poll notices.
func runGodes(g *godesRun, start time.Time, onDone func(), runners ...godes.RunnerInterface) Result {
	godesMu.Lock()
	defer godesMu.Unlock()
	godes.Verbose(false) // creates the model if this is the first run
	godes.Clear()
	g.live = len(runners)
	g.done = make(chan struct{})
	for _, r := range runners {
		godes.AddRunner(r)
	}
	finished := make(chan struct{})
	go func() {
		godes.Run()
		godes.WaitUntilDone()
		close(finished)
	}()
	<-g.done
	if onDone != nil {
		onDone()
	}
	h, n := g.hs.Sum()
	r := Result{Events: n, Hash: h, End: g.hs.t, Elapsed: g.end.Sub(start)}
	<-finished
	return r
}

// godesPingPong is the shared state of ping-pong on godes.
type godesPingPong struct {
	godesRun
	handoffs, n int
	toA, toB    *godes.BooleanControl
}

type godesA struct {
	*godes.Runner
	m *godesPingPong
}

type godesB struct {
	*godes.Runner
	m *godesPingPong
}

// Run is A: advance 1, signal B, wait for B's signal.
func (a godesA) Run() {
	m := a.m
	defer m.exit()
	for m.n < m.handoffs {
		godes.Advance(1)
		m.hs.Event(godesNow(), KindTimeout, 0)
		m.n++
		m.toB.Set(true)
		if m.n == m.handoffs {
			return
		}
		m.toA.Wait(true)
		m.toA.Set(false)
		m.hs.Event(godesNow(), KindSignal, 0)
	}
}

// Run is B: wait for A's signal, advance 1, signal A.
func (b godesB) Run() {
	m := b.m
	defer m.exit()
	for m.n < m.handoffs {
		m.toB.Wait(true)
		m.toB.Set(false)
		m.hs.Event(godesNow(), KindSignal, 1)
		if m.n == m.handoffs {
			return
		}
		godes.Advance(1)
		m.hs.Event(godesNow(), KindTimeout, 1)
		m.n++
		m.toA.Set(true)
	}
}

// PingPongGodes is ping-pong on godes: two runners, godes.Advance(1) for the timeout and a
// godes.BooleanControl per direction for the signal.
func PingPongGodes(handoffs int, seed uint64) (Result, error) {
	return pingPongGodes(handoffs, seed, nil), nil
}

func pingPongGodes(handoffs int, _ uint64, onDone func()) Result {
	start := time.Now()
	m := &godesPingPong{handoffs: handoffs,
		toA: godes.NewBooleanControl(), toB: godes.NewBooleanControl()}
	return runGodes(&m.godesRun, start, onDone,
		godesA{&godes.Runner{}, m}, godesB{&godes.Runner{}, m})
}

// godesMM1 is the shared state of M/M/1 on godes.
type godesMM1 struct {
	godesRun
	customers        int
	arrival, service *rand.PCG
	line             fifo
	waiting          *godes.BooleanControl // true while the line is non-empty
}

type godesArrivals struct {
	*godes.Runner
	m *godesMM1
}

type godesServer struct {
	*godes.Runner
	m *godesMM1
}

// Run generates the arrivals.
func (a godesArrivals) Run() {
	m := a.m
	defer m.exit()
	for i := range m.customers {
		godes.Advance(float64(ExpDraw(m.arrival, MeanArrival)))
		m.hs.Event(godesNow(), KindArrival, int64(i))
		m.line.push(int64(i))
		m.waiting.Set(true)
	}
}

// Run serves the customers in order (the pattern of godes's example2).
func (s godesServer) Run() {
	m := s.m
	defer m.exit()
	for range m.customers {
		m.waiting.Wait(true)
		c := m.line.pop()
		if m.line.len() == 0 {
			m.waiting.Set(false)
		}
		godes.Advance(float64(ExpDraw(m.service, MeanService)))
		m.hs.Event(godesNow(), KindDeparture, c)
	}
}

// MM1Godes is M/M/1 on godes: an arrival runner and a server runner that waits on a
// godes.BooleanControl while the line is empty.
func MM1Godes(customers int, seed uint64) (Result, error) {
	return mm1Godes(customers, seed, nil), nil
}

func mm1Godes(customers int, seed uint64, onDone func()) Result {
	start := time.Now()
	m := &godesMM1{customers: customers,
		arrival: des.StreamPCG(seed, "arrival"), service: des.StreamPCG(seed, "service"),
		waiting: godes.NewBooleanControl()}
	return runGodes(&m.godesRun, start, onDone,
		godesArrivals{&godes.Runner{}, m}, godesServer{&godes.Runner{}, m})
}
