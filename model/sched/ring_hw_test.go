package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/sched"
)

// fakeHW is a device that can vanish and come back.
type fakeHW struct {
	present bool
	gen     int
}

func (h *fakeHW) Present() bool   { return h.present }
func (h *fakeHW) Generation() int { return h.gen }

// After a surprise removal the ring's jobs never complete by hardware: only the remove path's
// ForceCompletion signals them. A ring not attached to the device keeps completing them.
func TestSurpriseRemovalStopsTheRing(t *testing.T) {
	for _, c := range []struct {
		attach, force, replug bool
		signalled             bool
	}{
		{attach: false, signalled: true},               // a ring the device's removal does not stop
		{attach: true, signalled: false},               // gone: the job never completes by itself
		{attach: true, force: true, signalled: true},   // remove force-completes it
		{attach: true, replug: true, signalled: false}, // the old incarnation's ring stays dead
	} {
		sim := des.MustNew(des.Config{})
		hw := &fakeHW{present: true}
		r := sched.NewRing(sim, "gfx")
		if c.attach {
			r.AttachHW(hw)
		}
		var f *fence.Fence
		sim.Spawn("driver", des.Task, func(p *des.Proc) {
			f = r.Submit(p, 10, false)
			p.Sleep(5)
			hw.present = false // the link goes down under the job
			if c.replug {
				p.Sleep(1)
				hw.present, hw.gen = true, hw.gen+1
			}
			p.Sleep(20)
			if c.force {
				assert.Equal(t, 1, r.ForceCompletion(p, -fence.ENODEV))
			}
		})
		res := sim.Run()
		require.True(t, res.OK(), res.Violations)
		assert.Equal(t, c.signalled, f.Signalled(), "%+v", c)
		if c.force {
			assert.Equal(t, -int(fence.ENODEV), f.Status())
		}
	}
}
