package workloads

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"hotplugsim/des"
	"hotplugsim/model/drivers/policy"
)

// Policy is one named design of a scenario's protocol: a buggy one the seed threads argue
// against, or a fixed one they arrive at.
type Policy struct {
	Name  string
	Doc   string // one line
	Buggy bool
	// Expect is the violation kind a buggy policy is expected to produce.
	Expect des.ViolationKind
}

// PoliciesOf makes a scenario's policy list from a driver's policy table, in the table's
// order: name and doc from the table, Buggy and Expect from expect (a policy it does not name
// is a fixed design). It panics if expect names a policy the table lacks.
func PoliciesOf[P policy.Declared](table []P, expect map[string]des.ViolationKind) []Policy {
	out := make([]Policy, len(table))
	found := 0
	for i, d := range policy.Decls(table) {
		out[i] = Policy{Name: d.Name, Doc: d.Doc}
		if k, ok := expect[d.Name]; ok {
			out[i].Buggy, out[i].Expect = true, k
			found++
		}
	}
	if found != len(expect) {
		panic(fmt.Sprintf("workloads.PoliciesOf: expect names a policy not in %v", policy.Names(table)))
	}
	return out
}

// Scenario is a topology and workload with the protocol policies that can run it.
type Scenario struct {
	Name string
	Doc  string // one line
	// Spec is the default workload.
	Spec Spec
	// SparseSpec, if set, is a workload at real-life rates (an ioctl or a job per millisecond or
	// so, think times of hundreds of µs, one platform event): races are rare in it, so it shows
	// what a strategy finds that plain timing does not (desrun --spec sparse, the bug zoo's
	// per-strategy table). Nil: the scenario has none.
	SparseSpec    *Spec
	Policies      []Policy
	DefaultPolicy string
	// Oracles are the violation kinds that apply to the scenario.
	Oracles []des.ViolationKind
	// Strategy is the default scheduling strategy for runs, sweeps and property runs
	// ("" means DefaultStrategy).
	Strategy string
	// DelayBound is how long the strategy may keep a runnable soft process waiting while
	// virtual time moves on (des.Config.DelayBound); 0 means DefaultDelayBound. Keep it below
	// the model's shortest timeout so that a delay cannot fake one.
	DelayBound des.Duration
	// AppKinds and EventKinds are the app and platform event kinds the scenario's model
	// supports; GenSpec draws from them and CheckSpec rejects others. Empty means the kinds
	// of the default Spec. The kinds of DefineEvents are always supported.
	AppKinds   []AppKind
	EventKinds []EventKind
	// DefineEvents are event kinds the scenario defines itself, beyond the platform kinds of
	// EventKinds (spec.go): a PCI error report, a runtime suspend, a probe fault, whatever the
	// model's Target.Platform handles. Specs name them like any kind; Validate accepts them
	// once the scenario is registered, GenSpec draws them and shrink removes or moves them.
	DefineEvents KindTable[EventKind]
	// Build spawns the topology and workload processes for spec under policy on a fresh Sim.
	// spec has passed CheckSpec and policy is one of Policies.
	Build func(sim *des.Sim, spec Spec, policy string) error
}

// DefaultStrategy is the strategy of a scenario that names none: PCT of depth 3 over the
// delay bound, with k estimated from base runs of the scenario (EstimateSteps).
const DefaultStrategy = "pct:3"

// DefaultDelayBound is the delay bound of a scenario that names none. Every software duration
// of the model is a lower bound, so the strategy may make any of them longer by up to this
// much per step. 10µs is five times below the shortest timeout of the shipped models (amdgpu's
// entity flush at file close, 50µs; its TDR is 100µs, hda's command timeout 1ms, xe's health
// check 1ms), so no delay alone can make a wait time out, and it is ten to a hundred times the
// windows those models have between a check and the access it guards (100ns-1µs).
const DefaultDelayBound = 10 * des.Microsecond

// DefaultScenario is the scenario commands use without --scenario. Until it is registered,
// Default falls back to the first registered scenario by name.
const DefaultScenario = "amdgpu-unplug"

var registry struct {
	sync.Mutex
	byName map[string]*Scenario
}

// Register adds sc to the registry. It panics if sc is malformed or its name is taken, so a
// mistake shows at init time. Call it from an init function, in any package (a test file too).
func Register(sc *Scenario) {
	if err := sc.check(); err != nil {
		panic("workloads.Register: " + err.Error())
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.byName == nil {
		registry.byName = map[string]*Scenario{}
	}
	if _, dup := registry.byName[sc.Name]; dup {
		panic(fmt.Sprintf("workloads.Register: scenario %q registered twice", sc.Name))
	}
	c := *sc
	c.Spec = sc.Spec.Clone()
	// Registered Specs have always had their apps and events as [] rather than null (an older
	// Clone made them so), and their hash is in results files: keep it.
	if c.Spec.Apps == nil {
		c.Spec.Apps = []App{}
	}
	if c.Spec.Events == nil {
		c.Spec.Events = []Event{}
	}
	if sc.SparseSpec != nil {
		sp := sc.SparseSpec.Clone()
		c.SparseSpec = &sp
	}
	c.Policies = slices.Clone(sc.Policies)
	c.Oracles = slices.Clone(sc.Oracles)
	c.AppKinds, c.EventKinds = slices.Clone(sc.AppKinds), slices.Clone(sc.EventKinds)
	c.DefineEvents = slices.Clone(sc.DefineEvents)
	if len(c.AppKinds) == 0 {
		c.AppKinds = specKinds(c.Spec.Apps, func(a App) AppKind { return a.Kind })
	}
	if len(c.EventKinds) == 0 {
		c.EventKinds = specKinds(c.Spec.Events, func(e Event) EventKind { return e.Kind })
	}
	for _, k := range c.DefineEvents {
		if !slices.Contains(c.EventKinds, k.Name) {
			c.EventKinds = append(c.EventKinds, k.Name)
		}
	}
	defineEventKinds(c.Name, c.DefineEvents)
	if c.Strategy == "" {
		c.Strategy = DefaultStrategy
	}
	if c.DelayBound == 0 {
		c.DelayBound = DefaultDelayBound
	}
	if c.SparseSpec != nil {
		if err := c.CheckSpec(*c.SparseSpec); err != nil {
			panic(fmt.Sprintf("workloads.Register: scenario %q: sparse spec: %v", sc.Name, err))
		}
	}
	registry.byName[sc.Name] = &c
}

func specKinds[T any, K ~string](xs []T, kind func(T) K) []K {
	var out []K
	for _, x := range xs {
		if !slices.Contains(out, kind(x)) {
			out = append(out, kind(x))
		}
	}
	slices.Sort(out)
	return out
}

func (sc *Scenario) check() error {
	switch {
	case sc == nil:
		return fmt.Errorf("nil scenario")
	case !validName(sc.Name):
		return fmt.Errorf("scenario name %q: want 1-64 characters (a-z 0-9 - _ . :)", sc.Name)
	case sc.Build == nil:
		return fmt.Errorf("scenario %q: no Build function", sc.Name)
	case len(sc.Policies) == 0:
		return fmt.Errorf("scenario %q: no policies", sc.Name)
	}
	if strings.ContainsAny(sc.Doc, "\n") {
		return fmt.Errorf("scenario %q: Doc must be one line", sc.Name)
	}
	for i, p := range sc.Policies {
		if !validName(p.Name) {
			return fmt.Errorf("scenario %q: policy name %q: want 1-64 characters (a-z 0-9 - _ . :)", sc.Name, p.Name)
		}
		if slices.IndexFunc(sc.Policies, func(q Policy) bool { return q.Name == p.Name }) != i {
			return fmt.Errorf("scenario %q: policy %q listed twice", sc.Name, p.Name)
		}
		if p.Buggy && p.Expect == "" {
			return fmt.Errorf("scenario %q: buggy policy %q needs the violation kind it produces (Expect)", sc.Name, p.Name)
		}
		if p.Buggy && len(sc.Oracles) > 0 && !slices.Contains(sc.Oracles, p.Expect) {
			return fmt.Errorf("scenario %q: buggy policy %q expects %q, which is not among its oracles", sc.Name, p.Name, p.Expect)
		}
	}
	if _, err := sc.Policy(sc.DefaultPolicy); err != nil {
		return fmt.Errorf("default policy: %w", err)
	}
	if err := sc.checkDefinedEvents(); err != nil {
		return err
	}
	if sc.DelayBound < 0 {
		return fmt.Errorf("scenario %q: negative delay bound", sc.Name)
	}
	if sc.Strategy != "" {
		if _, err := des.ParseStrategy(sc.Strategy); err != nil {
			return fmt.Errorf("scenario %q: %w", sc.Name, err)
		}
	}
	if err := sc.Spec.validate(sc.DefineEvents); err != nil {
		return fmt.Errorf("scenario %q: default spec: %w", sc.Name, err)
	}
	return nil
}

// Policy returns the policy named name ("" means the default policy).
func (sc *Scenario) Policy(name string) (Policy, error) {
	if name == "" {
		name = sc.DefaultPolicy
	}
	for _, p := range sc.Policies {
		if p.Name == name {
			return p, nil
		}
	}
	names := make([]string, len(sc.Policies))
	for i, p := range sc.Policies {
		names[i] = p.Name
	}
	return Policy{}, fmt.Errorf("scenario %s has no policy %q (have %s)", sc.Name, name, strings.Join(names, ", "))
}

// CheckSpec validates spec and checks that the scenario's model supports its app and event
// kinds.
func (sc *Scenario) CheckSpec(spec Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	for i, a := range spec.Apps {
		if !slices.Contains(sc.AppKinds, a.Kind) {
			return fieldErr(fmt.Sprintf("apps[%d].kind", i), "scenario %s supports app kinds %v, not %q", sc.Name, sc.AppKinds, a.Kind)
		}
	}
	for i, e := range spec.Events {
		if !slices.Contains(sc.EventKinds, e.Kind) {
			return fieldErr(fmt.Sprintf("events[%d].kind", i), "scenario %s supports event kinds %v, not %q", sc.Name, sc.EventKinds, e.Kind)
		}
	}
	return nil
}

// Lookup returns the registered scenario named name ("" means Default).
func Lookup(name string) (*Scenario, error) {
	if name == "" {
		if sc := Default(); sc != nil {
			return sc, nil
		}
		return nil, fmt.Errorf("no scenario registered")
	}
	registry.Lock()
	sc := registry.byName[name]
	registry.Unlock()
	if sc == nil {
		return nil, fmt.Errorf("unknown scenario %q (have %s)", name, strings.Join(Names(), ", "))
	}
	return sc, nil
}

// Names returns the registered scenario names, sorted.
func Names() []string {
	registry.Lock()
	defer registry.Unlock()
	return slices.Sorted(maps.Keys(registry.byName))
}

// All returns the registered scenarios, sorted by name.
func All() []*Scenario {
	var out []*Scenario
	for _, n := range Names() {
		sc, _ := Lookup(n)
		out = append(out, sc)
	}
	return out
}

// Default returns DefaultScenario if it is registered, else the first registered scenario by
// name, else nil.
func Default() *Scenario {
	names := Names()
	if len(names) == 0 {
		return nil
	}
	name := names[0]
	if slices.Contains(names, DefaultScenario) {
		name = DefaultScenario
	}
	sc, _ := Lookup(name)
	return sc
}

// KindDoc is a kind's name with its one-line description.
type KindDoc[K ~string] struct {
	Name K
	Doc  string
}

// KindTable is a list of kinds with their descriptions (AppKinds, EventKinds): desrun list
// prints it and Validate's errors name its kinds.
type KindTable[K ~string] []KindDoc[K]

// Names lists the kinds of t, in its order.
func (t KindTable[K]) Names() []K {
	out := make([]K, len(t))
	for i, k := range t {
		out[i] = k.Name
	}
	return out
}

// Has reports whether k is one of the kinds of t.
func (t KindTable[K]) Has(k K) bool {
	return slices.ContainsFunc(t, func(kd KindDoc[K]) bool { return kd.Name == k })
}

func (sc *Scenario) checkDefinedEvents() error {
	for i, k := range sc.DefineEvents {
		switch {
		case !validName(string(k.Name)):
			return fmt.Errorf("scenario %q: event kind %q: want 1-64 characters (a-z 0-9 - _ . :)", sc.Name, k.Name)
		case EventKinds.Has(k.Name):
			return fmt.Errorf("scenario %q: event kind %q is a platform kind: list it in EventKinds", sc.Name, k.Name)
		case k.Doc == "" || strings.ContainsAny(k.Doc, "\n"):
			return fmt.Errorf("scenario %q: event kind %q needs a one-line Doc", sc.Name, k.Name)
		case slices.IndexFunc(sc.DefineEvents, func(o KindDoc[EventKind]) bool { return o.Name == k.Name }) != i:
			return fmt.Errorf("scenario %q: event kind %q defined twice", sc.Name, k.Name)
		}
	}
	return nil
}

// definedEvents holds the event kinds registered scenarios define, with the scenarios that
// define each (a kind may be defined by several). Validate accepts them.
var definedEvents struct {
	sync.Mutex
	by map[EventKind][]string
}

func defineEventKinds(scenario string, kinds KindTable[EventKind]) {
	definedEvents.Lock()
	defer definedEvents.Unlock()
	if definedEvents.by == nil {
		definedEvents.by = map[EventKind][]string{}
	}
	for _, k := range kinds {
		definedEvents.by[k.Name] = append(definedEvents.by[k.Name], scenario)
	}
}

func isDefinedEvent(kind EventKind) bool {
	definedEvents.Lock()
	defer definedEvents.Unlock()
	return len(definedEvents.by[kind]) > 0
}

// DefinedEventKinds returns the event kinds registered scenarios define, sorted.
func DefinedEventKinds() []EventKind {
	definedEvents.Lock()
	defer definedEvents.Unlock()
	return slices.Sorted(maps.Keys(definedEvents.by))
}
