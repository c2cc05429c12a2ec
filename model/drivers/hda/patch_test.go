package hda

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/firmware"
	"hotplugsim/model/oracle"
)

const testPatch = "hda-jack-retask.fw"

// patchRig is a rig whose chip asks for testPatch, which takes a millisecond to load, under
// the patch-loader policy pol; a "sysfs" process removes the device at unbindAt.
func patchRig(t *testing.T, pol string, unbindAt des.Duration) *rig {
	t.Helper()
	r := newRig(t, "fifo", 1, Config{Policy: QuiescePCMRef, Patch: testPatch, PatchPolicy: pol})
	firmware.AddFile(r.sim, firmware.File{Name: testPatch, Latency: des.Millisecond})
	r.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		p.Sleep(unbindAt)
		r.host.Remove(p, r.dev)
	})
	return r
}

// Mainline: a remove while the patch is loading frees the card, and azx_firmware_cb reads
// it when the load ends. The device reference the load held did not prevent it.
func TestPatchRemoveDuringLoadIsUseAfterFree(t *testing.T) {
	r := patchRig(t, NoFWWait, 100*des.Microsecond)
	res := r.sim.Run()
	v := res.First()
	require.NotNil(t, v, "a remove during the load must be reported")
	assert.Equal(t, oracle.UseAfterFree, v.Kind)
	assert.Contains(t, v.Msg, "BUG: KASAN: slab-use-after-free in azx_firmware_cb")
	assert.Contains(t, v.Msg, "snd_card_free")
	assert.Equal(t, 1, r.dev.DeviceRefs(), "the load's get_device, held across the remove")
}

// wait-fw-cb: remove waits for the callback, which finishes the probe; the card is then
// torn down as after any probe, and the device reference is dropped.
func TestPatchRemoveWaitingForCallbackPasses(t *testing.T) {
	r := patchRig(t, WaitFWCb, 100*des.Microsecond)
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.True(t, r.chip.card.Freed())
	assert.False(t, r.chip.bound)
	assert.False(t, r.chip.regs.Mapped())
	assert.Zero(t, r.dev.DeviceRefs())
}

// A remove after the load ended is clean under both policies, and an app that waited for
// the probe played on the card in between.
func TestPatchRemoveAfterLoadPasses(t *testing.T) {
	for _, pol := range []string{NoFWWait, WaitFWCb} {
		t.Run(pol, func(t *testing.T) {
			r := patchRig(t, pol, 3*des.Millisecond)
			var errs []error
			r.player(10*DefaultPeriod, &errs)
			res := r.sim.Run()
			require.True(t, res.OK(), res.Violations)
			assert.Empty(t, errs)
			assert.Positive(t, r.chip.Stats().Periods)
			assert.True(t, r.chip.card.Freed())
		})
	}
}

// Remove waits for the last close (snd_card_free): a file held open across the remove keeps
// the registers mapped until its release, whose stream stop and hw_free verb then go through.
func TestPatchRemoveWaitsForTheLastClose(t *testing.T) {
	r := patchRig(t, WaitFWCb, 2*des.Millisecond)
	var errs []error
	r.player(2*des.Millisecond, &errs)
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.True(t, r.chip.card.Freed())
	assert.Zero(t, r.chip.OpenFiles())
}

// Without a patch the card is not a KASAN object and probe completes at once; a patch
// policy must be one of PatchPolicies.
func TestPatchConfig(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: QuiescePCMRef})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.False(t, r.chip.card.Live())
	assert.True(t, r.chip.probed.Done())
	assert.Nil(t, r.chip.fwDone)

	c, err := Config{Name: "hda0", Policy: Quiesce, Patch: testPatch}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, DefaultPatchPolicy, c.PatchPolicy)
	_, err = Config{Name: "hda0", Policy: Quiesce, Patch: testPatch, PatchPolicy: "bogus"}.withDefaults()
	assert.ErrorContains(t, err, "no policy \"bogus\"")
}

// wait-fw-cb-locked: remove waits for the callback under the device_lock, and the callback's
// codec probe waits for that lock: the deadlock azx_remove's device_unlock around its
// cancel_delayed_work_sync avoids. wait-fw-cb drops the lock for the wait (the test above).
func TestPatchRemoveWaitingUnderDeviceLockDeadlocks(t *testing.T) {
	r := patchRig(t, WaitFWCbLocked, 100*des.Microsecond)
	res := r.sim.Run()
	v := res.First()
	require.NotNil(t, v, "the wait under the device_lock must be reported")
	assert.Equal(t, des.KindDeadlock, v.Kind)
	assert.Contains(t, v.Msg, "waits for hda0:fw_done held by kworker")
	assert.Contains(t, v.Msg, "waits for device_lock:")
	assert.Contains(t, v.Msg, "(cycle)")
}
