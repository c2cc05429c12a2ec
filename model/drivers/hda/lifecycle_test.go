package hda

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
)

// Probe and Remove assert the driver core's contract: probe only an unbound chip, remove
// only a bound one. Through the PCI core (unbind, bind) the chip goes round cleanly; called
// by hand out of turn, the run reports a panic naming the transition.
func TestProbeAndRemoveLifecycle(t *testing.T) {
	cases := []struct {
		name string
		body func(r *rig, p *des.Proc)
		want string // "" for a clean run, else a part of the panic message
	}{
		{"unbind then bind", func(r *rig, p *des.Proc) {
			r.host.Unbind(p, r.dev)
			require.NoError(t, r.host.Bind(p, r.dev))
		}, ""},
		{"probe twice", func(r *rig, p *des.Proc) { _ = r.chip.Probe(p, r.dev) }, "bound -> probe"},
		{"remove twice", func(r *rig, p *des.Proc) {
			r.chip.Remove(p, r.dev)
			r.chip.Remove(p, r.dev)
		}, "unbound -> remove"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, "fifo", 1, Config{Policy: QuiescePCMRef})
			r.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
				require.True(t, r.chip.WaitProbed(p))
				tc.body(r, p)
			})
			res := r.sim.Run()
			if tc.want == "" {
				require.True(t, res.OK(), res.Violations)
				assert.True(t, r.chip.bound)
				return
			}
			v := res.First()
			require.NotNil(t, v)
			assert.Equal(t, oracle.Panic, v.Kind)
			assert.Contains(t, v.Msg, tc.want)
		})
	}
}
