package workloads

import (
	"fmt"
	"strconv"
	"strings"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// RunConfig is one run's identity (scenario, policy, Spec, seed, strategy) and options.
type RunConfig struct {
	Scenario *Scenario
	Policy   string // "" means the scenario's default policy
	Spec     *Spec  // nil means the scenario's default Spec
	Seed     uint64
	Strategy string // "" means the scenario's strategy
	// Tape, if set, is replayed: Seed is taken from it and Strategy only names the run.
	Tape   *des.Tape
	NoTape bool // do not record a tape (sweeps)
	// Coverage, if set, receives what the run exercised (conflicting operation pairs, fault
	// sites fired, protocol steps reached).
	Coverage *Coverage
	// NoDelayBound runs without the scenario's delay bound: exploration as it was before timing
	// was explorable (the strategy orders only processes runnable at the same instant). For
	// comparing strategies; it is not recorded in an Outcome, so leave it off for runs that are
	// saved or reproduced.
	NoDelayBound bool
	// Faults enables the model's fault sites (des.Config.Faults); part of the run's identity.
	Faults     bool
	CollectAll bool // keep going after the first violation
	// TraceRing is how many trace events the run keeps for Outcome.Trace (0: 1024, <0: none).
	TraceRing int
	Sink      func(des.Event) // receives every trace event
	// Metrics, if set, is attached to the run's Sim before the scenario is built: the model
	// records its latencies into it (des/metrics). Nil: metrics off.
	Metrics *metrics.Recorder
	// Pool, if set, lends the run's processes their coroutines and takes them back (des.Pool):
	// a worker running many runs one after another reuses them. Nil: each run has its own.
	Pool *des.Pool
}

// Verdicts.
const (
	Pass          = "pass"
	ViolationSeen = "violation"
)

// ViolationInfo is the JSON form of a run's first violation.
type ViolationInfo struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	TimeNs  int64  `json:"time_ns"`
	Process string `json:"process"`
}

// Outcome is a run's result in the form desrun prints with --json, plus the engine's Result.
type Outcome struct {
	Scenario string `json:"scenario"`
	Policy   string `json:"policy"`
	Seed     uint64 `json:"seed"`
	Strategy string `json:"strategy"`
	// MixChoice is the strategy mix ran for this seed (pct:3 or random), "" for other strategies.
	MixChoice   string         `json:"mix_choice,omitempty"`
	SpecHash    string         `json:"spec_hash"`
	Verdict     string         `json:"verdict"`
	Violation   *ViolationInfo `json:"violation"`
	Fingerprint string         `json:"fingerprint"`
	Events      uint64         `json:"events"`
	VirtualNs   int64          `json:"virtual_ns"`
	Steps       uint64         `json:"steps"`
	Procs       int            `json:"procs"`
	Budget      string         `json:"budget,omitempty"`
	// Faults is RunConfig.Faults; FaultsFired counts the fault sites that failed.
	Faults      bool `json:"faults,omitempty"`
	FaultsFired int  `json:"faults_fired,omitempty"`
	// Depth, PCTK and ChangePoints are PCT's d, the k it drew change points over and how many
	// fell inside the run; Deferrals counts the times the strategy let time move on while
	// soft processes were runnable (des.Result).
	Depth        int    `json:"pct_d,omitempty"`
	PCTK         uint64 `json:"pct_k,omitempty"`
	ChangePoints int    `json:"change_points,omitempty"`
	Deferrals    uint64 `json:"deferrals,omitempty"`
	// Metrics is RunConfig.Metrics after the run (nil when metrics were off).
	Metrics *metrics.Recorder `json:"metrics,omitempty"`

	Result      des.Result  `json:"-"`
	Spec        Spec        `json:"-"`
	DefaultSpec bool        `json:"-"` // Spec is the scenario's default
	Trace       []des.Event `json:"-"` // the last RunConfig.TraceRing events
	procNames   []string
}

// Run builds the scenario on a fresh Sim and runs it. Errors are about the configuration
// (unknown policy, a Spec the scenario rejects, a bad strategy), never about the run: a
// violation is an Outcome with Verdict "violation".
func Run(cfg RunConfig) (*Outcome, error) {
	sc, pol, spec, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	strategy := cfg.Strategy
	if strategy == "" {
		strategy = sc.Strategy
	}
	sink := cfg.Sink
	if cfg.Coverage != nil {
		rc, user := newRunCoverage(cfg.Coverage), cfg.Sink
		sink = rc.event
		if user != nil {
			sink = func(e des.Event) { rc.event(e); user(e) }
		}
	}
	dcfg := sc.baseConfig(spec, cfg.Seed, cfg.Pool)
	dcfg.Strategy, dcfg.NoTape, dcfg.CollectAll, dcfg.TraceRing, dcfg.Sink, dcfg.Faults =
		strategy, cfg.NoTape, cfg.CollectAll, cfg.TraceRing, sink, cfg.Faults
	if cfg.NoDelayBound {
		dcfg.DelayBound = 0
	}
	if cfg.Tape != nil {
		dcfg.Tape, dcfg.Strategy, dcfg.Seed, dcfg.Faults = cfg.Tape, "replay", cfg.Tape.Seed, cfg.Tape.Faults
		if cfg.Strategy == "" {
			strategy = cfg.Tape.Strategy
		}
	} else if des.WantsStepsHint(strategy) {
		if dcfg.StepsHint, err = EstimateSteps(sc, pol.Name, spec, cfg.Pool); err != nil {
			return nil, err
		}
	}
	sim, err := des.New(dcfg)
	if err != nil {
		return nil, err
	}
	if cfg.Metrics != nil {
		metrics.Attach(sim, cfg.Metrics)
	}
	if err := build(sc, sim, cloneFor(sim, spec), pol.Name); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
	}
	res := sim.Run()
	o := &Outcome{Scenario: sc.Name, Policy: pol.Name, Seed: res.Seed, Strategy: strategy,
		SpecHash: spec.Hash(), Verdict: Pass, Fingerprint: hex16(res.Fingerprint),
		Events: res.Events, VirtualNs: int64(res.End), Steps: res.K, Procs: res.N, Budget: res.Budget,
		Faults: dcfg.Faults, FaultsFired: res.FaultsFired, Depth: res.D, PCTK: res.PCTK,
		ChangePoints: res.ChangePoints, Deferrals: res.Deferrals,
		Result: res, Spec: spec, DefaultSpec: cfg.Spec == nil || isDefaultSpec(spec, sc.Spec), Metrics: cfg.Metrics}
	if strategy == "mix" && cfg.Tape == nil {
		o.MixChoice = des.MixChoice(res.Seed)
	}
	if v := res.First(); v != nil {
		o.Verdict = ViolationSeen
		o.Violation = &ViolationInfo{Kind: string(v.Kind), Message: v.Msg, TimeNs: int64(v.At), Process: v.Proc}
	}
	if cfg.TraceRing >= 0 {
		o.Trace = sim.Trace()
	}
	if cfg.TraceRing >= 0 || cfg.Sink != nil {
		// Only a run with a trace has event process ids for ProcName to resolve (a sweep's
		// runs have none, and skip the names).
		procs := sim.Procs()
		o.procNames = make([]string, len(procs))
		for i, p := range procs {
			o.procNames[i] = p.Name()
		}
	}
	return o, nil
}

// resolve returns the run's scenario, policy and Spec, checked.
func (cfg RunConfig) resolve() (*Scenario, Policy, Spec, error) {
	sc := cfg.Scenario
	if sc == nil {
		return nil, Policy{}, Spec{}, fmt.Errorf("no scenario")
	}
	pol, err := sc.Policy(cfg.Policy)
	if err != nil {
		return nil, Policy{}, Spec{}, err
	}
	spec := sc.Spec
	if cfg.Spec != nil {
		spec = *cfg.Spec
	}
	if err := sc.CheckSpec(spec); err != nil {
		return nil, Policy{}, Spec{}, fmt.Errorf("spec: %w", err)
	}
	return sc, pol, spec, nil
}

// baseConfig is what every run of spec on sc takes, whatever its strategy: the Spec's budgets
// with their defaults (Spec.RunBudgets), the scenario's delay bound and the worker's pool.
func (sc *Scenario) baseConfig(spec Spec, seed uint64, pool *des.Pool) des.Config {
	b := spec.RunBudgets()
	return des.Config{Seed: seed, MaxEvents: b.MaxEvents, MaxTime: des.Time(b.MaxTimeNs),
		HangTimeout: des.Duration(b.HangTimeoutNs), Pool: pool, DelayBound: sc.delayBound()}
}

// hex16 is fmt.Sprintf("%016x", x), without boxing x.
func hex16(x uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[x&15]
		x >>= 4
	}
	return string(b[:])
}

// Tape returns the run's tape with the run's identity in its Meta (enough for desrun replay),
// or nil if the run kept none (RunConfig.NoTape). It is built on the first call.
func (o *Outcome) Tape() *des.Tape {
	t := o.Result.Tape()
	if t != nil && t.Meta == nil {
		t.Meta = o.Meta()
	}
	return t
}

// Meta is the run identity stored in a tape's meta, which is enough for desrun replay.
func (o *Outcome) Meta() map[string]string {
	m := map[string]string{"scenario": o.Scenario, "policy": o.Policy, "strategy": o.Strategy,
		"fingerprint": o.Fingerprint, "verdict": o.Verdict}
	if !o.DefaultSpec {
		m["spec"] = string(o.Spec.JSON())
	}
	if o.Violation != nil {
		m["kind"] = o.Violation.Kind
	}
	// A run replayed from a cut or edited tape (a shrunk one) took defaults: say how many, so
	// that a replay can tell the same run from one that fell back further.
	if r := o.Result; r.TapeShort > 0 || r.TapeMisfit > 0 {
		m["tape_short"], m["tape_misfit"] = strconv.Itoa(r.TapeShort), strconv.Itoa(r.TapeMisfit)
	}
	return m
}

// Kind is the first violation's kind, or "".
func (o *Outcome) Kind() string {
	if o.Violation == nil {
		return ""
	}
	return o.Violation.Kind
}

// Command is the desrun command line that reproduces the run. A Spec other than the
// scenario's default has to be saved to a file first: specPath names it ("" prints a
// placeholder, spec.json).
func (o *Outcome) Command(specPath string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "desrun run --scenario %s --policy %s", o.Scenario, o.Policy)
	if !o.DefaultSpec {
		if specPath == "" {
			specPath = "spec.json"
		}
		fmt.Fprintf(&b, " --spec %s", shellQuote(specPath))
	}
	fmt.Fprintf(&b, " --seed %d --strategy %s", o.Seed, o.Strategy)
	if o.Faults {
		b.WriteString(" --faults")
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ProcName resolves a trace event's process id. It knows the names in runs that kept a trace
// (RunConfig.TraceRing >= 0, or a Sink); otherwise every id is "des".
func (o *Outcome) ProcName(id int32) string {
	if id < 0 || int(id) >= len(o.procNames) {
		return "des"
	}
	return o.procNames[id]
}

// FormatEvent prints one trace event as a line: time, process, kind, object, arguments.
func (o *Outcome) FormatEvent(e des.Event) string {
	s := fmt.Sprintf("%10v  %-16s %-12s %s", e.At, o.ProcName(e.Proc), e.Kind.String(), e.Obj.String())
	if e.A != 0 || e.B != 0 {
		s += fmt.Sprintf(" (%d, %d)", e.A, e.B)
	}
	return s
}

// build calls sc.Build, turning a panic into an error: Build runs outside any process, where
// the engine cannot catch it.
func build(sc *Scenario, sim *des.Sim, spec Spec, policy string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the Build function panicked: %v", r)
		}
	}()
	return sc.Build(sim, spec, policy)
}
