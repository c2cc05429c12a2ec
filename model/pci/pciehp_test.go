package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/pci"
)

// slotTopo is a Root Port with pciehp bound and one function below it, driven by legacy.
type slotTopo struct {
	sim  *des.Sim
	host *pci.Host
	port *pci.Dev
	dev  *pci.Dev
	slot *pci.Slot
	j    *journal
}

func newSlotTopo(t *testing.T, withSlot bool) *slotTopo {
	t.Helper()
	return newSlotTopoCfg(t, withSlot, pci.SlotConfig{})
}

func newSlotTopoCfg(t *testing.T, withSlot bool, cfg pci.SlotConfig) *slotTopo {
	t.Helper()
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30, FixedOrder: true})
	require.NoError(t, err)
	st := &slotTopo{sim: sim, host: h, j: &journal{}}
	st.port, err = h.AddBridge(h.Root(), "0000:00:01.0", nil)
	require.NoError(t, err)
	if withSlot {
		st.slot, err = h.AddSlot(st.port, cfg)
		require.NoError(t, err)
	}
	st.dev, err = h.AddDevice(st.port.Subordinate(), "0000:01:00.0", &legacy{name: "accel", j: st.j}, bar(0, 64*kib))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	return st
}

// run probes, then runs fn in a task after 1 ms.
func (st *slotTopo) run(t *testing.T, fn func(p *des.Proc)) {
	t.Helper()
	st.sim.Spawn("modprobe", des.Task, func(p *des.Proc) { require.NoError(t, st.host.ProbeAll(p)) })
	st.sim.Spawn("reset", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond)
		fn(p)
	})
	res := st.sim.Run()
	require.True(t, res.OK(), "%v", res.Violations)
}

// A Secondary Bus Reset behind pciehp's back is a Link Down to it: pciehp_ist unconfigures
// the slot (the device is marked disconnected before its .remove), then, the card being
// present, waits for the link, scans the slot again and probes the device anew.
func TestRawSBRIsASurpriseRemovalToPciehp(t *testing.T) {
	st := newSlotTopo(t, true)
	var waitErr error
	var disconnectedAtRemove bool
	st.run(t, func(p *des.Proc) {
		st.host.SecondaryBusReset(p, st.port)
		disconnectedAtRemove = st.dev.IsDisconnected()
		waitErr = st.host.WaitForSecondaryBus(p, st.port)
	})
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "probe 0000:01:00.0"}, st.j.lines)
	assert.True(t, disconnectedAtRemove, "pciehp_unconfigure_device(presence=false) marks it disconnected")
	assert.NoError(t, waitErr, "the device was removed: nothing below to wait for")
	assert.Equal(t, 1, st.slot.Handled())
	assert.True(t, st.slot.On())
	assert.True(t, st.dev.Bound())
	assert.False(t, st.port.LinkDown())
}

// pciehp_reset_slot masks the link events under reset_lock, resets, clears what the reset
// latched and unmasks: pciehp never acts, the device stays bound, its hardware was reset.
func TestResetSlotHidesTheLinkFlap(t *testing.T) {
	st := newSlotTopo(t, true)
	var err error
	st.run(t, func(p *des.Proc) { err = st.host.ResetFunction(p, st.dev) })
	require.NoError(t, err)
	assert.Equal(t, []string{"probe 0000:01:00.0"}, st.j.lines)
	assert.Zero(t, st.slot.Handled())
	assert.Zero(t, st.slot.Status())
	assert.Equal(t, 1, count(st.sim, "hw-reset"))
	assert.True(t, st.dev.Bound())
}

// Masking without clearing is not enough: Slot Status keeps the change latched and the
// unmask interrupts; pciehp then removes the device after the reset is over.
func TestMaskWithoutClearActsOnTheStaleEvent(t *testing.T) {
	st := newSlotTopo(t, true)
	var removedBeforeUnmask bool
	st.run(t, func(p *des.Proc) {
		st.slot.MaskEvents(p)
		require.NoError(t, st.host.BridgeSecondaryBusReset(p, st.port))
		assert.Equal(t, uint16(pci.SlotDLLSC), st.slot.Status())
		removedBeforeUnmask = st.slot.Handled() > 0
		st.slot.UnmaskEvents(p)
	})
	assert.False(t, removedBeforeUnmask)
	assert.Equal(t, 1, st.slot.Handled())
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "probe 0000:01:00.0"}, st.j.lines)
}

// pci_ignore_hotplug makes pciehp_isr drop the slot's events.
func TestIgnoreHotplugDropsTheEvents(t *testing.T) {
	st := newSlotTopo(t, true)
	st.run(t, func(p *des.Proc) {
		st.dev.IgnoreHotplug()
		require.NoError(t, st.host.BridgeSecondaryBusReset(p, st.port))
	})
	assert.Zero(t, st.slot.Handled())
	assert.Equal(t, 2, count(st.sim, "pciehp: ignoring hotplug event"), "link down and link up")
	assert.Equal(t, []string{"probe 0000:01:00.0"}, st.j.lines)
}

// Without a slot the reset is the hardware's alone: config reads are all ones until the
// link trains, and pci_dev_wait returns once the device answers.
func TestSecondaryBusResetWithoutSlot(t *testing.T) {
	st := newSlotTopo(t, false)
	var during uint16
	var err error
	var at des.Time
	st.run(t, func(p *des.Proc) {
		st.host.SecondaryBusReset(p, st.port)
		during, _ = st.dev.ReadConfig16(p, pci.ConfigVendorID)
		err = st.host.WaitForSecondaryBus(p, st.port)
		at = p.Now()
	})
	require.NoError(t, err)
	assert.Equal(t, uint16(pci.ErrorResponse), during)
	assert.Equal(t, des.Time(des.Millisecond+pci.SBRAssertTime+pci.SecondaryBusDelay), at)
	assert.Nil(t, st.port.Slot())
	assert.Equal(t, []string{"probe 0000:01:00.0"}, st.j.lines)
}

// A reset that finds the IST holding reset_lock for reading waits for it (down_write).
func TestResetSlotWaitsForTheIST(t *testing.T) {
	st := newSlotTopo(t, true)
	var resetAt des.Time
	st.run(t, func(p *des.Proc) {
		st.host.SecondaryBusReset(p, st.port) // pciehp removes and re-enables the slot
		require.NoError(t, st.slot.ResetSlot(p))
		resetAt = p.Now()
	})
	// The IST's enable waits for the link (trained 20 ms after the deassert) and 100 ms more.
	assert.GreaterOrEqual(t, int64(resetAt), int64(des.Millisecond+pci.SBRAssertTime+pci.DefaultLinkTrainTime+2*pci.SecondaryBusDelay))
	assert.Equal(t, 1, st.slot.Handled())
}

func TestAddSlotChecks(t *testing.T) {
	st := newSlotTopo(t, true)
	_, err := st.host.AddSlot(st.port, pci.SlotConfig{})
	assert.ErrorContains(t, err, "has a hotplug slot already")
	_, err = st.host.AddSlot(st.dev, pci.SlotConfig{})
	assert.ErrorContains(t, err, "needs a bridge")
	assert.Panics(t, func() { st.host.SecondaryBusReset(nil, st.dev) })
}

// pciehp_reset_slot as it was before 2025 masks the link events, but bwctrl's Link Bandwidth
// Notification (the link retrained) runs pciehp_isr on the shared interrupt mid-reset, and
// it takes the masked DLLSC from Slot Status: pciehp_ist waits for reset_lock, then removes
// the device after the reset returned (bugzilla 219765). Without bwctrl the masking holds.
func TestMaskedResetSlotWithBwctrl(t *testing.T) {
	for _, bw := range []bool{false, true} {
		st := newSlotTopoCfg(t, true, pci.SlotConfig{MaskOnReset: true, Bwctrl: bw})
		var boundAtReturn bool
		st.run(t, func(p *des.Proc) {
			require.NoError(t, st.host.ResetFunction(p, st.dev))
			boundAtReturn = st.dev.Bound()
		})
		assert.True(t, boundAtReturn, "bwctrl %v: the IST waited for reset_lock", bw)
		if !bw {
			assert.Zero(t, st.slot.Handled())
			assert.Equal(t, []string{"probe 0000:01:00.0"}, st.j.lines)
			continue
		}
		assert.Equal(t, 1, st.slot.Handled())
		assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "probe 0000:01:00.0"}, st.j.lines)
	}
}

// pciehp_reset_slot since 2025 annotates the reset: pciehp_ist awaits the section and
// ignores its Link Down and Up, whatever interrupt brought them.
func TestResetSlotIgnoresTheLinkChange(t *testing.T) {
	st := newSlotTopoCfg(t, true, pci.SlotConfig{Bwctrl: true})
	st.run(t, func(p *des.Proc) { require.NoError(t, st.host.ResetFunction(p, st.dev)) })
	assert.Zero(t, st.slot.Handled())
	assert.Equal(t, 1, st.slot.Ignored(), "the Link Up came while the IST waited: dropped with the Link Down")
	assert.Equal(t, []string{"probe 0000:01:00.0"}, st.j.lines)
}

// A link still down when the annotated section ends is not ignored: pciehp_ignore_link_change
// synthesizes a Link Down, and the slot is brought down and up again.
func TestIgnoreLinkChangeChecksTheLink(t *testing.T) {
	st := newSlotTopo(t, true)
	st.run(t, func(p *des.Proc) {
		st.slot.IgnoreLinkChange(p)
		st.host.SecondaryBusReset(p, st.port)
		st.slot.UnignoreLinkChange(p) // before the link trained
	})
	assert.Equal(t, 1, st.slot.Ignored())
	assert.Equal(t, 1, st.slot.Handled())
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0", "probe 0000:01:00.0"}, st.j.lines)
}

// pciehp_unconfigure_device drops reset_lock around the unbinding (mainline's fix of the
// AB-BA deadlock between reset_lock and device_lock): a reset that holds the device_lock, as
// pci_reset_function does, gets reset_lock while pciehp_ist waits for that device_lock.
func TestResetUnderDeviceLockDuringPciehpRemoval(t *testing.T) {
	st := newSlotTopo(t, true)
	var resetErr error
	st.sim.Spawn("pci_reset_function", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond)
		st.dev.DeviceLock(p) // pci_dev_lock
		p.Sleep(5 * des.Millisecond)
		resetErr = st.slot.ResetSlot(p)
		st.j.add("reset done")
		st.dev.DeviceUnlock(p)
	})
	st.run(t, func(p *des.Proc) { st.host.SecondaryBusReset(p, st.port) }) // pciehp removes
	assert.ErrorIs(t, resetErr, pci.ErrDisconnected, "pciehp marked the device disconnected first")
	assert.Equal(t, []string{"probe 0000:01:00.0", "reset done", "remove 0000:01:00.0", "probe 0000:01:00.0"}, st.j.lines)
}

// A card pulled from an idle slot is a surprise removal: pciehp_isr takes Presence Detect
// Changed and the Link Down, pciehp_ist marks the device disconnected, removes it and, the
// slot being empty, leaves it off.
func TestPullCardRemovesTheDevice(t *testing.T) {
	st := newSlotTopoCfg(t, true, pci.SlotConfig{Bwctrl: true})
	st.run(t, func(p *des.Proc) { st.slot.PullCard(p) })
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0"}, st.j.lines)
	assert.Equal(t, 1, st.slot.Handled())
	assert.False(t, st.slot.On())
	assert.True(t, st.port.LinkDown())
	assert.False(t, st.dev.Bound())
}

// A card pulled during pciehp_reset_slot's annotated reset (mainline since 2025): the link
// never trains, so pci_bridge_wait_for_secondary_bus gives up after PCI_RESET_WAIT with the
// link down (-ENOTTY), and pciehp_ist, which awaited the section, finds the link down in
// pciehp_ignore_link_change and requests the events again: the device is removed after the
// reset returned, not under it, and the slot stays off.
func TestPullCardDuringAnnotatedReset(t *testing.T) {
	st := newSlotTopoCfg(t, true, pci.SlotConfig{Bwctrl: true})
	var resetErr error
	var boundAtReturn bool
	var returnedAt des.Time
	st.sim.Spawn("pull", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond + pci.SBRAssertTime/2)
		st.slot.PullCard(p)
	})
	st.run(t, func(p *des.Proc) {
		resetErr = st.host.ResetFunction(p, st.dev)
		boundAtReturn, returnedAt = st.dev.Bound(), p.Now()
	})
	assert.ErrorIs(t, resetErr, pci.ErrNotReady)
	assert.True(t, boundAtReturn, "pciehp_ist awaited the annotated section")
	assert.GreaterOrEqual(t, int64(returnedAt), int64(des.Millisecond+pci.ResetWait))
	assert.Equal(t, 1, st.slot.Ignored())
	assert.Equal(t, 1, st.slot.Handled())
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0"}, st.j.lines)
	assert.False(t, st.slot.On())
}

// pciehp_reset_slot as it was before 2025 clears what the reset latched in Slot Status: a
// card pulled before the link trained (so bwctrl never interrupts) is cleared with the
// reset's own Link Down, and pciehp never removes the device.
func TestPullCardDuringMaskedResetIsLost(t *testing.T) {
	st := newSlotTopoCfg(t, true, pci.SlotConfig{Bwctrl: true, MaskOnReset: true})
	var resetErr error
	st.sim.Spawn("pull", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond + pci.SBRAssertTime/2)
		st.slot.PullCard(p)
	})
	st.run(t, func(p *des.Proc) { resetErr = st.host.ResetFunction(p, st.dev) })
	assert.ErrorIs(t, resetErr, pci.ErrNotReady)
	assert.Zero(t, st.slot.Handled())
	assert.Equal(t, []string{"probe 0000:01:00.0"}, st.j.lines)
	assert.True(t, st.dev.Bound(), "bound to a card that is gone")
	assert.True(t, st.slot.On())
}

// pci_ignore_hotplug is for good: a card pulled afterwards is never removed.
func TestPullCardAfterIgnoreHotplug(t *testing.T) {
	st := newSlotTopo(t, true)
	st.run(t, func(p *des.Proc) {
		st.dev.IgnoreHotplug()
		st.slot.PullCard(p)
	})
	assert.Zero(t, st.slot.Handled())
	assert.Equal(t, 1, count(st.sim, "pciehp: ignoring hotplug event"))
	assert.True(t, st.dev.Bound())
}

// A card pulled while pciehp brings the slot up after a raw reset's removal (the link
// training in flight is void): pciehp_check_link_status finds no link, the slot stays off,
// and the device is not probed again.
func TestPullCardWhileSlotComesBack(t *testing.T) {
	st := newSlotTopo(t, true)
	st.sim.Spawn("pull", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond + pci.SBRAssertTime + pci.DefaultLinkTrainTime/2)
		st.slot.PullCard(p)
	})
	st.run(t, func(p *des.Proc) { st.host.SecondaryBusReset(p, st.port) })
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0"}, st.j.lines)
	assert.False(t, st.slot.On())
	assert.False(t, st.dev.Bound())
}

// pci_try_reset_function does not wait for a device_lock someone holds: -EAGAIN, nothing
// reset; with the lock free it resets as pci_reset_function does.
func TestTryResetFunction(t *testing.T) {
	st := newSlotTopoCfg(t, true, pci.SlotConfig{Bwctrl: true})
	var busy, free error
	st.sim.Spawn("holder", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond / 2)
		st.dev.DeviceLock(p)
		p.Sleep(des.Millisecond)
		st.dev.DeviceUnlock(p)
	})
	st.run(t, func(p *des.Proc) {
		busy = st.host.TryResetFunction(p, st.dev)
		p.Sleep(des.Millisecond)
		free = st.host.TryResetFunction(p, st.dev)
	})
	assert.ErrorIs(t, busy, pci.ErrAgain)
	assert.NoError(t, free)
	assert.Equal(t, 1, count(st.sim, "hw-reset"))
	assert.Equal(t, 1, st.slot.Ignored())
	assert.Zero(t, st.slot.Handled())
}
