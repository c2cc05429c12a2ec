package amdgpu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/sched"
)

func oneGPU(t *testing.T, pol string) (*des.Sim, *GPU) {
	t.Helper()
	sim := des.MustNew(des.Config{TraceRing: 1 << 16})
	pl, err := NewPlatform(sim)
	require.NoError(t, err)
	g, err := pl.AddGPU("gpu1", pol)
	require.NoError(t, err)
	require.NoError(t, pl.Boot())
	return sim, g
}

func traced(sim *des.Sim, kind string) int {
	n := 0
	for _, e := range sim.Trace() {
		if e.Kind.String() == kind {
			n++
		}
	}
	return n
}

// Before unplug the TDR recovers the GPU (the hung job signals -ETIME); after
// drm_dev_unplug it returns ENODEV, touches nothing and is not rearmed.
func TestTDRRecoversThenReturnsENODEVAfterUnplug(t *testing.T) {
	sim, g := oneGPU(t, V6CompleteFirst)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		require.NoError(t, g.Bind(p))
		a := g.cur
		c, err := g.Open(p, "app", nil)
		require.NoError(t, err)
		g.HangNextJob()
		f, err := c.Submit(p, des.Microsecond)
		require.NoError(t, err)
		require.NoError(t, c.Wait(p, f))
		assert.Equal(t, int(-fence.ETIME), f.Status())
		assert.Equal(t, 1, traced(sim, "amdgpu:gpu-recover"))

		g.HangNextJob()
		f, err = c.Submit(p, des.Microsecond)
		require.NoError(t, err)
		p.Sleep(10 * des.Microsecond)
		a.ddev.DevUnplug(p) // the first step of remove, alone
		p.Sleep(3 * tdrTimeout)
		assert.Equal(t, 2, a.sched.TDRRuns(), "one more TDR run, no rearm")
		assert.Equal(t, 1, traced(sim, "amdgpu:tdr-enodev"))
		assert.Equal(t, 1, traced(sim, "amdgpu:gpu-recover"), "no recovery after unplug")
		assert.False(t, f.Signalled())
		// the rest of the remove path
		a.finaliseFences(p)
		sched.Fini(p, a.sched)
		a.killEntities(p)
		a.finiHW(p)
		assert.Equal(t, int(-fence.ENODEV), f.Status())
		c.Close(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.Violations)
}

// The rw_sem: once the fences are finalised a kernel job (the VM clear at close) is refused.
func TestFinalisedDeviceRejectsNewJobs(t *testing.T) {
	sim, g := oneGPU(t, V6CompleteFirst)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		require.NoError(t, g.Bind(p))
		a := g.cur
		c, err := g.Open(p, "app", nil)
		require.NoError(t, err)
		a.ddev.DevUnplug(p)
		a.finaliseFences(p)
		a.submitVMClear(p, c)
		assert.Equal(t, 0, c.vm.Queued())
		assert.Equal(t, 1, traced(sim, "amdgpu:job-rejected"))
		sched.Fini(p, a.sched)
		a.finiHW(p)
		c.Close(p)
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.Violations)
}
