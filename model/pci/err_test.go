package pci_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
)

// aerDrv has error handlers: it votes vote in error_detected, re-initialises its registers
// in slot_reset, and journals what it saw.
type aerDrv struct {
	regs *mem.IOMem
	j    *journal
	vote pci.ERSResult
}

func (a *aerDrv) Name() string { return "aerdrv" }
func (a *aerDrv) Probe(p *des.Proc, d *pci.Dev) error {
	a.regs = d.Iomap(p, 0)
	a.regs.Write32(p, 0, 1)
	return nil
}
func (a *aerDrv) Remove(p *des.Proc, d *pci.Dev) {
	a.j.add("remove present=%v", d.IsPresent(p))
	a.regs.Iounmap(p)
}
func (a *aerDrv) ErrorDetected(p *des.Proc, d *pci.Dev, s pci.ChannelState) pci.ERSResult {
	a.j.add("error_detected state=%d ctrl=%#x", s, a.regs.Read32(p, 0))
	if s == pci.ChannelPermFailure {
		return pci.ERSDisconnect
	}
	return a.vote
}
func (a *aerDrv) MMIOEnabled(p *des.Proc, d *pci.Dev) pci.ERSResult {
	a.j.add("mmio_enabled ctrl=%#x", a.regs.Read32(p, 0))
	return pci.ERSRecovered
}
func (a *aerDrv) SlotReset(p *des.Proc, d *pci.Dev) pci.ERSResult {
	a.j.add("slot_reset ctrl=%#x", a.regs.Read32(p, 0))
	a.regs.Write32(p, 0, 1)
	return pci.ERSRecovered
}
func (a *aerDrv) Resume(p *des.Proc, d *pci.Dev) { a.j.add("resume ctrl=%#x", a.regs.Read32(p, 0)) }

// aerTopo puts the device below a root port, as AER and DPC report errors there.
func aerTopo(t *testing.T, drv pci.Driver) (*des.Sim, *pci.Host, *pci.Dev) {
	t.Helper()
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	port, err := h.AddBridge(h.Root(), "0000:00:1c.0", nil)
	require.NoError(t, err)
	d, err := h.AddDevice(port.Subordinate(), "0000:05:00.0", drv, bar(0, 16*kib))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	return sim, h, d
}

func recoverOnce(t *testing.T, drv pci.Driver, state pci.ChannelState) (des.Result, *pci.Dev, pci.ERSResult) {
	sim, h, d := aerTopo(t, drv)
	var res pci.ERSResult
	sim.Spawn("aerdrv", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		res = h.ReportError(p, d, state)
	})
	return sim.Run(), d, res
}

func TestNonFatalErrorRecoversThroughMMIOEnabled(t *testing.T) {
	j := &journal{}
	r, d, res := recoverOnce(t, &aerDrv{j: j, vote: pci.ERSCanRecover}, pci.ChannelNormal)
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, pci.ERSRecovered, res)
	assert.Equal(t, []string{"error_detected state=1 ctrl=0x1", "mmio_enabled ctrl=0x1", "resume ctrl=0x1"}, j.lines)
	assert.Equal(t, pci.ChannelNormal, d.ChannelState())
}

// A frozen channel reads all-ones until the link reset, which also resets the registers;
// slot_reset re-initialises them.
func TestFrozenChannelReadsAllOnesUntilSlotReset(t *testing.T) {
	j := &journal{}
	r, d, res := recoverOnce(t, &aerDrv{j: j, vote: pci.ERSNeedReset}, pci.ChannelFrozen)
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, pci.ERSRecovered, res)
	assert.Equal(t, []string{"error_detected state=2 ctrl=0xffffffff", "slot_reset ctrl=0x0", "resume ctrl=0x1"}, j.lines)
	assert.True(t, d.Bound())
	assert.False(t, d.HW().Frozen())
}

// A driver that votes DISCONNECT gets perm_failure, and its device is removed.
func TestDisconnectVoteEndsInPermFailureAndRemoval(t *testing.T) {
	j := &journal{}
	r, d, res := recoverOnce(t, &aerDrv{j: j, vote: pci.ERSDisconnect}, pci.ChannelFrozen)
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, pci.ERSDisconnect, res)
	assert.Equal(t, []string{"error_detected state=2 ctrl=0xffffffff", "error_detected state=3 ctrl=0xffffffff",
		"remove present=false"}, j.lines)
	assert.True(t, d.Removed())
	assert.True(t, d.IsDisconnected())
}

// A driver without error handlers cannot recover: PCI_ERS_RESULT_NO_AER_DRIVER, removal.
func TestDriverWithoutHandlersIsRemoved(t *testing.T) {
	j := &journal{}
	r, d, res := recoverOnce(t, &legacy{name: "legacy", j: j}, pci.ChannelNormal)
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, pci.ERSNoAERDriver, res)
	assert.True(t, d.Removed())
}

// A work item that keeps programming the device after recovery failed touches removed
// hardware; one that checks pci_dev_is_disconnected stops.
func TestWorkAfterPermFailure(t *testing.T) {
	for _, check := range []bool{true, false} {
		drv := &aerDrv{j: &journal{}, vote: pci.ERSDisconnect}
		sim, h, d := aerTopo(t, drv)
		var regs *mem.IOMem
		sim.Spawn("aer", des.Task, func(p *des.Proc) {
			require.NoError(t, h.ProbeAll(p))
			regs = d.Iomap(p, 0) // a second mapping, owned by the work below
			h.ReportError(p, d, pci.ChannelFrozen)
		})
		sim.Spawn("watchdog_work", des.Worker, func(p *des.Proc) {
			p.Sleep(des.Millisecond)
			if check && d.IsDisconnected() {
				return
			}
			regs.Write32(p, 8, 1)
		})
		r := sim.Run()
		if check {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.HWAfterRemove, r.First().Kind)
	}
}

// An uncorrectable error freezes the channel: the driver's error_detected reads all-ones and
// asks for a reset; after the link reset it re-initialises the device in slot_reset.
func Example_errorRecovery() {
	sim := des.MustNew(des.Config{})
	host, _ := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	port, _ := host.AddBridge(host.Root(), "0000:00:1c.0", nil)
	j := &journal{}
	nic, _ := host.AddDevice(port.Subordinate(), "0000:05:00.0", &aerDrv{j: j, vote: pci.ERSNeedReset},
		pci.BARSpec{Index: 0, Size: 16 << 10})
	_ = host.Boot()
	sim.Spawn("aerdrv", des.Task, func(p *des.Proc) {
		_ = host.ProbeAll(p)
		fmt.Println("pcie_do_recovery:", host.ReportError(p, nic, pci.ChannelFrozen))
	})
	r := sim.Run()
	for _, l := range j.lines {
		fmt.Println(l)
	}
	fmt.Println("violations:", len(r.Violations))
	// Output:
	// pcie_do_recovery: recovered
	// error_detected state=2 ctrl=0xffffffff
	// slot_reset ctrl=0x0
	// resume ctrl=0x1
	// violations: 0
}
