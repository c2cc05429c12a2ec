package des

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// Strategy decides, at each step, which process runs next: one of those runnable now, or one
// that wakes later within the delay bound (Config.DelayBound), in which case virtual time
// moves on first and the runnable ones wait. It may also deschedule the picked one for a while
// (a preemption delay). Its own randomness should come from the Sim's seed (Sim.Seed) so that
// a seed names a run; its decisions are recorded on the tape by the Sim, so a replay does not
// call it.
//
// ParseStrategy builds the shipped ones from their names; a Go caller may also implement its
// own and pass it as Config.Scheduler. A Strategy holds the state of one run: give each Sim a
// value of its own.
type Strategy interface {
	// Name is the strategy's name on the Result and the tape: the string ParseStrategy
	// accepts for the shipped strategies.
	Name() string
	// Start is called once, when Run starts, after the processes spawned before Run.
	Start(s *Sim)
	// Spawned is called for every process as it is spawned, before it becomes runnable.
	Spawned(s *Sim, p *Proc)
	// Pick returns an index into ready followed by later: below len(ready) it runs that
	// process now, past it time moves on towards that later process. ready is never empty;
	// later is empty unless time may move on. It is called at every step.
	Pick(s *Sim, ready, later []*Proc) int
	// Delays reports whether Delay may return non-zero.
	Delays() bool
	// Delay returns how long to deschedule p, which was just picked; 0 runs it now.
	Delay(s *Sim, p *Proc) Duration
}

// StrategyDoc is one line of Strategies: a form of strategy name, what it does, and (on the
// first line of each base name) how a name of that base is parsed.
type StrategyDoc struct {
	Syntax string // the form, as Config.Strategy and --strategy take it: "pct:D[:K]"
	Doc    string // one line
	// parse builds the strategy from its full name and the part after the first ':'; nil on
	// a second form of a base name listed before it (pct:D:K@P/C after pct:D[:K]).
	parse func(name, arg string, hasArg bool) (Strategy, error)
}

// Strategies lists every shipped strategy, one line per form of name: desrun list prints it,
// ParseStrategy dispatches through it and its error lists it. A new strategy is a line here
// and its type.
var Strategies = []StrategyDoc{
	{"fifo", "run processes in the order they became runnable (no exploration)",
		noArg("fifo", func() Strategy { return fifo{} })},
	{"random", "pick uniformly among runnable processes and those waking within the delay bound; random:<dur> also injects preemption delays up to <dur>",
		func(name, arg string, hasArg bool) (Strategy, error) {
			d, err := randomArgs(name, arg, hasArg)
			if err != nil {
				return nil, err
			}
			return &randomStrategy{name: name, maxDelay: d}, nil
		}},
	{"pct:D[:K]", "probabilistic concurrency testing over the delay bound, depth D, K expected steps (default: estimated from base runs)",
		parsePCT},
	{"pct:D:K@P/C", "PCT with its schedule written out: priorities drawn from seed P, change points C (comma-separated); what desrun sweep --steer runs", nil},
	{"mix", "per seed, pct:3 or random, chosen by a hash of the seed (the run's identity is its seed)",
		noArg("mix", func() Strategy { return &mixStrategy{} })},
	{"search", "the base schedule of the systematic search (run each process until it blocks); desrun explore runs every schedule within a delay bound of it",
		func(name, _ string, hasArg bool) (Strategy, error) {
			if hasArg {
				return nil, fmt.Errorf("strategy %q: search takes no argument (the bound is the search's)", name)
			}
			return &searchStrategy{}, nil
		}},
	{"replay", "take every pick and delay from a tape",
		noArg("replay", func() Strategy { return &replayStrategy{} })},
}

// noArg is the parser of a strategy whose name takes no argument.
func noArg(base string, mk func() Strategy) func(name, arg string, hasArg bool) (Strategy, error) {
	return func(name, _ string, hasArg bool) (Strategy, error) {
		if hasArg {
			return nil, fmt.Errorf("strategy %q: %s takes no argument", name, base)
		}
		return mk(), nil
	}
}

// ParseStrategy parses a strategy name ("" is fifo): one of the forms of Strategies.
func ParseStrategy(name string) (Strategy, error) {
	base, arg, hasArg := strings.Cut(name, ":")
	if base == "" {
		base = "fifo"
	}
	for _, st := range Strategies {
		if b, _, _ := strings.Cut(st.Syntax, ":"); b == base && st.parse != nil {
			return st.parse(name, arg, hasArg)
		}
	}
	return nil, fmt.Errorf("unknown strategy %q (want %s)", name, strategySyntaxes())
}

// strategySyntaxes lists the forms of Strategies: "fifo, random, ... or replay".
func strategySyntaxes() string {
	forms := make([]string, len(Strategies))
	for i, st := range Strategies {
		forms[i] = st.Syntax
	}
	last := len(forms) - 1
	return strings.Join(forms[:last], ", ") + " or " + forms[last]
}

// randomArgs parses the <dur> of random:<dur> (0 without it).
func randomArgs(name, arg string, hasArg bool) (Duration, error) {
	if !hasArg {
		return 0, nil
	}
	d, err := ParseDuration(arg)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("strategy %q: want random:<max delay> such as random:50us", name)
	}
	return d, nil
}

// strategy is ParseStrategy(name), for a Sim of a Pool: a pct or random strategy is the
// arena's, reset, so that its buffers and generator serve run after run of the worker.
func (a *arena) strategy(name string) (Strategy, error) {
	base, arg, hasArg := strings.Cut(name, ":")
	switch base {
	case "pct":
		if d, k, ok := pctArgs(arg, hasArg); ok {
			if a.pct == nil {
				a.pct = &pct{}
			}
			c := a.pct
			*c = pct{name: name, d: d, k: k, gen: strategyRNG{rng: c.gen.rng}, changes: c.changes[:0]}
			return c, nil
		}
	case "random":
		if d, err := randomArgs(name, arg, hasArg); err == nil {
			if a.random == nil {
				a.random = &randomStrategy{}
			}
			r := a.random
			*r = randomStrategy{name: name, maxDelay: d, gen: strategyRNG{rng: r.gen.rng}}
			return r, nil
		}
	}
	return ParseStrategy(name)
}

func parsePCT(name, arg string, hasArg bool) (Strategy, error) {
	if strings.Contains(arg, "@") {
		ps, err := ParsePCTSchedule(name)
		if err != nil {
			return nil, err
		}
		return &pct{name: name, d: ps.D, k: ps.K, fixed: true, prioSeed: ps.Prio, fixedChanges: ps.Changes}, nil
	}
	d, k, ok := pctArgs(arg, hasArg)
	if !ok {
		return nil, fmt.Errorf("strategy %q: want pct:D or pct:D:K with 1 <= D <= 64 and K >= 1", name)
	}
	return &pct{name: name, d: d, k: k}, nil
}

// pctArgs parses the D[:K] of pct:D[:K]; k is 0 without K (Config.StepsHint, else
// defaultPCTK).
func pctArgs(arg string, hasArg bool) (d, k int, ok bool) {
	if !hasArg {
		return 0, 0, false
	}
	ds, ks, hasK := strings.Cut(arg, ":")
	d, err := strconv.Atoi(ds)
	if err != nil || d < 1 || d > 64 {
		return 0, 0, false
	}
	if hasK {
		if k, err = strconv.Atoi(ks); err != nil || k < 1 {
			return 0, 0, false
		}
	}
	return d, k, true
}

// ParseDuration parses "50us", "2ms", "1s", "300ns" or a bare number of ns.
func ParseDuration(s string) (Duration, error) {
	units := []struct {
		suffix string
		d      Duration
	}{{"ns", Nanosecond}, {"us", Microsecond}, {"ms", Millisecond}, {"s", Second}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(num, 64)
			if err != nil || f < 0 {
				return 0, fmt.Errorf("bad duration %q", s)
			}
			return Duration(f * float64(u.d)), nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return Duration(n), nil
}

// strategyRNG is the strategy's private generator. Its draws are not recorded: the tape
// records the decisions (picks, delays) they lead to. It is seeded in place (the same state
// as StreamPCG(seed, "strategy")), so that a strategy a worker reuses keeps its generator.
type strategyRNG struct {
	pcg    rand.PCG
	rng    *rand.Rand // over pcg
	seeded bool       // pcg holds this run's seed
}

// strategyStream is StreamPCG's second seed word for the stream "strategy".
var strategyStream = xxhash.Sum64String("strategy")

// get returns the generator, seeded from s's seed on the run's first draw.
func (g *strategyRNG) get(s *Sim) *rand.Rand { return g.getSeeded(s.cfg.Seed) }

// getSeeded returns the generator, seeded from seed on the run's first draw.
func (g *strategyRNG) getSeeded(seed uint64) *rand.Rand {
	if !g.seeded {
		g.pcg.Seed(seed, strategyStream) // = *StreamPCG(seed, "strategy")
		if g.rng == nil {
			g.rng = rand.New(&g.pcg)
		}
		g.seeded = true
	}
	return g.rng
}

type fifo struct{}

func (fifo) Name() string                    { return "fifo" }
func (fifo) Start(*Sim)                      {}
func (fifo) Spawned(*Sim, *Proc)             {}
func (fifo) Pick(*Sim, []*Proc, []*Proc) int { return 0 }
func (fifo) Delays() bool                    { return false }
func (fifo) Delay(*Sim, *Proc) Duration      { return 0 }

// replayStrategy is a marker: with a tape, the Sim takes picks and delays from it.
type replayStrategy struct{ fifo }

func (*replayStrategy) Name() string { return "replay" }

type randomStrategy struct {
	name     string
	maxDelay Duration
	gen      strategyRNG
	rng      *rand.Rand // gen's, once seeded
}

func (r *randomStrategy) Name() string        { return r.name }
func (r *randomStrategy) Start(s *Sim)        { r.ensure(s) }
func (r *randomStrategy) Spawned(*Sim, *Proc) {}
func (r *randomStrategy) Delays() bool        { return r.maxDelay > 0 }

func (r *randomStrategy) ensure(s *Sim) {
	if r.rng == nil {
		r.rng = r.gen.get(s)
	}
}

func (r *randomStrategy) Pick(s *Sim, ready, later []*Proc) int {
	n := len(ready) + len(later)
	if n == 1 {
		return 0
	}
	r.ensure(s)
	return r.rng.IntN(n)
}

// Delay deschedules one step in 16 for a uniform time up to maxDelay.
func (r *randomStrategy) Delay(s *Sim, _ *Proc) Duration {
	r.ensure(s)
	if r.rng.IntN(16) != 0 {
		return 0
	}
	return 1 + Duration(r.rng.Int64N(int64(r.maxDelay)))
}

// defaultPCTK is PCT's k when neither the strategy nor Config.StepsHint gives one.
const defaultPCTK = 10000

// pct is Burckhardt, Kothari, Musuvathi and Nagarakatte, "A Randomized Scheduler with
// Probabilistic Guarantees of Finding Bugs", ASPLOS 2010. Every process gets a random distinct
// initial priority above d; d-1 change points are drawn uniformly over [1, k]; at each step the
// highest-priority enabled process runs; at the i-th change point the process that ran the
// previous step drops to priority d-i (below every initial priority). A bug of depth d is found
// with probability at least 1/(n*k^(d-1)). Processes are spawned dynamically, so an initial
// priority is a random 62-bit rank (ties, vanishingly rare, go to the lower id) rather than a
// permutation drawn up front.
//
// Enabled means runnable now or waking within the delay bound (Config.DelayBound): when the
// highest-priority candidate wakes later, time moves on towards it while the runnable ones
// wait, so the guarantee covers races between events at different virtual times.
//
// A fixed pct (pct:D:K@P/C, a PCTSchedule) draws its priorities from seed P instead of the
// run's seed and takes its change points from C: the run's seed still drives the model.
type pct struct {
	name    string
	d, k    int
	gen     strategyRNG
	rng     *rand.Rand // gen's, once seeded
	changes []uint64
	nextCP  int
	nextAt  uint64 // no change point is due before this step (changes[nextCP] once advance ran)
	// fixed: priorities from prioSeed, change points fixedChanges (a PCTSchedule).
	fixed        bool
	prioSeed     uint64
	fixedChanges []uint64
}

func (c *pct) Name() string               { return c.name }
func (c *pct) Delays() bool               { return false }
func (c *pct) Delay(*Sim, *Proc) Duration { return 0 }

func (c *pct) Start(s *Sim) {
	c.ensure(s)
	if c.k == 0 {
		c.k = defaultPCTK
		if h := s.cfg.StepsHint; h > 0 {
			c.k = int(min(h, 1<<40))
		}
	}
	c.changes = c.changes[:0]
	for i := 0; i < c.d-1; i++ {
		c.changes = append(c.changes, 1+uint64(c.rng.IntN(c.k)))
	}
	slices.Sort(c.changes)
	c.nextAt = 0 // advance looks again
	if c.fixed {
		// The draws above kept the generator where a fresh run of seed P has it, so that
		// pct:D:K@P/C with C those draws is the run pct:D:K makes at seed P.
		c.changes = append(c.changes[:0], c.fixedChanges...)
	}
}

func (c *pct) ensure(s *Sim) {
	if c.rng == nil {
		if c.fixed {
			c.rng = c.gen.getSeeded(c.prioSeed)
		} else {
			c.rng = c.gen.get(s)
		}
	}
}

func (c *pct) Spawned(s *Sim, p *Proc) {
	c.ensure(s)
	p.prio = int64(c.d) + 1 + c.rng.Int64N(1<<62)
}

func (c *pct) Pick(s *Sim, ready, later []*Proc) int {
	c.advance(s)
	best, bestPrio := 0, ready[0].prio
	for i := 1; i < len(ready); i++ {
		if p := ready[i]; p.prio > bestPrio {
			best, bestPrio = i, p.prio
		}
	}
	for i, p := range later {
		if p.prio > bestPrio {
			best, bestPrio = len(ready)+i, p.prio
		}
	}
	return best
}

// advance takes the change points due at the step about to be taken: each lowers the
// priority of the process that ran the step before.
func (c *pct) advance(s *Sim) {
	if s.steps+1 >= c.nextAt {
		c.takeChanges(s, s.steps+1)
	}
}

func (c *pct) takeChanges(s *Sim, step uint64) {
	for c.nextCP < len(c.changes) && c.changes[c.nextCP] <= step {
		c.nextCP++
		if last := s.lastID; last >= 0 {
			s.procs[last].prio = int64(c.d - c.nextCP)
		}
	}
	c.nextAt = ^uint64(0)
	if c.nextCP < len(c.changes) {
		c.nextAt = c.changes[c.nextCP]
	}
}

// inside counts the change points at or before step steps: those that fell inside the run.
func (c *pct) inside(steps uint64) int {
	n := 0
	for _, cp := range c.changes {
		if cp <= steps {
			n++
		}
	}
	return n
}

// PCTDepth is the depth D of the PCT strategy named name (pct:D, pct:D:K or pct:D:K@P/C), or 0
// if name is no PCT strategy.
func PCTDepth(name string) int {
	base, arg, hasArg := strings.Cut(name, ":")
	if base != "pct" {
		return 0
	}
	if ps, err := ParsePCTSchedule(name); err == nil {
		return ps.D
	}
	if d, _, ok := pctArgs(arg, hasArg); ok {
		return d
	}
	return 0
}

// WantsStepsHint reports whether the strategy named name takes its k from Config.StepsHint
// (pct:D without K).
func WantsStepsHint(name string) bool {
	base, arg, hasArg := strings.Cut(name, ":")
	if name == "mix" {
		return true
	}
	if base != "pct" {
		return false
	}
	_, k, ok := pctArgs(arg, hasArg)
	return ok && k == 0
}

// mixStream is the hash key of mix's per-seed choice.
var mixStream = xxhash.Sum64String("mix")

// mixStrategy runs pct:3 (k from Config.StepsHint) for some seeds and random for the others,
// by a hash of the seed, so a seed's run is the same whoever runs it and whatever other seeds
// run. Its name on a tape and in a Result is "mix"; MixChoice says which it ran.
type mixStrategy struct {
	cur Strategy
}

// MixChoice is the strategy mix runs for seed: "pct:3" or "random".
func MixChoice(seed uint64) string {
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	if (xxhash.Sum64(b[:])^mixStream)>>63 == 0 {
		return "pct:3"
	}
	return "random"
}

func (m *mixStrategy) get(s *Sim) Strategy {
	if m.cur == nil {
		if MixChoice(s.cfg.Seed) == "pct:3" {
			m.cur = &pct{name: "pct:3", d: 3}
		} else {
			m.cur = &randomStrategy{name: "random"}
		}
	}
	return m.cur
}

func (m *mixStrategy) Name() string { return "mix" }

// pctOf returns the PCT a strategy runs: st itself, or the one mix chose; nil if none.
func pctOf(st Strategy) *pct {
	if m, ok := st.(*mixStrategy); ok {
		st = m.cur
	}
	c, _ := st.(*pct)
	return c
}

func (m *mixStrategy) Start(s *Sim)             { m.get(s).Start(s) }
func (m *mixStrategy) Spawned(s *Sim, p *Proc)  { m.get(s).Spawned(s, p) }
func (*mixStrategy) Delays() bool               { return false }
func (*mixStrategy) Delay(*Sim, *Proc) Duration { return 0 }
func (m *mixStrategy) Pick(s *Sim, ready, later []*Proc) int {
	return m.get(s).Pick(s, ready, later)
}

// PCTSchedule is one PCT schedule written out: depth D over K steps, process priorities drawn
// from the strategy stream of seed Prio, and the D-1 change points. Its String,
// pct:D:K@P/c1,c2, is a strategy name: a run of it at seed s is the run pct:D:K makes at seed
// Prio (its priorities, its change points) with the model driven by s. desrun sweep --steer
// mutates the schedules of runs that reached new coverage into new ones.
type PCTSchedule struct {
	D, K    int
	Prio    uint64
	Changes []uint64 // sorted, each in [1, K]
}

// IsZero reports whether ps is no schedule (the run was not PCT).
func (ps PCTSchedule) IsZero() bool { return ps.D == 0 }

func (ps PCTSchedule) String() string {
	if ps.IsZero() {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "pct:%d:%d@%d/", ps.D, ps.K, ps.Prio)
	for i, c := range ps.Changes {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(c, 10))
	}
	return b.String()
}

// ParsePCTSchedule parses pct:D:K@P/c1,...: exactly D-1 change points, each in [1, K].
func ParsePCTSchedule(name string) (PCTSchedule, error) {
	bad := fmt.Errorf("strategy %q: want pct:D:K@P/C: 1 <= D <= 64, K >= 1, seed P and D-1 sorted change points in [1, K], comma-separated", name)
	head, tail, ok := strings.Cut(name, "@")
	base, arg, hasArg := strings.Cut(head, ":")
	if !ok || base != "pct" {
		return PCTSchedule{}, bad
	}
	d, k, ok := pctArgs(arg, hasArg)
	ps, cps, hasCP := strings.Cut(tail, "/")
	prio, err := strconv.ParseUint(ps, 10, 64)
	if !ok || k == 0 || !hasCP || err != nil {
		return PCTSchedule{}, bad
	}
	out := PCTSchedule{D: d, K: k, Prio: prio}
	if cps != "" {
		for f := range strings.SplitSeq(cps, ",") {
			c, err := strconv.ParseUint(f, 10, 64)
			if err != nil || c < 1 || c > uint64(k) || len(out.Changes) >= d-1 {
				return PCTSchedule{}, bad
			}
			out.Changes = append(out.Changes, c)
		}
	}
	if len(out.Changes) != d-1 || !slices.IsSorted(out.Changes) {
		return PCTSchedule{}, bad
	}
	return out, nil
}

// schedule is the PCTSchedule c followed in a run of seed.
func (c *pct) schedule(seed uint64) PCTSchedule {
	prio := seed
	if c.fixed {
		prio = c.prioSeed
	}
	return PCTSchedule{D: c.d, K: c.k, Prio: prio, Changes: slices.Clone(c.changes)}
}
