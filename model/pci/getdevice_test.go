package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/firmware"
	"hotplugsim/model/pci"
)

var _ firmware.Device = (*pci.Dev)(nil)

// A firmware load requested at probe (request_firmware_nowait) holds a get_device reference
// across the remove until its callback returned.
func TestGetDeviceHeldAcrossRemove(t *testing.T) {
	gpu := &legacy{name: "xe", j: &journal{}, bar: 5}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	firmware.AddFile(tp.sim, firmware.File{Name: "xe/guc.bin", Latency: des.Millisecond})
	refsAtRemove, refsAtCb := -1, -1
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		require.NoError(t, firmware.RequestNowait(p, "xe/guc.bin", tp.gpu, func(p *des.Proc, fw *firmware.Firmware) {
			refsAtCb = tp.gpu.DeviceRefs()
			firmware.ReleaseFirmware(p, fw)
		}))
		tp.host.Remove(p, tp.gpu)
		refsAtRemove = tp.gpu.DeviceRefs()
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.True(t, tp.gpu.Removed())
	assert.Equal(t, 1, refsAtRemove)
	assert.Equal(t, 1, refsAtCb)
	assert.Zero(t, tp.gpu.DeviceRefs())
}

// A put_device without its get is the refcount underflow the kernel WARNs about: a panic.
func TestPutDeviceWithoutGetPanics(t *testing.T) {
	tp := newTopo(t, des.Config{}, true, nil, nil)
	tp.sim.Spawn("buggy", des.Task, func(p *des.Proc) {
		tp.gpu.GetDevice(p)
		tp.gpu.PutDevice(p)
		tp.gpu.PutDevice(p)
	})
	r := tp.sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, des.KindPanic, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "put_device of 0000:01:00.0 without get_device")
}
