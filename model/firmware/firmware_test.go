package firmware_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/firmware"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
)

// A probe loads, reads and releases its firmware: no report, and the size is the file's.
func TestRequestReadReleasePasses(t *testing.T) {
	sim := modeltest.Collect()
	firmware.AddFile(sim, firmware.File{Name: "amdgpu/gc_9_0_me.bin", Size: 4096, Latency: 3 * des.Millisecond})
	var size int
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		fw, err := firmware.RequestFirmware(p, "amdgpu/gc_9_0_me.bin")
		require.NoError(t, err)
		assert.Equal(t, des.Time(3*des.Millisecond), p.Now(), "the load sleeps for the read")
		size = fw.Size(p)
		assert.True(t, fw.Read(p, "amdgpu_ucode_init_bo"))
		firmware.ReleaseFirmware(p, fw)
		firmware.ReleaseFirmware(p, nil) // release_firmware(NULL) is a no-op
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, 4096, size)
}

// A file the simulation did not configure is found, with the default size.
func TestUnconfiguredFileIsFound(t *testing.T) {
	sim := modeltest.Collect()
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		fw, err := firmware.RequestNowarn(p, "xe/tgl_guc_70.bin")
		require.NoError(t, err)
		assert.Equal(t, firmware.DefaultSize, fw.Size(p))
		firmware.ReleaseFirmware(p, fw)
	})
	modeltest.OK(t, sim.Run())
}

// A missing file fails every load with -ENOENT, Faults off; an empty name is -EINVAL.
func TestMissingFileIsENOENT(t *testing.T) {
	sim := modeltest.Collect()
	firmware.RemoveFile(sim, "hda/patch.fw")
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		fw, err := firmware.RequestFirmware(p, "hda/patch.fw")
		assert.ErrorIs(t, err, firmware.ErrNoEnt)
		assert.Nil(t, fw)
		_, err = firmware.RequestNowarn(p, "hda/patch.fw")
		assert.ErrorIs(t, err, firmware.ErrNoEnt)
		_, err = firmware.RequestFirmware(p, "")
		assert.ErrorIs(t, err, firmware.ErrInval)
	})
	modeltest.OK(t, sim.Run())
}

// Reading the image after release_firmware is a use-after-free naming the reader.
func TestReadAfterReleaseIsUseAfterFree(t *testing.T) {
	sim := modeltest.Collect()
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		fw, err := firmware.RequestFirmware(p, "gpu.bin")
		require.NoError(t, err)
		firmware.ReleaseFirmware(p, fw)
		assert.False(t, fw.Read(p, "gpu_load_ucode"))
	})
	modeltest.Only(t, sim.Run(), oracle.UseAfterFree, "BUG: KASAN: slab-use-after-free in gpu_load_ucode",
		"firmware:gpu.bin", "release_firmware")
}

// Releasing twice is KASAN's double-free.
func TestReleaseTwiceIsDoubleFree(t *testing.T) {
	sim := modeltest.Collect()
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		fw, err := firmware.RequestFirmware(p, "gpu.bin")
		require.NoError(t, err)
		firmware.ReleaseFirmware(p, fw)
		firmware.ReleaseFirmware(p, fw)
	})
	modeltest.Only(t, sim.Run(), oracle.UseAfterFree, "double-free", "firmware:gpu.bin")
}

// A load under a spinlock is might_sleep's report, with the lock held; outside it is fine.
func TestRequestUnderSpinlockIsSleepInAtomic(t *testing.T) {
	for _, under := range []bool{false, true} {
		sim := modeltest.Collect()
		l := lock.NewSpinLock(sim, "&chip->reg_lock")
		sim.Spawn("probe", des.Task, func(p *des.Proc) {
			if under {
				l.Lock(p)
			}
			fw, err := firmware.RequestFirmware(p, "gpu.bin")
			if under {
				l.Unlock(p)
			}
			require.NoError(t, err)
			firmware.ReleaseFirmware(p, fw)
		})
		r := sim.Run()
		if !under {
			modeltest.OK(t, r)
			continue
		}
		modeltest.Only(t, r, oracle.LockOrder, "BUG: sleeping function called from invalid context at drivers/base/firmware_loader/main.c",
			"request_firmware of firmware:gpu.bin", "&chip->reg_lock")
	}
}

// The fault site fails some loads with -ENOENT with Config.Faults on, and none with it off;
// a failed load is traced and counted.
func TestFaultSiteFailsOnlyWithFaults(t *testing.T) {
	for _, faults := range []bool{false, true} {
		failed := 0
		for seed := uint64(1); seed <= 64; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Faults: faults})
			var err error
			sim.Spawn("probe", des.Task, func(p *des.Proc) {
				var fw *firmware.Firmware
				fw, err = firmware.RequestFirmware(p, "gpu.bin")
				firmware.ReleaseFirmware(p, fw)
			})
			modeltest.OK(t, sim.Run())
			if err != nil {
				assert.ErrorIs(t, err, firmware.ErrNoEnt)
				assert.Equal(t, 1, sim.FaultsFired())
				sites, _ := sim.FaultSites()
				assert.Equal(t, []string{firmware.SiteRequest}, sites)
				failed++
			}
		}
		if faults {
			assert.Positive(t, failed, "some of 64 seeds fail the load")
			assert.Less(t, failed, 64)
		} else {
			assert.Zero(t, failed)
		}
	}
}
