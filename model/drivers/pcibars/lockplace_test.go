package pcibars_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/pcibars"
	"hotplugsim/model/mm"
)

// global-rwsem: the PCI core takes the BAR lock for write inside pci_rescan_bus, i.e. under
// pci_rescan_remove_lock. A remove that holds that lock and waits in drm_dev_unplug for an
// ioctl queued on the BAR lock behind the rescan must not deadlock: the rescan cannot hold
// the BAR lock while it waits for pci_rescan_remove_lock.
func TestGlobalRWSemRescanRacingRemoveDoesNotDeadlock(t *testing.T) {
	r := newRig(t, pcibars.GlobalRWSem, true)
	m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
	var c1, c2 *pcibars.Client
	r.sim.Spawn("app1", des.Task, func(p *des.Proc) {
		p.Sleep(us)
		c1 = app(t, p, r.b, m, "app1", 1)
		var err error
		c2, err = r.b.Open(p, m, "app2")
		require.NoError(t, err)
		p.Sleep(9 * us)
		_ = c1.Submit(p) // holds the read side 10us..12us
	})
	r.sim.Spawn("app2", des.Task, func(p *des.Proc) {
		p.Sleep(11*us + 200)
		_ = c2.Submit(p) // queued behind the rescan's write side
	})
	r.rescanAt(t, 11*us)
	r.sim.Spawn("remove", des.Task, func(p *des.Proc) {
		p.Sleep(11*us + 500)
		r.host.Remove(p, r.b.Dev())
	})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
}
