package drm_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/oracle"
)

// drm_dev_register of a registered device is a driver bug the model panics on; unregister
// before register, unregister twice and unplug twice are what drm_drv.c tolerates, and so
// does the model.
func TestRegisterLifecycle(t *testing.T) {
	cases := []struct {
		name string
		body func(p *des.Proc, d *drm.Device)
		want string // "" for a clean run, else a part of the panic message
	}{
		{"unregister before register, twice", func(p *des.Proc, d *drm.Device) {
			d.DevUnregister(p)
			d.DevUnregister(p)
			d.DevRegister(p)
		}, ""},
		{"unplug twice", func(p *des.Proc, d *drm.Device) {
			d.DevRegister(p)
			d.DevUnplug(p)
			d.DevUnplug(p)
		}, ""},
		{"register, unregister, register", func(p *des.Proc, d *drm.Device) {
			d.DevRegister(p)
			d.DevUnregister(p)
			d.DevRegister(p)
		}, ""},
		{"register twice", func(p *des.Proc, d *drm.Device) {
			d.DevRegister(p)
			d.DevRegister(p)
		}, "registered -> register"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := des.MustNew(des.Config{})
			d := drm.DevAlloc(sim, nil, "card0", nil)
			sim.Spawn("driver", des.Task, func(p *des.Proc) { tc.body(p, d) })
			res := sim.Run()
			if tc.want == "" {
				require.True(t, res.OK(), res.Violations)
				return
			}
			v := res.First()
			require.NotNil(t, v)
			assert.Equal(t, oracle.Panic, v.Kind)
			assert.Contains(t, v.Msg, tc.want)
		})
	}
}
