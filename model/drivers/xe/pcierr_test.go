package xe_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/pci"
)

// A frozen channel: error_detected wedges the instance,
// slot_reset re-probes, resume unwedges the new instance, which runs jobs again. A
// perm_failure report cannot be recovered: the device is removed.
func TestAERRecoveryReprobes(t *testing.T) {
	for _, state := range []pci.ChannelState{pci.ChannelFrozen, pci.ChannelPermFailure} {
		var old, cur *xe.Device
		var res pci.ERSResult
		r, _ := world(t, xe.DefaultPolicy, 1, nil, func(p *des.Proc, pl *xe.Platform) {
			d := pl.Devices()[0]
			old = d.Current()
			c, err := d.Open(p, "app")
			require.NoError(t, err)
			res = pl.Host().ReportError(p, d.PCI(), state)
			cur = d.Current()
			_ = c.Close(p)
			if cur != nil {
				require.NoError(t, d.HealthCheck(p, "health"))
			}
		})
		require.True(t, r.OK(), r.Violations)
		if state == pci.ChannelPermFailure {
			assert.Equal(t, pci.ERSDisconnect, res)
			assert.Nil(t, cur, "removed")
			continue
		}
		assert.Equal(t, pci.ERSRecovered, res)
		require.NotNil(t, cur)
		assert.NotSame(t, old, cur, "slot_reset probed a new instance")
		assert.True(t, old.Removed())
		assert.False(t, cur.Wedged(), "resume unwedged it")
	}
}
