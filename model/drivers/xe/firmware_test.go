package xe_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/firmware"
)

// A missing GuC firmware fails xe_uc_fw_init, and with it the probe, with -ENOENT under every
// policy; devm and drmm unwind what the probe made, and a probe with the file back binds.
func TestMissingGuCFirmwareFailsProbe(t *testing.T) {
	for _, pol := range policy.Names(xe.Policies) {
		sim := des.MustNew(des.Config{Seed: 1, Strategy: "fifo"})
		pl, err := xe.NewPlatform(sim, xe.PlatformConfig{Devices: []xe.DeviceConfig{{Name: "xe0", Policy: pol}}})
		require.NoError(t, err)
		firmware.RemoveFile(sim, xe.GuCFirmware)
		sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
			assert.ErrorIs(t, pl.ProbeAll(p), firmware.ErrNoEnt, pol)
			gpu := pl.Device("xe0")
			assert.False(t, gpu.Bound(), pol)
			firmware.AddFile(sim, firmware.File{Name: xe.GuCFirmware})
			require.NoError(t, pl.ProbeAll(p), pol)
			assert.True(t, gpu.Bound(), pol)
			gpu.Remove(p)
		})
		r := sim.Run()
		require.True(t, r.OK(), "%s: %v", pol, r.Violations)
	}
}
