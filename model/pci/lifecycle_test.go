package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
)

// A bind of a bound device and an unbind of an unbound one are no-ops (drivers/base/dd.c):
// the driver's probe and remove run once each per binding.
func TestBindOfBoundAndUnbindOfUnboundAreNoOps(t *testing.T) {
	j := &journal{}
	gpu := &legacy{name: "amdgpu", j: j, bar: 5}
	tp := newTopo(t, des.Config{}, true, gpu, nil)
	tp.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, tp.host.ProbeAll(p))
		require.NoError(t, tp.host.Bind(p, tp.gpu))
		require.NoError(t, tp.host.ProbeAll(p))
		tp.host.Unbind(p, tp.gpu)
		tp.host.Unbind(p, tp.gpu)
		assert.False(t, tp.gpu.Bound())
	})
	r := tp.sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"probe 0000:01:00.0", "remove 0000:01:00.0"}, j.lines)
}
