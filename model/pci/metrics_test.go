package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/pci"
)

// metricsTopo: a movable GPU and a legacy NIC on the root bus, with a recorder attached.
func metricsTopo(t *testing.T) (*des.Sim, *metrics.Recorder, *pci.Host, *pci.Dev, *journal) {
	sim := des.MustNew(des.Config{})
	rec := metrics.NewRecorder()
	metrics.Attach(sim, rec)
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30, FixedOrder: true})
	require.NoError(t, err)
	j := &journal{}
	gpu, err := h.AddDevice(h.Root(), "0000:01:00.0", &movable{legacy: legacy{name: "gpu", j: j}}, bar(0, 256*mib))
	require.NoError(t, err)
	_, err = h.AddDevice(h.Root(), "0000:00:1f.0", &legacy{name: "nic", j: j}, bar(0, 128*kib))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	return sim, rec, h, gpu, j
}

// barmove-stall/<device> is rescan_prepare → rescan_done of the device: the scan and every
// BAR update in between. A device without the hooks has no stall metric.
func TestBARMoveStallPerDevice(t *testing.T) {
	sim, rec, h, _, _ := metricsTopo(t)
	sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		require.NoError(t, h.Rescan(p))
		gen, moving := metrics.MoveState(sim)
		assert.Equal(t, uint64(1), gen)
		assert.False(t, moving)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{metrics.BarMoveStall("0000:01:00.0")}, rec.Names())
	hs := rec.Histogram(metrics.BarMoveStall("0000:01:00.0"))
	require.Equal(t, uint64(1), hs.Count())
	// the scan (20us) plus releasing and assigning the one movable BAR (1us each)
	assert.Equal(t, pci.DefaultScanTime+2*pci.DefaultBARUpdateTime, hs.Max())
}

// unplug-remove is Remove called → the driver's .remove returned, per bound device.
func TestUnplugRemoveIsTimedPerDevice(t *testing.T) {
	sim, rec, h, gpu, _ := metricsTopo(t)
	sim.Spawn("udev", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		p.Sleep(des.Microsecond)
		h.Remove(p, gpu)
		_, inRemove := metrics.UnplugStart(p)
		assert.False(t, inRemove)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{metrics.UnplugRemove}, rec.Names())
	assert.Equal(t, uint64(1), rec.Histogram(metrics.UnplugRemove).Count())
	u, ok := metrics.UnplugSince(sim, 0)
	assert.True(t, ok)
	assert.Equal(t, des.Time(des.Microsecond), u)
}
