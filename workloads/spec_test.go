package workloads_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads"
)

const goodSpec = `{
  "topology": {"devices": [{"name": "gpu0", "driver": "amdgpu"}, {"name": "gpu1", "driver": "xe", "policy": "fixed"}]},
  "apps": [
    {"kind": "render", "device": "gpu0", "count": 2, "ops": 10, "interval_ns": 5000,
     "bos": [{"size_bytes": 65536, "placement": "vram"}]},
    {"kind": "dma-buf-share", "device": "gpu0", "peer": "gpu1", "count": 1, "ops": 3, "interval_ns": 0}
  ],
  "events": [
    {"kind": "unplug", "device": "gpu0", "at_ns": 20000},
    {"kind": "bar-resize", "device": "gpu1", "at_ns": 0, "after": {"app": 1, "op": 2}, "bar_size_bytes": 268435456}
  ],
  "budgets": {"max_events": 100000, "max_time_ns": 1000000000}
}`

func TestDecodeSpec(t *testing.T) {
	s, err := workloads.DecodeSpec(strings.NewReader(goodSpec))
	require.NoError(t, err)
	assert.Len(t, s.Apps, 2)
	assert.Equal(t, &workloads.AppEvent{App: 1, Op: 2}, s.Events[1].After)
	assert.Equal(t, workloads.Size{Apps: 2, Instances: 3, Ops: 23, Events: 2, BOs: 2}, s.Size())
	// JSON round trip.
	again, err := workloads.DecodeSpec(strings.NewReader(string(s.JSON())))
	require.NoError(t, err)
	assert.True(t, s.Equal(again))
	assert.Equal(t, s.Hash(), again.Hash())
	c := s.Clone()
	c.Apps[0].BOs[0].SizeBytes = 1
	c.Events[1].After.Op = 0
	assert.Equal(t, int64(65536), s.Apps[0].BOs[0].SizeBytes, "Clone is deep")
	assert.Equal(t, 2, s.Events[1].After.Op, "Clone is deep")
}

// Every invalid field is named in a one-line error.
func TestSpecErrors(t *testing.T) {
	edit := func(f func(s *workloads.Spec)) string {
		s, err := workloads.DecodeSpec(strings.NewReader(goodSpec))
		require.NoError(t, err)
		f(&s)
		return string(s.JSON())
	}
	for _, tc := range []struct{ name, json, want string }{
		{"malformed", `{"apps": [`, "spec: unexpected EOF"},
		{"unknown field", `{"topology": {"devices": []}, "colour": 1}`, `spec: unknown field "colour"`},
		{"wrong type", `{"apps": "x"}`, "spec: cannot unmarshal string"},
		{"case-folded key", `{"Topology": {"devices": [{"name": "a", "driver": "b"}]}}`, `spec: field "Topology": JSON names are case-sensitive: want "topology"`},
		{"case-folded nested key", `{"topology": {"devices": [{"NAME": "a", "driver": "b"}]}}`, `field "NAME" in topology.devices[0]`},
		{"trailing", `{"topology": {"devices": [{"name": "a", "driver": "b"}]}} {}`, "spec: trailing data"},
		{"no devices", `{}`, "spec: topology.devices: must name at least one device"},
		{"device name", edit(func(s *workloads.Spec) { s.Topology.Devices[0].Name = "GPU 0" }), "topology.devices[0].name: must be"},
		{"dup device", edit(func(s *workloads.Spec) { s.Topology.Devices[1].Name = "gpu0" }), `topology.devices[1].name: duplicate device "gpu0"`},
		{"driver", edit(func(s *workloads.Spec) { s.Topology.Devices[0].Driver = "" }), "topology.devices[0].driver: must be"},
		{"app kind", edit(func(s *workloads.Spec) { s.Apps[0].Kind = "game" }), `apps[0].kind: unknown app kind "game"`},
		{"app device", edit(func(s *workloads.Spec) { s.Apps[0].Device = "gpu9" }), `apps[0].device: no device "gpu9"`},
		{"count", edit(func(s *workloads.Spec) { s.Apps[1].Count = 0 }), "apps[1].count: must be >= 1"},
		{"ops", edit(func(s *workloads.Spec) { s.Apps[1].Ops = -1 }), "apps[1].ops: must be in [0, 1000]"},
		{"interval", edit(func(s *workloads.Spec) { s.Apps[0].IntervalNs = -5 }), "apps[0].interval_ns: must be in [0, 1000000]"},
		{"peer missing", edit(func(s *workloads.Spec) { s.Apps[1].Peer = "" }), "apps[1].peer: a dma-buf-share app needs a peer device"},
		{"peer same", edit(func(s *workloads.Spec) { s.Apps[1].Peer = "gpu0" }), `apps[1].peer: must differ from device "gpu0"`},
		{"peer extra", edit(func(s *workloads.Spec) { s.Apps[0].Peer = "gpu1" }), "apps[0].peer: only dma-buf-share and prime-offload"},
		{"bo size", edit(func(s *workloads.Spec) { s.Apps[0].BOs[0].SizeBytes = 0 }), "apps[0].bos[0].size_bytes: must be in"},
		{"bo place", edit(func(s *workloads.Spec) { s.Apps[0].BOs[0].Placement = "l2" }), `apps[0].bos[0].placement: unknown placement "l2"`},
		{"event kind", edit(func(s *workloads.Spec) { s.Events[0].Kind = "meteor" }), `events[0].kind: unknown event kind "meteor"`},
		{"event device", edit(func(s *workloads.Spec) { s.Events[0].Device = "x" }), `events[0].device: no device "x"`},
		{"event at", edit(func(s *workloads.Spec) { s.Events[0].AtNs = -1 }), "events[0].at_ns: must be in [0, 1000000000]"},
		{"after app", edit(func(s *workloads.Spec) { s.Events[1].After.App = 2 }), "events[1].after.app: no apps[2] (there are 2 apps)"},
		{"after op", edit(func(s *workloads.Spec) { s.Events[1].After.Op = 3 }), "events[1].after.op: must be in [0, 3)"},
		{"bar size", edit(func(s *workloads.Spec) { s.Events[1].BARSizeBytes = 3 << 20 }), "events[1].bar_size_bytes: must be a power of two"},
		{"bar size extra", edit(func(s *workloads.Spec) { s.Events[0].BARSizeBytes = 1 << 20 }), "events[0].bar_size_bytes: only bar-resize"},
		{"budget", edit(func(s *workloads.Spec) { s.Budgets.MaxTimeNs = -1 }), "budgets.max_time_ns: must be in [0, 1000000000000]"},
		{"too many instances", edit(func(s *workloads.Spec) { s.Apps[0].Count, s.Apps[1].Count = 40, 40 }), "apps: at most 64 app instances"},
		{"too many ops", edit(func(s *workloads.Spec) { s.Apps[0].Count, s.Apps[0].Ops = 30, 1000 }), "apps: at most 20000 operations in all"},
		{"interval overflows time", edit(func(s *workloads.Spec) { s.Apps[0].IntervalNs = 4e18 }), "apps[0].interval_ns: must be in"},
	} {
		_, err := workloads.DecodeSpec(strings.NewReader(tc.json))
		if assert.Error(t, err, tc.name) {
			assert.Contains(t, err.Error(), tc.want, tc.name)
			assert.NotContains(t, err.Error(), "\n", tc.name)
		}
	}
}

func TestLoadSpec(t *testing.T) {
	_, err := workloads.LoadSpec("testdata/nonexistent.json")
	assert.ErrorContains(t, err, "cannot read spec")
	p := t.TempDir() + "/bad.json"
	require.NoError(t, writeFile(p, `{"apps": [{"kind": "render", "count": 0}], "topology": {"devices": [{"name": "g", "driver": "d"}]}}`))
	_, err = workloads.LoadSpec(p)
	assert.ErrorContains(t, err, p+": spec: apps[0].device")
}
