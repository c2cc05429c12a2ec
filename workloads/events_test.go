package workloads_test

import (
	"testing"

	"github.com/leanovate/gopter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

// A scenario that defines an event kind of its own, as a driver with PCI error handlers would
// define an AER report.
func init() {
	workloads.Register(&workloads.Scenario{
		Name: "test-aer",
		Doc:  "defines the aer-frozen event kind",
		Spec: workloads.Spec{
			Topology: workloads.Topology{Devices: []workloads.Device{{Name: "d0", Driver: "log"}}},
			Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "d0", Count: 1, Ops: 2}},
			Events:   []workloads.Event{{Kind: "aer-frozen", Device: "d0", AtNs: 1000}},
		},
		Policies:      []workloads.Policy{{Name: "only", Doc: "the one policy"}},
		DefaultPolicy: "only",
		Strategy:      "fifo",
		DefineEvents:  workloads.KindTable[workloads.EventKind]{{Name: "aer-frozen", Doc: "an uncorrectable error report: the channel is frozen"}},
		Build: func(sim *des.Sim, spec workloads.Spec, _ string) error {
			lastTarget = &logTarget{stopAt: -1}
			workloads.Start(sim, spec, lastTarget)
			return nil
		},
	})
}

func TestDefinedEventKindRunsAsAPlatformEvent(t *testing.T) {
	sc, err := workloads.Lookup("test-aer")
	require.NoError(t, err)
	assert.Equal(t, []workloads.EventKind{"aer-frozen"}, sc.EventKinds)
	out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: 1})
	require.NoError(t, err)
	assert.Nil(t, out.Violation)
	assert.Contains(t, lastTarget.log, "@1us aer-frozen d0")
}

func TestDefinedEventKindIsValidatedPerScenario(t *testing.T) {
	aer, _ := workloads.Lookup("test-aer")
	logSc, _ := workloads.Lookup("test-log")
	spec := aer.Spec.Clone()
	require.NoError(t, spec.Validate(), "a kind a registered scenario defines is a valid kind")
	require.NoError(t, aer.CheckSpec(spec))
	assert.EqualError(t, logSc.CheckSpec(spec), `events[0].kind: scenario test-log supports event kinds [unplug], not "aer-frozen"`)

	spec.Events[0].Kind = "aer-frozn"
	err := spec.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown event kind "aer-frozn"`)
	assert.Regexp(t, `one a scenario defines: \[[^]]*\baer-frozen\b[^]]*\]`, err.Error())
}

func TestDefinedEventKindIsGeneratedAndShrunk(t *testing.T) {
	sc, _ := workloads.Lookup("test-aer")
	gen := workloads.GenSpec(sc)
	seen := false
	for seed := int64(1); seed <= 20 && !seen; seed++ {
		s := gen(gopter.DefaultGenParameters().CloneWithSeed(seed)).Result.(workloads.Spec)
		require.NoError(t, sc.CheckSpec(s))
		for _, e := range s.Events {
			seen = seen || e.Kind == "aer-frozen"
		}
	}
	assert.True(t, seen, "GenSpec draws the scenario's own kinds")

	next := workloads.ShrinkSpec(sc.Spec)
	dropped, earlier := false, false
	for v, ok := next(); ok; v, ok = next() {
		c := v.(workloads.Spec)
		dropped = dropped || len(c.Events) == 0
		earlier = earlier || (len(c.Events) == 1 && c.Events[0].AtNs < 1000)
	}
	assert.True(t, dropped, "shrink removes a defined event")
	assert.True(t, earlier, "shrink moves a defined event earlier")
}

func TestRegisterRejectsBadDefinedEvents(t *testing.T) {
	base := func(k workloads.KindDoc[workloads.EventKind]) *workloads.Scenario {
		return &workloads.Scenario{
			Name: "test-bad", Doc: "bad", Policies: []workloads.Policy{{Name: "p", Doc: "p"}}, DefaultPolicy: "p",
			DefineEvents: workloads.KindTable[workloads.EventKind]{k}, Build: func(*des.Sim, workloads.Spec, string) error { return nil },
		}
	}
	for _, c := range []struct {
		k    workloads.KindDoc[workloads.EventKind]
		want string
	}{
		{workloads.KindDoc[workloads.EventKind]{Name: workloads.EvUnplug, Doc: "x"}, `is a platform kind`},
		{workloads.KindDoc[workloads.EventKind]{Name: "Bad Name", Doc: "x"}, `want 1-64 characters`},
		{workloads.KindDoc[workloads.EventKind]{Name: "nodoc"}, `needs a one-line Doc`},
	} {
		msg := func() (msg any) {
			defer func() { msg = recover() }()
			workloads.Register(base(c.k))
			return nil
		}()
		assert.Contains(t, msg, c.want, c.k.Name)
	}
}
