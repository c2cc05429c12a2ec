package amdgpu_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
)

// The ring's fence interrupt goes through the function's line: probe requests it, the remove
// path's HW fini frees it (amdgpu_irq_fini_hw), and a rebind requests it again. (The other
// two policies fail this sequence for their own bugs.)
func TestFenceInterruptFollowsRequestAndFreeIRQ(t *testing.T) {
	for _, pol := range []amdgpu.Policy{amdgpu.V6, amdgpu.SIGBUS} {
		t.Run(string(pol), func(t *testing.T) {
			sim, g := platform(t, des.Config{}, pol)
			sim.Spawn("igt", des.Task, func(p *des.Proc) {
				require.NoError(t, g.Bind(p))
				assert.True(t, g.IRQ().Requested())
				require.NoError(t, g.HealthCheck(p))
				assert.Equal(t, 1, g.IRQ().Stats().Handled, "the no-op job's fence came through the line")
				g.Unbind(p)
				assert.False(t, g.IRQ().Requested(), "remove freed the irq")
				require.NoError(t, g.Bind(p))
				assert.True(t, g.IRQ().Requested())
				require.NoError(t, g.HealthCheck(p))
				assert.Equal(t, 2, g.IRQ().Stats().Handled)
				g.Unbind(p)
			})
			r := sim.Run()
			require.True(t, r.OK(), "%v", r.First())
		})
	}
}
