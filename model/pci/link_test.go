package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/pci"
	"hotplugsim/model/sched"
)

// ringDrv runs one job on a ring attached to its device and, in error_detected, waits
// longer than the job takes, journaling whether the job completed meanwhile.
type ringDrv struct {
	aerDrv
	link bool // attach the ring to the Link (else to the bare hardware)
	ring *sched.Ring
	job  *fence.Fence
}

func (r *ringDrv) Probe(p *des.Proc, d *pci.Dev) error {
	r.ring = sched.NewRing(d.Host().Sim(), "gfx")
	if r.link {
		r.ring.AttachHW(d.Link())
	} else {
		r.ring.AttachHW(d.HW())
	}
	return r.aerDrv.Probe(p, d)
}

func (r *ringDrv) ErrorDetected(p *des.Proc, d *pci.Dev, s pci.ChannelState) pci.ERSResult {
	r.job = r.ring.Submit(p, 10, false)
	p.Sleep(50)
	r.j.add("job done while frozen=%v", r.job.Signalled())
	return pci.ERSNeedReset
}

// A ring on the device's Link stops while AER has the channel frozen and resumes after the
// slot reset; one on the bare hardware keeps running jobs the frozen link cannot carry.
func TestFrozenChannelStopsTheDevicesRing(t *testing.T) {
	for _, link := range []bool{false, true} {
		j := &journal{}
		drv := &ringDrv{aerDrv: aerDrv{j: j}, link: link}
		sim, h, d := aerTopo(t, drv)
		sim.Spawn("aer", des.Task, func(p *des.Proc) {
			require.NoError(t, h.ProbeAll(p))
			assert.Equal(t, pci.ERSRecovered, h.ReportError(p, d, pci.ChannelFrozen))
			assert.False(t, d.Link().Isolated())
			p.Sleep(20)
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		assert.Contains(t, j.lines, map[bool]string{false: "job done while frozen=true", true: "job done while frozen=false"}[link])
		assert.True(t, drv.job.Signalled(), "link=%v: the job completes after the reset", link)
	}
}
