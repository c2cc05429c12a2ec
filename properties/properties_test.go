package properties_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/properties"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/enginedemo"
)

// Every registered scenario, every policy: fixed ones hold, buggy ones fail with their
// expected kind and gopter shrinks the case.
func TestScenarioPolicies(t *testing.T) {
	require.NotEmpty(t, workloads.All())
	for _, sc := range workloads.All() {
		for _, pol := range sc.Policies {
			t.Run(sc.Name+"/"+pol.Name, func(t *testing.T) {
				// A buggy policy's run stops at the first failure: give it room to find one.
				cfg := properties.Config{Tests: 150}
				if pol.Buggy {
					cfg.Tests, cfg.Kind = 2000, string(pol.Expect)
				}
				f, err := properties.Check(sc, pol.Name, cfg)
				require.NoError(t, err)
				if !pol.Buggy {
					if f != nil {
						t.Fatal(f.Report(t.Name()))
					}
					return
				}
				require.NotNil(t, f, "buggy policy %s: gopter found no violation", pol.Name)
				assert.Equal(t, string(pol.Expect), f.Outcome.Kind(), f.Report(t.Name()))
				assert.Contains(t, sc.Oracles, des.ViolationKind(f.Outcome.Kind()))
				assert.Positive(t, f.Shrinks, "gopter did not shrink")
				assert.LessOrEqual(t, f.Spec.Size().Total(), f.OrigSpec.Size().Total())
				assert.LessOrEqual(t, f.Seed, f.OrigSeed)
				t.Logf("found and shrunk: %v (was %v), seed %d (was %d)", f.Spec.Size(), f.OrigSpec.Size(), f.Seed, f.OrigSeed)
			})
		}
	}
}

// The failure report names the spec, the seed and a desrun line; the line's spec file exists.
func TestFailureReport(t *testing.T) {
	sc, err := workloads.Lookup("engine-demo")
	require.NoError(t, err)
	f, err := properties.Check(sc, "unsync", properties.Config{Tests: 150})
	require.NoError(t, err)
	require.NotNil(t, f)
	rep := f.Report("TestX")
	assert.Contains(t, rep, "use-after-unmap")
	assert.Contains(t, rep, "desrun run --scenario engine-demo --policy unsync")
	assert.Contains(t, rep, "rerun the property run: DES_SEED=1 go test hotplugsim/properties -run '^TestX$'")
	assert.NotContains(t, rep, "-desseed")
	assert.Contains(t, rep, `"topology"`)
	if !f.Outcome.DefaultSpec {
		got, err := workloads.LoadSpec(f.SpecPath())
		require.NoError(t, err)
		assert.True(t, got.Equal(f.Spec))
		os.Remove(f.SpecPath())
	}
	// Same gopter seed, same failure: a property run is deterministic.
	g, err := properties.Check(sc, "unsync", properties.Config{Tests: 150})
	require.NoError(t, err)
	require.NotNil(t, g)
	assert.Equal(t, f.Seed, g.Seed)
	assert.True(t, f.Spec.Equal(g.Spec))
	assert.Equal(t, f.Outcome.Fingerprint, g.Outcome.Fingerprint)
}

func TestSeedFromEnv(t *testing.T) {
	t.Setenv("DES_SEED", "42")
	s, err := properties.Seed()
	require.NoError(t, err)
	assert.Equal(t, int64(42), s)
	t.Setenv("DES_SEED", "x")
	_, err = properties.Seed()
	assert.ErrorContains(t, err, `DES_SEED="x"`)
}

func TestUnknownPolicy(t *testing.T) {
	sc, err := workloads.Lookup("engine-demo")
	require.NoError(t, err)
	_, err = properties.Check(sc, "nope", properties.Config{})
	assert.ErrorContains(t, err, `no policy "nope"`)
}

// Config.Kind narrows what falsifies the property: asked about a kind the policy never
// produces, a buggy policy passes; asked about its own kind, it fails with that kind.
func TestCheckKindNarrowsTheProperty(t *testing.T) {
	sc, err := workloads.Lookup("engine-demo")
	require.NoError(t, err)
	f, err := properties.Check(sc, "unsync", properties.Config{Tests: 300, Kind: "stale-pte"})
	require.NoError(t, err)
	assert.Nil(t, f)
	f, err = properties.Check(sc, "unsync", properties.Config{Tests: 2000, Kind: "use-after-unmap"})
	require.NoError(t, err)
	require.NotNil(t, f)
	assert.Equal(t, "use-after-unmap", f.Outcome.Kind())
}
