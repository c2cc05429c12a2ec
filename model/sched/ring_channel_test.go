package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/sched"
)

// fakeLink is a device behind a link that error recovery can freeze.
type fakeLink struct {
	fakeHW
	frozen bool
	wq     *des.WaitQueue
}

func (l *fakeLink) Isolated() bool             { return l.frozen }
func (l *fakeLink) ResetQueue() *des.WaitQueue { return l.wq }

// While the channel is frozen the ring completes nothing; the reset resumes it and the job
// that was running runs again. A ring attached to hardware that is no Channel ignores the
// freeze.
func TestFrozenChannelStopsTheRingUntilReset(t *testing.T) {
	for _, channel := range []bool{false, true} {
		sim := des.MustNew(des.Config{})
		l := &fakeLink{fakeHW: fakeHW{present: true}, wq: des.NewWaitQueue(sim, "link")}
		r := sched.NewRing(sim, "gfx")
		if channel {
			r.AttachHW(l)
		} else {
			r.AttachHW(&l.fakeHW)
		}
		var f, g *fence.Fence
		var midFreeze bool
		sim.Spawn("aer", des.Task, func(p *des.Proc) {
			f = r.Submit(p, 10, false)
			p.Sleep(5)
			l.frozen = true // the error freezes the channel under the job
			g = r.Submit(p, 10, false)
			p.Sleep(100)
			midFreeze = f.Signalled() || g.Signalled()
			l.frozen = false // link reset
			l.wq.WakeAll()
			p.Sleep(100)
		})
		res := sim.Run()
		require.True(t, res.OK(), res.Violations)
		assert.Equal(t, !channel, midFreeze, "channel=%v: jobs completed while frozen", channel)
		assert.True(t, f.Signalled() && g.Signalled(), "channel=%v: the reset resumes the ring", channel)
		if channel {
			assert.Equal(t, des.Time(115), f.Timestamp(), "the interrupted job ran again from the reset")
		}
	}
}
