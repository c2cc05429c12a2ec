package amdgpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
)

// panicOf runs body on a bound gpu1 of policy pol and returns the message of the run's one
// violation, which must be a panic ("" if the run had none).
func panicOf(t *testing.T, pol string, body func(p *des.Proc, g *GPU, a *adevice)) string {
	t.Helper()
	sim, g := oneGPU(t, pol)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		require.NoError(t, g.Bind(p))
		body(p, g, g.cur)
	})
	r := sim.Run()
	if r.OK() {
		return ""
	}
	require.Len(t, r.Violations, 1)
	require.Equal(t, des.KindPanic, r.Violations[0].Kind, "%v", r.Violations[0])
	return r.Violations[0].Msg
}

// Each invalid transition panics with its name; the same steps in their valid order do not.
func TestLifecycleAssertions(t *testing.T) {
	for _, tc := range []struct {
		name, pol, want string
		valid, bad      func(p *des.Proc, g *GPU, a *adevice)
	}{
		{"probe while bound", V6CompleteFirst, "amdgpu: gpu1: invalid transition: probe while incarnation gpu1 is bound",
			func(p *des.Proc, g *GPU, _ *adevice) { g.Unbind(p); require.NoError(t, g.Bind(p)) },
			func(p *des.Proc, g *GPU, _ *adevice) { _ = g.probe(p, g.pdev) }},
		{"remove twice", V6CompleteFirst, "amdgpu: gpu1: invalid transition: remove twice",
			func(p *des.Proc, g *GPU, _ *adevice) { g.Unbind(p) },
			func(p *des.Proc, g *GPU, a *adevice) { g.Unbind(p); a.remove(p) }},
		{"fini_hw twice", V6CompleteFirst, "amdgpu: gpu1: invalid transition: fini_hw twice",
			func(p *des.Proc, g *GPU, _ *adevice) { g.Unbind(p) },
			func(p *des.Proc, g *GPU, a *adevice) { g.Unbind(p); a.finiHW(p) }},
		{"fini_sw before fini_hw", V6CompleteFirst, "amdgpu: gpu1: invalid transition: fini_sw before fini_hw",
			func(p *des.Proc, g *GPU, _ *adevice) { g.Unbind(p) },
			func(p *des.Proc, _ *GPU, a *adevice) { a.finiSW(p) }},
		{"fini_sw twice (drmm action)", V6CompleteFirst, "amdgpu: gpu1: invalid transition: fini_sw twice",
			func(p *des.Proc, g *GPU, a *adevice) { g.Unbind(p); assert.True(t, a.swFinied) },
			func(p *des.Proc, g *GPU, a *adevice) { g.Unbind(p); a.finiSW(p) }},
		{"fini_sw twice (sigbus remove)", SIGBUS, "amdgpu: gpu1: invalid transition: fini_sw twice",
			func(p *des.Proc, g *GPU, a *adevice) { g.Unbind(p); assert.True(t, a.swFinied) },
			func(p *des.Proc, g *GPU, a *adevice) { g.Unbind(p); a.finiSW(p) }},
	} {
		assert.Empty(t, panicOf(t, tc.pol, tc.valid), tc.name+": valid order")
		assert.Equal(t, tc.want, panicOf(t, tc.pol, tc.bad), tc.name)
	}
}

// A remove of an incarnation whose probe did not complete is invalid too; a failed probe's
// fini_sw (its devres release) before any fini_hw is not.
func TestLifecycleAssertionsBeforeProbeCompleted(t *testing.T) {
	a := &adevice{name: "gpu1"}
	assert.PanicsWithValue(t, "amdgpu: gpu1: invalid transition: remove before probe completed", a.assertRemove)
	assert.NotPanics(t, a.assertFiniSW)
	a.probed = true
	assert.NotPanics(t, a.assertRemove)
}
