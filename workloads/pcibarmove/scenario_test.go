package pcibarmove_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
	"hotplugsim/workloads/internal/scenariotest"
	"hotplugsim/workloads/pcibarmove"
)

// sweepSeeds is the bug-zoo budget: a buggy policy must be found within it, a fixed one
// must stay clean over all of it.
const sweepSeeds = 2000

// Every policy over seeds 1..2000 with the default strategy and Spec: a buggy policy finds
// its expected kind (the first seed and the count are logged for the bug-zoo table), a fixed
// one finds nothing.
func TestSweep(t *testing.T) {
	sc := scenariotest.Lookup(t, pcibarmove.Name)
	for _, pol := range sc.Policies {
		t.Run(pol.Name, func(t *testing.T) {
			first, found := 0, 0
			other := map[string]int{}
			for seed := uint64(1); seed <= sweepSeeds; seed++ {
				o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: seed,
					NoTape: true, TraceRing: -1})
				require.NoError(t, err)
				switch k := o.Kind(); {
				case k == "":
				case pol.Buggy && k == string(pol.Expect):
					found++
					if first == 0 {
						first = int(seed)
					}
				default:
					other[k]++
					if !pol.Buggy {
						t.Fatalf("%s seed %d: %s: %s\nreproduce: %s", pol.Name, seed, k, o.Violation.Message,
							o.Command(""))
					}
				}
			}
			if !pol.Buggy {
				t.Logf("%s: 0 of %d seeds find a violation", pol.Name, sweepSeeds)
				return
			}
			require.NotZero(t, first, "%s: no seed in 1..%d finds %s", pol.Name, sweepSeeds, pol.Expect)
			t.Logf("%s: expect %s: first seed %d, %d of %d seeds find it (first violation of other kinds: %v)",
				pol.Name, pol.Expect, first, found, sweepSeeds, other)
		})
	}
}

// Same seed, same run: the fingerprint of the whole trace repeats.
func TestDeterministic(t *testing.T) {
	sc := scenariotest.Lookup(t, pcibarmove.Name)
	for _, pol := range sc.Policies {
		a, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: 7})
		require.NoError(t, err)
		b, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: 7})
		require.NoError(t, err)
		assert.Equal(t, a.Fingerprint, b.Fingerprint, pol.Name)
	}
}

// In a clean run every span that begins ends, and there are spans of every kind: ioctls of
// all three kinds, faults, a barmove per device per rescan, the rescans.
func TestSpansArePaired(t *testing.T) {
	sc := scenariotest.Lookup(t, pcibarmove.Name)
	var events []des.Event
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: 3,
		Sink: func(e des.Event) { events = append(events, e) }})
	require.NoError(t, err)
	require.Equal(t, workloads.Pass, o.Verdict)
	all := modelSpans(events)
	objs := map[string]int{}
	for _, s := range all {
		assert.False(t, s.Open, "%s %s of proc %d never ends", s.Name, s.Obj, s.Proc)
		assert.GreaterOrEqual(t, s.End, s.Start)
		objs[s.Name+" "+s.Obj]++
	}
	for _, k := range []string{"ioctl gpu-a:cs", "ioctl gpu-b:cs", "ioctl gpu-b:cs-p2p", "ioctl nvme0:io",
		"fault gpu-a:render0.0:bo0", "fault gpu-a:dma-buf-share2.0:bo0"} {
		assert.NotZero(t, objs[k], k)
	}
	for _, k := range []string{"barmove gpu-a", "barmove nvme0", "barmove gpu-b", "rescan pci0000"} {
		assert.Equal(t, 2, objs[k], k)
	}
}

// Every Spec the generator makes for the scenario builds and runs under the fixed policy
// without a violation (a handful: the property runs live in properties/).
func TestGeneratedSpecsRunClean(t *testing.T) {
	scenariotest.GeneratedSpecsRunClean(t, scenariotest.Lookup(t, pcibarmove.Name), 40)
}
