package amdgpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/firmware"
)

// A missing CP microcode fails the probe with amdgpu_ucode_request's -ENODEV under every
// policy; the unwind frees the interrupt, and a later bind with the file back
// succeeds. The loaded microcode is released by fini_sw.
func TestMissingMicrocodeFailsProbe(t *testing.T) {
	for _, pol := range Policies {
		sim, g := oneGPU(t, pol.Name)
		firmware.RemoveFile(sim, GfxMicrocode)
		sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
			assert.ErrorIs(t, g.Bind(p), drm.ErrNoDev, pol.Name)
			assert.Nil(t, g.cur, pol.Name)
			assert.False(t, g.line.Requested(), "%s: free_irq in the unwind", pol.Name)
			firmware.AddFile(sim, firmware.File{Name: GfxMicrocode})
			require.NoError(t, g.Bind(p), pol.Name)
			a := g.cur
			assert.NotNil(t, a.gfxFW, pol.Name)
			g.Unbind(p)
			if a.swFinied {
				assert.Nil(t, a.gfxFW, pol.Name)
			}
		})
		r := sim.Run()
		require.True(t, r.OK(), "%s: %v", pol.Name, r.Violations)
	}
}
