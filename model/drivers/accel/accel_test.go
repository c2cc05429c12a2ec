package accel_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/accel"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
)

// run probes one accelerator behind a pciehp port (bwctrl sharing its interrupt, its
// pciehp_reset_slot as pol says) under pol, and resets it once from an open file while an app
// submits.
func run(t *testing.T, pol string) (des.Result, *accel.Accel, *pci.Slot) {
	t.Helper()
	return runPull(t, pol, 0)
}

// runPull is run with the card pulled from the slot at pull (0: never).
func runPull(t *testing.T, pol string, pull des.Duration) (des.Result, *accel.Accel, *pci.Slot) {
	t.Helper()
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: accel.HostBase, Size: accel.HostSize})
	require.NoError(t, err)
	port, err := h.AddBridge(h.Root(), "0000:00:01.0", nil)
	require.NoError(t, err)
	drv, err := accel.New(sim, accel.Config{Name: "accel0", Policy: pol})
	require.NoError(t, err)
	slot, err := h.AddSlot(port, pci.SlotConfig{Bwctrl: true, MaskOnReset: drv.Policy().CoreMasks})
	require.NoError(t, err)
	_, err = h.AddDevice(port.Subordinate(), "0000:01:00.0", drv, accel.BAR())
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { require.NoError(t, h.ProbeAll(p)) })
	sim.Spawn("reset", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond)
		f, err := drv.Open(p)
		if pull == 0 {
			require.NoError(t, err)
		}
		if err == nil {
			_ = f.Reset(p)
		}
	})
	if pull > 0 {
		sim.Spawn("pull", des.Task, func(p *des.Proc) {
			p.Sleep(pull)
			slot.PullCard(p)
		})
	}
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		f, err := drv.Open(p)
		require.NoError(t, err)
		for i := 0; i < 200; i++ {
			if f.Submit(p) == accel.ErrNoDevice {
				return
			}
			p.Sleep(des.Millisecond)
		}
	})
	return sim.Run(), drv, slot
}

// The buggy designs end in KASAN's report of accel_hw_reinit (or the accel_hw_start it calls
// after the firmware reload) using the context that accel_pci_remove freed under pciehp_ist.
func TestBuggyPoliciesUseTheFreedContext(t *testing.T) {
	for _, pol := range []string{accel.RawSBR, accel.MaskNoClear, accel.ResetSlotMasked} {
		res, _, slot := run(t, pol)
		require.Len(t, res.Violations, 1, pol)
		v := res.Violations[0]
		assert.Equal(t, oracle.UseAfterFree, v.Kind, pol)
		assert.Contains(t, v.Msg, "slab-use-after-free in accel_hw_", pol) // reinit, or its hw_start
		assert.Contains(t, v.Msg, "\n accel_hw_reinit\n accel_ioctl_reset\n", pol)
		assert.Contains(t, v.Msg, "pciehp_ist", pol)
		assert.Equal(t, 1, slot.Handled(), pol)
	}
}

// The fixed designs keep pciehp out of the reset: one probe, one completed reset, and the
// app's submissions go on after it.
func TestFixedPoliciesResetInPlace(t *testing.T) {
	for _, pol := range []string{accel.IgnoreHotplug, accel.IgnoreLinkChange, accel.TryResetInDevEnter, accel.ResetSlot} {
		res, drv, slot := run(t, pol)
		require.True(t, res.OK(), "%s: %v", pol, res.Violations)
		assert.Equal(t, 1, drv.Probes(), pol)
		assert.Equal(t, 1, drv.Resets(), pol)
		assert.Zero(t, slot.Handled(), pol)
		assert.True(t, drv.Bound(), pol)
	}
}

// A card really pulled around the reset (which starts at 1 ms, waits for the secondary bus
// until about 103 ms and re-initialises until about 113 ms) under the fixed designs: before
// it, pciehp removes the device and the ioctl fails; during the annotated section (or
// ignore-hotplug's), pci_bridge_wait_for_secondary_bus gives up with the link down and the
// ioctl marks the context dead inside drm_dev_enter; during the re-init, .remove waits for
// the ioctl. No run touches the freed context. pciehp removes the device once the section is
// over, except under ignore-hotplug once it was called: the card is gone, the driver stays
// bound to it.
func TestFixedPoliciesSurviveAPull(t *testing.T) {
	for _, pol := range []string{accel.IgnoreHotplug, accel.IgnoreLinkChange, accel.TryResetInDevEnter, accel.ResetSlot} {
		for _, pull := range []des.Duration{des.Millisecond / 2, des.Millisecond + pci.SBRAssertTime/2,
			50 * des.Millisecond, 108 * des.Millisecond, 150 * des.Millisecond} {
			res, drv, slot := runPull(t, pol, pull)
			require.True(t, res.OK(), "%s pull at %v: %v", pol, pull, res.Violations)
			assert.Equal(t, 1, drv.Probes(), "%s pull at %v: never re-probed", pol, pull)
			reinit := pull > 103*des.Millisecond
			assert.Equal(t, map[bool]int{true: 1}[reinit], drv.Resets(), "%s pull at %v", pol, pull)
			if pol == accel.IgnoreHotplug && pull > des.Millisecond {
				assert.True(t, drv.Bound(), "%s pull at %v: the real unplug is ignored too", pol, pull)
				assert.Zero(t, slot.Handled(), "%s pull at %v", pol, pull)
				continue
			}
			assert.False(t, drv.Bound(), "%s pull at %v: pciehp removed the device", pol, pull)
			assert.Equal(t, 1, slot.Handled(), "%s pull at %v", pol, pull)
			assert.False(t, slot.On(), "%s pull at %v", pol, pull)
		}
	}
}

// A card pulled while the ioctl stops the engine inside drm_dev_enter (the reset at 1 ms,
// accel_hw_stop until 2 ms): pciehp's removal takes the device_lock and its .remove waits for
// the ioctl; pci_reset_function then waits for that device_lock: deadlock.
// pci_try_reset_function returns -EAGAIN instead, the ioctl leaves, .remove goes on. Pulled
// later, both designs are clean.
func TestResetInDevEnterDeadlocks(t *testing.T) {
	res, _, _ := runPull(t, accel.ResetInDevEnter, des.Millisecond+accel.QuiesceTime/2)
	require.Len(t, res.Violations, 1)
	v := res.Violations[0]
	assert.Equal(t, oracle.Deadlock, v.Kind)
	assert.Contains(t, v.Msg, "device_lock")
	assert.Contains(t, v.Msg, "accel-ioctls:accel0")
	for _, pull := range []des.Duration{des.Millisecond + accel.QuiesceTime/2, 50 * des.Millisecond, 110 * des.Millisecond} {
		res, drv, slot := runPull(t, accel.TryResetInDevEnter, pull)
		require.True(t, res.OK(), "pull at %v: %v", pull, res.Violations)
		assert.False(t, drv.Bound(), "pull at %v", pull)
		assert.Equal(t, 1, slot.Handled(), "pull at %v", pull)
		assert.Equal(t, 1, drv.Probes(), "pull at %v", pull)
	}
	res, drv, _ := run(t, accel.ResetInDevEnter)
	require.True(t, res.OK(), "%v", res.Violations)
	assert.Equal(t, 1, drv.Resets())
}

func TestParsePolicy(t *testing.T) {
	_, err := accel.New(nil, accel.Config{Name: "x", Policy: "no-such"})
	assert.ErrorContains(t, err, `accel: no policy "no-such"`)
	d, err := accel.New(nil, accel.Config{Name: "x"})
	require.NoError(t, err)
	assert.Equal(t, accel.DefaultPolicy, d.Policy().Name)
}
