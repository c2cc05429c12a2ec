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
	for _, pol := range []string{amdgpu.V6CompleteFirst, amdgpu.SIGBUS} {
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

// IGT's unbind-rebind under random preemption: the health check's fence interrupt may still
// be in progress (preempted inside the fence callbacks) when the unbind runs, and with nothing
// open the unbind's last drm_dev_put frees the scheduler. The HW fini's free_irq waits for
// that handler; without it drm_sched_job_done ran on the freed scheduler (use-after-free).
func TestUnbindWaitsForTheFenceInterruptInProgress(t *testing.T) {
	for seed := uint64(1); seed <= 300; seed++ {
		sim, g := platform(t, des.Config{Seed: seed, Strategy: "random:2us"}, amdgpu.V6CompleteFirst)
		sim.Spawn("igt", des.Task, func(p *des.Proc) {
			if g.Bind(p) != nil || g.HealthCheck(p) != nil {
				return
			}
			g.Unbind(p)
			if g.Bind(p) == nil {
				_ = g.HealthCheck(p)
				g.Unbind(p)
			}
		})
		r := sim.Run()
		require.True(t, r.OK(), "seed %d: %v", seed, r.First())
	}
}
