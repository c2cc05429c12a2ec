package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
)

func TestWithDevicesCopiesTheFirstDeviceWithItsAppsAndEvents(t *testing.T) {
	s := workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "demo", Policy: "sync"},
			{Name: "hda", Driver: "snd"}}},
		Apps: []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 2, Ops: 3},
			{Kind: workloads.AppAudio, Device: "hda", Count: 1, Ops: 3}},
		Events: []workloads.Event{{Kind: workloads.EvUnplug, Device: "gpu0", AtNs: 5, After: &workloads.AppEvent{App: 0, Op: 1}},
			{Kind: workloads.EvRescan, Device: "hda", AtNs: 7}, {Kind: workloads.EvRescan, Device: "gpu0", AtNs: 9}},
	}
	out, err := s.WithDevices(3)
	require.NoError(t, err)
	var names []string
	for _, d := range out.Topology.Devices {
		names = append(names, d.Name+"/"+d.Driver+"/"+d.Policy)
	}
	assert.Equal(t, []string{"gpu0/demo/sync", "hda/snd/", "gpu1/demo/sync", "gpu2/demo/sync"}, names)
	require.Len(t, out.Apps, 4)
	assert.Equal(t, "gpu1", out.Apps[2].Device)
	assert.Equal(t, "gpu2", out.Apps[3].Device)
	require.Len(t, out.Events, 5, "a rescan is bus-wide: not copied")
	assert.Equal(t, "gpu1", out.Events[3].Device)
	assert.Equal(t, 2, out.Events[3].After.App, "follows the copy of its app")
	assert.Equal(t, 3, out.Events[4].After.App)
	assert.Equal(t, 0, s.Events[0].After.App, "the input is not changed")
	assert.Len(t, s.Topology.Devices, 2)

	same, err := s.WithDevices(1)
	require.NoError(t, err)
	assert.True(t, same.Equal(s))
}

func TestWithDevicesErrors(t *testing.T) {
	s := workloads.Spec{Topology: workloads.Topology{Devices: []workloads.Device{{Name: "card", Driver: "demo"}}},
		Apps: []workloads.App{{Kind: workloads.AppRender, Device: "card", Count: 20, Ops: 1}}}
	out, err := s.WithDevices(2)
	require.NoError(t, err)
	assert.Equal(t, "card-1", out.Topology.Devices[1].Name)
	_, err = s.WithDevices(0)
	assert.ErrorContains(t, err, "want 1 to 16")
	_, err = s.WithDevices(8) // 8 × 20 instances
	assert.ErrorContains(t, err, "8 devices:")
	_, err = workloads.Spec{}.WithDevices(2)
	assert.Error(t, err)
}
