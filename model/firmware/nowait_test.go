package firmware_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/firmware"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/kasan"
	"hotplugsim/model/oracle"
)

// device is a struct device whose references the test counts.
type device struct{ refs, maxRefs int }

func (d *device) GetDevice(*des.Proc) { d.refs++; d.maxRefs = max(d.maxRefs, d.refs) }
func (d *device) PutDevice(*des.Proc) { d.refs-- }

// chip is a driver's private data, as snd_hda_intel's struct azx: probe asks for a patch
// with request_firmware_nowait, the callback stores it in the chip, remove frees the chip.
type chip struct {
	kasan.Obj
	loaded *des.Completion // completed by the callback
	fw     *firmware.Firmware
	gotFW  bool
	err    error // probe's
}

func (c *chip) probe(p *des.Proc, dev *device) {
	c.Alloc(p.Sim(), p, "azx")
	c.loaded = des.NewCompletion(p.Sim(), "azx.fw_loaded")
	c.err = firmware.RequestNowait(p, "hda/patch.fw", dev, c.firmwareCb)
}

// firmwareCb is azx_firmware_cb: it reads the chip the context points to.
func (c *chip) firmwareCb(p *des.Proc, fw *firmware.Firmware) {
	if !c.Use(p, "azx_firmware_cb") {
		firmware.ReleaseFirmware(p, fw)
		return
	}
	c.fw, c.gotFW = fw, fw != nil
	c.loaded.Complete()
}

// remove frees the chip, after waiting for the callback when wait is set.
func (c *chip) remove(p *des.Proc, wait bool) {
	if wait {
		c.loaded.Wait(p)
	}
	firmware.ReleaseFirmware(p, c.fw)
	c.Free(p)
}

// runNowait probes at 0, removes at 100us, and the load takes 1ms.
func runNowait(wait, missing bool) (des.Result, *device, *chip, int) {
	sim := modeltest.Collect()
	firmware.AddFile(sim, firmware.File{Name: "hda/patch.fw", Latency: des.Millisecond, Missing: missing})
	dev, c := &device{}, &chip{}
	refsAtRemove := -1
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { c.probe(p, dev) })
	sim.Spawn("unbind", des.Task, func(p *des.Proc) {
		p.Sleep(100 * des.Microsecond)
		refsAtRemove = dev.refs
		c.remove(p, wait)
	})
	return sim.Run(), dev, c, refsAtRemove
}

// The load holds a device reference until the callback returned; a remove that waits for
// the callback frees the chip after it: no report, whether or not the file was found.
func TestNowaitRemoveWaitingForCallbackPasses(t *testing.T) {
	for _, missing := range []bool{false, true} {
		r, dev, c, refs := runNowait(true, missing)
		modeltest.OK(t, r)
		require.NoError(t, c.err)
		assert.Equal(t, 1, refs, "get_device held while the load is pending")
		assert.Zero(t, dev.refs, "put_device after the callback")
		assert.Equal(t, !missing, c.gotFW, "the callback gets nil for a missing file")
		assert.True(t, c.Freed())
	}
}

// A remove that frees the chip while the load is pending: the callback runs on freed
// memory, and the device reference did not prevent it.
func TestNowaitCallbackAfterRemoveIsUseAfterFree(t *testing.T) {
	r, dev, _, refs := runNowait(false, false)
	v := modeltest.Only(t, r, oracle.UseAfterFree, "BUG: KASAN: slab-use-after-free in azx_firmware_cb", "azx")
	assert.Contains(t, v.Msg, "Freed by task")
	assert.Equal(t, 1, refs)
	assert.Zero(t, dev.refs)
}

// The nowait load is its own fault site: a failed load calls back with nil, Faults on only.
func TestNowaitFaultSiteCallsBackWithNil(t *testing.T) {
	for _, faults := range []bool{false, true} {
		nils := 0
		for seed := uint64(1); seed <= 64; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Faults: faults})
			dev, c := &device{}, &chip{}
			sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
				c.probe(p, dev)
				c.remove(p, true)
			})
			modeltest.OK(t, sim.Run())
			if !c.gotFW {
				sites, _ := sim.FaultSites()
				assert.Equal(t, []string{firmware.SiteRequestNowait}, sites)
				nils++
			}
		}
		if faults {
			assert.Positive(t, nils)
		} else {
			assert.Zero(t, nils)
		}
	}
}
