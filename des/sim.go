package des

import (
	"fmt"
	"math/rand/v2"
	"sync"
)

// Config sets up a Sim. The zero value is valid: seed 0, fifo, a 1024-event trace ring, the
// 120 s hang bound, stop at the first violation, no budgets.
type Config struct {
	Seed uint64
	// Strategy names the scheduling strategy (ParseStrategy): "fifo" (the default), "random",
	// "random:<max delay>", "pct:D[:K]", "pct:D:K@P/C", "mix", "replay".
	Strategy string
	// Scheduler, if set, is the strategy itself, a value the caller built (ParseStrategy, or
	// a type of its own); Strategy must then be empty or its Name. The run, its Result and
	// its tape carry Scheduler.Name(); a tape of a strategy ParseStrategy does not know is
	// written as a "replay" one (its picks are all on it).
	Scheduler Strategy
	// Tape, if set, is replayed: every stream and every scheduling pick comes from it.
	Tape *Tape
	// NoTape skips recording the run's decisions (Result.Tape returns nil). Sweeps use it: a run
	// is reproduced from its seed, and rerun with a tape only when it needs shrinking.
	NoTape bool

	// DelayBound lets the strategy order events across virtual time: a soft process (not
	// SetHard) that is runnable may be kept waiting while virtual time moves on and others run,
	// for at most DelayBound after it became runnable. Every software duration in the kernel
	// is a lower bound (a task, a work item, a threaded irq can be preempted), so this only
	// makes things later, never earlier; keep it below the model's own timeouts (a TDR, a
	// command timeout) so that a delay cannot fake one. 0: the strategy orders only the
	// processes runnable at the current instant. fifo never delays.
	DelayBound Duration
	// StepsHint is the expected number of steps of the run: PCT's k when the strategy names
	// none (pct:D). workloads sets it from base runs of the scenario (EstimateSteps).
	StepsHint uint64
	// Faults enables fault sites (Sim.Fault): each site is switched on for the run with
	// probability 1/2 when first reached, and an enabled site fails with probability
	// 1/4 each time it is reached, as FoundationDB's BUGGIFY does. Off, Fault never fails.
	Faults bool

	MaxEvents uint64 // budget on steps (0: none)
	MaxTime   Time   // budget on virtual time (0: none)

	// HangTimeout bounds every wait without a timeout (khungtaskd's hung_task_timeout_secs).
	// 0 means 120 s; negative disables the check.
	HangTimeout Duration

	CollectAll    bool // keep running after a violation (up to MaxViolations)
	MaxViolations int  // 0 means 100
	TraceRing     int  // events kept in the ring; 0 means 1024, negative keeps none
	// Sink, if set, receives every trace event (the full trace). It is called as the event is
	// recorded, possibly after the step's own state change (read the time from Event.At).
	Sink func(Event)
	// Pool, if set, supplies the coroutines process bodies run on and takes them back, so
	// runs that share it (a sweep worker's) reuse them; its idle coroutines live until
	// Pool.Close. Without it the Sim uses a private pool and ends its coroutines in Run.
	Pool *Pool
}

// Result is what a run ended with.
type Result struct {
	Seed     uint64
	Strategy string
	N        int    // processes spawned
	K        uint64 // steps taken (scheduling decisions)
	D        int    // PCT depth, 0 for other strategies
	// PCTK is the k PCT drew its change points over, ChangePoints how many of its D-1 change
	// points fell inside the run (0 for other strategies). PCT's guarantee, a depth-D bug found
	// with probability at least 1/(N·PCTK^(D-1)), holds for runs of at most PCTK steps.
	PCTK         uint64
	ChangePoints int
	// PCT is the PCT schedule the run followed written out (pct:D:K@P/C), zero for other
	// strategies: ParseStrategy(PCT.String()) reruns it.
	PCT PCTSchedule
	// Deferrals counts the times the strategy let virtual time move on while soft processes
	// were runnable (Config.DelayBound).
	Deferrals uint64
	// FaultsFired counts fault sites that failed (Sim.Fault).
	FaultsFired int
	End         Time // virtual time at the end
	// Budget names the budget that ran out: "events", "time", or "" if none did.
	Budget      string
	Violations  []Violation
	Fingerprint uint64 // hash of the whole trace stream
	Events      uint64 // trace events emitted
	tape        *lazyTape
	// TapeShort counts draws past the end of a replayed stream; TapeMisfit counts replayed
	// values that did not fit their draw. Either means the replay diverged and used defaults.
	TapeShort, TapeMisfit int
}

// OK reports a run without violations.
func (r *Result) OK() bool { return len(r.Violations) == 0 }

// First returns the first violation, or nil.
func (r *Result) First() *Violation {
	if len(r.Violations) == 0 {
		return nil
	}
	return &r.Violations[0]
}

// Sim is one simulation: the only source of time and randomness for everything in it.
// A Sim is not safe for concurrent use; separate Sims are independent.
type Sim struct {
	cfg    Config
	strat  Strategy
	pct    *pct // strat, when it is a pct: choose calls it directly
	replay *Tape

	now    Time
	seq    uint64 // heap tie-breaker
	timers timerQueue
	pool   *Pool
	ready  []*Proc
	procs  []*Proc

	readyTop  int64 // no process in ready has a higher prio (exact after choosePCT scans it)
	readyHard int   // hard processes in ready

	cur     *Proc // process whose code runs now (nil: the Run caller)
	lastID  int32 // id of the process picked for the previous step, -1 before the first
	target  *Proc // ancestor in the resume chain that was picked
	picked  *Proc // the pick a yield decided and schedule is to run (see Proc.Yield)
	over    bool
	killing bool
	ran     bool
	steps   uint64
	budget  string

	quiesce     []func() // hooks not yet run: a tail of quiesceBuf
	quiesceBuf  []func() // every hook registered, in order
	locals      locals
	nBlocked    int // non-daemon processes blocked without a timeout
	hangCheckAt Time

	streams               []*Stream
	byName                map[string]*Stream
	sched                 *Stream
	delay                 *Stream
	tapeShort, tapeMisfit int
	draws                 uint64 // generated draws from every stream (the search's reduction reads it)

	bound     Duration     // Config.DelayBound, 0 when the strategy does not explore time
	windows   bool         // SleepRange explores its range (every strategy but fifo)
	armed     []*Proc      // processes in a SleepRange that may wake at a waiting moment
	later     []*Proc      // candidates runnable within the bound (scratch)
	laterTE   []timerEntry // their timer entries (scratch)
	deferrals uint64
	faults    faultSites

	evSeq      uint64
	fp         fingerprint
	ring       ring
	flat       bool   // tests: always unwind to the Run caller (a plain central loop)
	fifo       bool   // strategy is fifo: Pick is always 0
	delays     bool   // strategy may inject delays
	delayed    bool   // delays, or a replayed tape: preemptDelay draws
	pctFused   bool   // PCT recording (not replaying): choose is choosePCT
	evOut      bool   // events go somewhere beyond the fingerprint: the trace ring or Config.Sink
	soloFast   bool   // a lone runnable process needs no strategy decision (see sleepFast)
	fastPick   bool   // soloFast, not over: a lone runnable process is simply taken (under stepCap)
	fastSleep  bool   // sleepFast may apply: soloFast, not flat, not over (set by Run)
	stepCap    uint64 // MaxEvents, or no limit: the fast paths take a step only below it
	violations []Violation
	sinkEv     Event // the event being passed to Config.Sink

	arena *arena // borrowed from Config.Pool for reuse, or nil (reuse.go)
}

// New validates cfg and returns a Sim ready for Spawn and Run.
func New(cfg Config) (*Sim, error) {
	var a *arena
	if cfg.Pool != nil {
		a = cfg.Pool.lendArena() // nil if another Sim has it
	}
	s, err := newSim(cfg, a)
	if err != nil && a != nil {
		cfg.Pool.unlendArena()
	}
	return s, err
}

func newSim(cfg Config, a *arena) (*Sim, error) {
	strat, err := strategyOf(cfg, a)
	if err != nil {
		return nil, err
	}
	if cfg.HangTimeout == 0 {
		cfg.HangTimeout = 120 * Second
	}
	if cfg.MaxViolations <= 0 {
		cfg.MaxViolations = 100
	}
	if cfg.TraceRing == 0 {
		cfg.TraceRing = 1024
	}
	s := &Sim{cfg: cfg, strat: strat, hangCheckAt: Forever, pool: cfg.Pool, lastID: -1}
	if s.pool == nil {
		s.pool = NewPool(0)
	} else if a != nil {
		s.useArena(a) // this worker's objects and buffers, from its previous run (reuse.go)
	}
	if s.byName == nil {
		s.byName = map[string]*Stream{}
	}
	if cfg.Tape != nil {
		s.replay = cfg.Tape
		s.cfg.Seed = cfg.Tape.Seed
	}
	if s.ring.buf == nil {
		s.ring = newRing(cfg.TraceRing)
	}
	_, s.fifo = strat.(fifo)
	s.pct, _ = strat.(*pct)
	if err := s.setBound(strat); err != nil {
		return nil, err
	}
	s.delays = strat.Delays()
	s.delayed = s.delays || s.replay != nil
	s.pctFused = s.pct != nil && s.replay == nil && fusedPCT
	s.soloFast = s.fifo && !s.delays && cfg.Tape == nil
	s.fastPick = s.soloFast
	s.stepCap = ^uint64(0)
	if cfg.MaxEvents > 0 {
		s.stepCap = cfg.MaxEvents
	}
	s.sched = s.Stream("sched")
	s.delay = s.Stream("delay")
	s.evOut = len(s.ring.buf) > 0 || cfg.Sink != nil
	return s, nil
}

// strategyOf returns the run's strategy: Config.Scheduler, or the one Config.Strategy names
// (with an arena, the arena's, reset).
func strategyOf(cfg Config, a *arena) (strat Strategy, err error) {
	name := cfg.Strategy
	switch {
	case cfg.Scheduler != nil:
		if name != "" && name != cfg.Scheduler.Name() {
			return nil, fmt.Errorf("strategy %q and scheduler %q: set one", name, cfg.Scheduler.Name())
		}
		strat = cfg.Scheduler
	case name == "" && cfg.Tape != nil:
		strat, err = ParseStrategy("replay")
	case a != nil:
		strat, err = a.strategy(name)
	default:
		strat, err = ParseStrategy(name)
	}
	if err != nil {
		return nil, err
	}
	if _, ok := strat.(*replayStrategy); ok && cfg.Tape == nil {
		return nil, fmt.Errorf("strategy replay needs a tape")
	}
	return strat, nil
}

// MustNew is New for configurations known to be valid (tests, examples).
func MustNew(cfg Config) *Sim {
	s, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return s
}

// Now is the current virtual time.
func (s *Sim) Now() Time { return s.now }

// Seed is the run's seed.
func (s *Sim) Seed() uint64 { return s.cfg.Seed }

// Steps is the number of scheduling steps taken so far.
func (s *Sim) Steps() uint64 { return s.steps }

// Current is the process whose code is running, or nil outside any process.
func (s *Sim) Current() *Proc { return s.cur }

// Procs returns every process spawned so far, in spawn order.
func (s *Sim) Procs() []*Proc { return s.procs }

// Stream returns the named decision stream, creating it on first use.
func (s *Sim) Stream(name string) *Stream {
	if st, ok := s.byName[name]; ok {
		return st
	}
	st := newStream(s, name)
	s.byName[name] = st
	s.streams = append(s.streams, st)
	return st
}

// Spawn creates a process that becomes runnable now. It may be called before Run or from a
// running process.
func (s *Sim) Spawn(name string, kind Kind, body func(p *Proc)) *Proc {
	if s.killing {
		panic(errKilled)
	}
	p := s.newProc()
	p.sim, p.id, p.name, p.kind, p.body = s, int32(len(s.procs)), L(name), kind, body
	p.atomicCtx = kind == IRQ || kind == Timer
	p.hard = p.atomicCtx
	if p.atomicCtx {
		p.atomic = 1
	}
	s.procs = append(s.procs, p)
	s.strat.Spawned(s, p)
	s.emit(s.now, p, evSpawn, p.name, int64(kind), 0)
	s.makeReady(p)
	return p
}

// Run runs the simulation until it quiesces (nothing left to run or wait for), a violation
// stops it, or a budget runs out. Every process coroutine has ended when Run returns.
func (s *Sim) Run() Result {
	if s.ran {
		panic("des: Run called twice")
	}
	s.ran = true
	s.fastSleep = s.soloFast && !s.flat && !s.over
	s.strat.Start(s)
	s.dispatch()
	s.killAll()
	r := s.result()
	if s.cfg.Pool != nil && s.arena != nil {
		// Only now: result reads the streams, which the arena's next Sim (another
		// goroutine's, maybe) clears and reuses.
		s.pool.returnArena(s)
	}
	return r
}

func (s *Sim) result() Result {
	r := Result{
		Seed: s.cfg.Seed, Strategy: s.strat.Name(), N: len(s.procs), K: s.steps,
		End: s.now, Budget: s.budget, Violations: s.violations,
		Fingerprint: uint64(s.fp), Events: s.evSeq, TapeShort: s.tapeShort, TapeMisfit: s.tapeMisfit,
		Deferrals: s.deferrals, FaultsFired: s.faults.fired,
	}
	if c := pctOf(s.strat); c != nil {
		r.D, r.PCTK, r.ChangePoints, r.PCT = c.d, uint64(c.k), c.inside(s.steps), c.schedule(s.cfg.Seed)
	}
	if s.cfg.NoTape {
		return r
	}
	lt := &lazyTape{seed: s.cfg.Seed, strategy: s.strat.Name(), bound: s.bound, faults: s.cfg.Faults}
	if s.cfg.Scheduler != nil {
		if _, err := ParseStrategy(lt.strategy); err != nil {
			lt.strategy = "replay"
		}
	}
	for _, st := range s.streams {
		lt.streams = append(lt.streams, recorded{name: st.name, seed: st.seed, rec: st.rec})
	}
	r.tape = lt
	return r
}

// Tape returns every decision the run made, or nil if it ran with Config.NoTape. The tape is
// built on the first call (the run keeps its decisions compactly, see recording) and the same
// Tape is returned after that, so a caller may set its Meta.
func (r Result) Tape() *Tape {
	if r.tape == nil {
		return nil
	}
	r.tape.once.Do(r.tape.build)
	return r.tape.tape
}

// lazyTape is a finished run's recordings, expanded into a Tape on demand.
type lazyTape struct {
	seed     uint64
	strategy string
	bound    Duration
	faults   bool
	streams  []recorded
	once     sync.Once
	tape     *Tape
}

// recorded is one stream's recording as the run left it. The recording is copied by value: its
// slices are only ever appended to, so later draws cannot change what this copy holds.
type recorded struct {
	name string
	seed rand.PCG
	rec  recording
}

func (lt *lazyTape) build() {
	t := &Tape{Format: TapeFormat, Version: TapeVersion, Seed: lt.seed, Strategy: lt.strategy,
		DelayBoundNs: int64(lt.bound), Faults: lt.faults, Streams: map[string][]uint64{}}
	for _, st := range lt.streams {
		if st.rec.len() > 0 {
			t.Streams[st.name] = st.rec.values(st.seed)
		}
	}
	lt.tape, lt.streams = t, nil
}

// killAll unwinds every process body still suspended (running its defers), returns the
// carriers and, with a private pool, ends them.
func (s *Sim) killAll() {
	s.killing = true
	for _, p := range s.procs {
		if p.state != stDone && p.c != nil {
			s.cur = p
			p.c.next() // suspend panics errKilled; the body unwinds and the carrier goes idle
		}
		p.state = stDone
		s.release(p)
	}
	s.cur = nil
	if s.cfg.Pool == nil {
		s.pool.Close()
	}
}

// AtQuiesce registers fn to run once, in engine context, when the run first quiesces (nothing
// runnable, nothing pending, no non-daemon process blocked). Oracles that check end state use
// it (a published fence never signalled, a queued work item never run); fn may report
// violations, and if it wakes or spawns processes the run continues. Hooks run in
// registration order. Runs that end by a violation or a budget do not quiesce.
func (s *Sim) AtQuiesce(fn func()) {
	done := len(s.quiesceBuf) - len(s.quiesce)
	s.quiesceBuf = append(s.quiesceBuf, fn)
	s.quiesce = s.quiesceBuf[done:]
}

// EventSeq is the seq of the last trace event emitted (0 before any).
func (s *Sim) EventSeq() uint64 { return s.evSeq }

// Stop ends the run after the current step, as if it had quiesced.
func (s *Sim) Stop() { s.end() }

// end marks the run over. The fast paths, which test only their own flag on every hand-off,
// end with it.
func (s *Sim) end() {
	s.over = true
	s.fastPick, s.fastSleep, s.pctFused = false, false, false
}

// Trace returns the events kept in the ring, oldest first.
func (s *Sim) Trace() []Event { return s.ring.events(s.evSeq) }

// ProcName resolves a process id from a trace event.
func (s *Sim) ProcName(id int32) string {
	if id < 0 || int(id) >= len(s.procs) {
		return "des"
	}
	return s.procs[id].name.String()
}

// emit appends a trace event and passes it to Config.Sink if one is set.
func (s *Sim) emit(at Time, p *Proc, kind, obj Label, a, b int64) {
	if s.event(at, p, kind, obj, a, b) {
		s.deliver()
	}
}

// event records a trace event: it folds it into the fingerprint and stores it in the ring. It
// runs several times per step, so it is a leaf, without calls or a stack frame (that was ~12
// instructions of every event, ~5% of a ping-pong hand-off): it reports whether Config.Sink is
// set, and the caller then calls deliver, which passes the event on. emit does both; the
// hand-off's own events (sleep, wake, block) write the two steps out.
//
// at is the event's time, always the current time s.now: a caller that changes s.now in the
// same step (a sleep that advances time in place) passes the time it read before, so that it
// can record the event last and keep nothing live across the call.
func (s *Sim) event(at Time, p *Proc, kind, obj Label, a, b int64) (sink bool) {
	pid := int32(-1) // the engine
	if p != nil {
		pid = p.id
		p.lastEv = kind.id
	}
	s.evSeq++
	s.fp.fold(at, pid, kind, obj, a, b)
	if !s.evOut { // a sweep's run: no trace ring, no sink
		return false
	}
	if buf := s.ring.buf; len(buf) > 0 {
		e := &buf[(s.evSeq-1)&uint64(len(buf)-1)]
		e.at, e.a, e.b, e.pid, e.kind, e.obj = at, a, b, pid, kind.id, obj.id
	}
	if s.cfg.Sink == nil {
		return false
	}
	e := &s.sinkEv
	e.At, e.Seq, e.Proc, e.Kind, e.Obj, e.A, e.B = at, s.evSeq, pid, kind, obj, a, b
	return true
}

// deliver passes the event just recorded to Config.Sink.
//
//go:noinline
func (s *Sim) deliver() { s.cfg.Sink(s.sinkEv) }

// Emit records a trace event on behalf of p (nil: the engine).
func (s *Sim) Emit(p *Proc, kind, obj Label, a, b int64) { s.emit(s.now, p, kind, obj, a, b) }
