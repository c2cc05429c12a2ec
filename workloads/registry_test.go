package workloads_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
	"hotplugsim/workloads/enginedemo"
)

// logTarget records what the generic processes asked of it.
type logTarget struct {
	log    []string
	stopAt int // AppOp returns false at this op (-1: never)
	opened int
	closed int
}

func (l *logTarget) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	l.log = append(l.log, fmt.Sprintf("%v %s op%d", p.Now(), in.Name, op))
	return op != l.stopAt
}

func (l *logTarget) Platform(p *des.Proc, ev workloads.Event) {
	l.log = append(l.log, fmt.Sprintf("%v %s %s", p.Now(), ev.Kind, ev.Device))
}

func (l *logTarget) AppOpen(*des.Proc, *workloads.Instance) bool { l.opened++; return true }
func (l *logTarget) AppClose(*des.Proc, *workloads.Instance)     { l.closed++ }

var lastTarget *logTarget

// A scenario registered from a _test.go file, as a user's would be.
func init() {
	workloads.Register(&workloads.Scenario{
		Name: "test-log",
		Doc:  "records the generic app and event processes",
		Spec: workloads.Spec{
			Topology: workloads.Topology{Devices: []workloads.Device{{Name: "d0", Driver: "log"}}},
			Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "d0", Count: 1, Ops: 3}},
			Events:   []workloads.Event{{Kind: workloads.EvUnplug, Device: "d0", AtNs: 2000, After: &workloads.AppEvent{App: 0, Op: 1}}},
		},
		Policies:      []workloads.Policy{{Name: "stop", Doc: "ops stop at op 1"}, {Name: "all", Doc: "every op runs"}},
		DefaultPolicy: "all",
		Strategy:      "fifo",
		Build: func(sim *des.Sim, spec workloads.Spec, policy string) error {
			lastTarget = &logTarget{stopAt: -1}
			if policy == "stop" {
				lastTarget.stopAt = 0
			}
			workloads.Start(sim, spec, lastTarget)
			return nil
		},
	})
}

func TestRegistryLookup(t *testing.T) {
	names := workloads.Names()
	assert.Subset(t, names, []string{"engine-demo", "test-aer", "test-log"})
	assert.IsNonDecreasing(t, names)
	sc, err := workloads.Lookup("test-log")
	require.NoError(t, err)
	assert.Equal(t, []workloads.AppKind{"render"}, sc.AppKinds, "kinds default to the default Spec's")
	assert.Equal(t, []workloads.EventKind{"unplug"}, sc.EventKinds)
	_, err = workloads.Lookup("nope")
	assert.ErrorContains(t, err, `unknown scenario "nope" (have `)
	assert.ErrorContains(t, err, "engine-demo, ")
	// The default is DefaultScenario when registered (this test binary links every scenario).
	def, err := workloads.Lookup("")
	require.NoError(t, err)
	assert.Equal(t, workloads.DefaultScenario, def.Name)
	_, err = sc.Policy("x")
	assert.EqualError(t, err, `scenario test-log has no policy "x" (have stop, all)`)
	p, err := sc.Policy("")
	require.NoError(t, err)
	assert.Equal(t, "all", p.Name)
}

func TestRegisterPanics(t *testing.T) {
	good := func() *workloads.Scenario {
		sc := enginedemo.Scenario()
		sc.Name = "another"
		return sc
	}
	for _, tc := range []struct {
		name string
		mod  func(sc *workloads.Scenario)
		want string
	}{
		{"duplicate", func(sc *workloads.Scenario) { sc.Name = "engine-demo" }, `scenario "engine-demo" registered twice`},
		{"bad name", func(sc *workloads.Scenario) { sc.Name = "A B" }, `scenario name "A B"`},
		{"no build", func(sc *workloads.Scenario) { sc.Build = nil }, "no Build function"},
		{"no policies", func(sc *workloads.Scenario) { sc.Policies = nil }, "no policies"},
		{"buggy without kind", func(sc *workloads.Scenario) { sc.Policies[0].Expect = "" }, "needs the violation kind"},
		{"expect not an oracle", func(sc *workloads.Scenario) { sc.Policies[0].Expect = "stale-pte" }, "not among its oracles"},
		{"dup policy", func(sc *workloads.Scenario) { sc.Policies[1].Name = sc.Policies[0].Name }, "listed twice"},
		{"default policy", func(sc *workloads.Scenario) { sc.DefaultPolicy = "zz" }, `no policy "zz"`},
		{"strategy", func(sc *workloads.Scenario) { sc.Strategy = "lifo" }, `unknown strategy "lifo"`},
		{"spec", func(sc *workloads.Scenario) { sc.Spec.Apps[0].Count = 0 }, "default spec: apps[0].count: must be >= 1"},
		{"doc", func(sc *workloads.Scenario) { sc.Doc = "two\nlines" }, "one line"},
	} {
		sc := good()
		tc.mod(sc)
		assert.PanicsWithValue(t, "workloads.Register: "+panicMsg(t, sc), func() { workloads.Register(sc) }, tc.name)
		assert.Contains(t, panicMsg(t, sc), tc.want, tc.name)
	}
	assert.NotContains(t, workloads.Names(), "another")
}

func panicMsg(t *testing.T, sc *workloads.Scenario) (msg string) {
	defer func() {
		r := recover()
		require.NotNil(t, r)
		msg = strings.TrimPrefix(r.(string), "workloads.Register: ")
	}()
	workloads.Register(sc)
	return ""
}

func TestCheckSpecKinds(t *testing.T) {
	sc, _ := workloads.Lookup("engine-demo")
	s := sc.Spec.Clone()
	s.Apps[0].Kind = workloads.AppAudio
	assert.EqualError(t, sc.CheckSpec(s), `apps[0].kind: scenario engine-demo supports app kinds [render compute idle], not "audio"`)
	s = sc.Spec.Clone()
	s.Events[0].Kind = workloads.EvRescan
	assert.ErrorContains(t, sc.CheckSpec(s), `events[0].kind: scenario engine-demo supports event kinds [unplug surprise-removal], not "rescan"`)
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &s})
	assert.ErrorContains(t, err, "spec: events[0].kind")
}

// A relative event waits for its app event; think times are whole microseconds.
func TestStartRelativeEvent(t *testing.T) {
	sc, _ := workloads.Lookup("test-log")
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc})
	require.NoError(t, err)
	assert.Equal(t, workloads.Pass, o.Verdict)
	assert.Equal(t, []string{"@0ns render0.0 op0", "@0ns render0.0 op1", "@0ns render0.0 op2", "@2us unplug d0"}, lastTarget.log)
	assert.Equal(t, 1, lastTarget.opened)
	assert.Equal(t, 1, lastTarget.closed)

	// The app ends before op 1: the event still happens, when the app ends.
	o, err = workloads.Run(workloads.RunConfig{Scenario: sc, Policy: "stop"})
	require.NoError(t, err)
	assert.Equal(t, workloads.Pass, o.Verdict, "no deadlock: %v", o.Violation)
	assert.Equal(t, []string{"@0ns render0.0 op0", "@2us unplug d0"}, lastTarget.log)

	spec := sc.Spec.Clone()
	spec.Apps[0].IntervalNs = 2500
	spec.Events[0].After = nil
	o, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec, Seed: 3})
	require.NoError(t, err)
	for _, l := range lastTarget.log {
		at := strings.Fields(l)[0]
		assert.True(t, strings.HasSuffix(at, "us"), "think times are quantised to 1us: %s", l)
	}
	assert.False(t, o.DefaultSpec)
}

func TestRunDeterministicAndReplayable(t *testing.T) {
	sc, _ := workloads.Lookup(enginedemo.Name)
	cfg := workloads.RunConfig{Scenario: sc, Policy: enginedemo.Unsync, Seed: 53, TraceRing: 4096}
	a, err := workloads.Run(cfg)
	require.NoError(t, err)
	b, err := workloads.Run(cfg)
	require.NoError(t, err)
	require.Equal(t, workloads.ViolationSeen, a.Verdict)
	assert.Equal(t, a.Fingerprint, b.Fingerprint)
	assert.Equal(t, "use-after-unmap", a.Kind())
	assert.Equal(t, "render0.0", a.Violation.Process)
	assert.Equal(t, "desrun run --scenario engine-demo --policy unsync --seed 53 --strategy pct:3", a.Command(""))
	assert.Equal(t, map[string]string{"scenario": "engine-demo", "policy": "unsync", "strategy": "pct:3",
		"fingerprint": a.Fingerprint, "verdict": "violation", "kind": "use-after-unmap"}, a.Tape().Meta)

	// Replaying the tape gives the same run, named by its original strategy.
	cfg.Tape = a.Tape()
	r, err := workloads.Run(cfg)
	require.NoError(t, err)
	assert.Equal(t, a.Fingerprint, r.Fingerprint)
	assert.Equal(t, "pct:3", r.Strategy)

	// The causal slice ends with the violation and holds only involved processes.
	sl := a.CausalSlice(10)
	require.Len(t, sl, 10)
	assert.Equal(t, "violation", sl[len(sl)-1].Kind.String())
	for _, e := range sl {
		assert.Contains(t, []string{"render0.1", "render0.0", "unplug0"}, a.ProcName(e.Proc))
	}
	assert.Contains(t, a.FormatEvent(sl[len(sl)-1]), "render0.0")
	pass, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: enginedemo.Sync, Seed: 53})
	require.NoError(t, err)
	assert.Nil(t, pass.CausalSlice(0), "no violation, no slice")
}

func TestRunErrors(t *testing.T) {
	sc, _ := workloads.Lookup(enginedemo.Name)
	_, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: "nope"})
	assert.ErrorContains(t, err, `no policy "nope"`)
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Strategy: "lifo"})
	assert.ErrorContains(t, err, `unknown strategy "lifo"`)
	_, err = workloads.Run(workloads.RunConfig{})
	assert.ErrorContains(t, err, "no scenario")
	spec := sc.Spec.Clone()
	spec.Topology.Devices[0].Driver = "nouveau"
	_, err = workloads.Run(workloads.RunConfig{Scenario: sc, Spec: &spec})
	assert.ErrorContains(t, err, `scenario engine-demo: device gpu0: driver "nouveau"`)
	// A panicking Build is an error, not a crash.
	bad := *sc
	bad.Build = func(*des.Sim, workloads.Spec, string) error { panic("boom") }
	_, err = workloads.Run(workloads.RunConfig{Scenario: &bad})
	assert.ErrorContains(t, err, "the Build function panicked: boom")
}
