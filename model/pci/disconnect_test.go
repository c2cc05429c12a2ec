package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/pci"
)

// seesRemove journals what its .remove sees of the device.
type seesRemove struct{ j *journal }

func (s *seesRemove) Name() string                        { return "sees" }
func (s *seesRemove) Probe(p *des.Proc, d *pci.Dev) error { return nil }
func (s *seesRemove) Remove(p *des.Proc, d *pci.Dev) {
	v, err := d.ReadConfig16(p, pci.ConfigVendorID)
	s.j.add("remove disconnected=%v present=%v vendor=%#x err=%v", d.IsDisconnected(), d.IsPresent(p), v, err)
}

// pciehp marks a surprise-removed device disconnected before its driver's .remove runs:
// config reads return all ones and fail; an orderly remove leaves it connected.
func TestSurpriseRemoveDisconnectsBeforeRemove(t *testing.T) {
	for _, surprise := range []bool{false, true} {
		j := &journal{}
		sim, h, d := aerTopo(t, &seesRemove{j: j})
		sim.Spawn("pciehp", des.Task, func(p *des.Proc) {
			require.NoError(t, h.ProbeAll(p))
			v, err := d.ReadConfig16(p, pci.ConfigVendorID)
			require.NoError(t, err)
			assert.Equal(t, uint16(pci.VendorID), v)
			if surprise {
				h.SurpriseRemove(p, d)
			} else {
				h.Remove(p, d)
			}
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		want := "remove disconnected=false present=true vendor=0x1b36 err=<nil>"
		if surprise {
			want = "remove disconnected=true present=false vendor=0xffff err=" + pci.ErrDisconnected.Error()
		}
		assert.Equal(t, []string{want}, j.lines)
		assert.Equal(t, surprise, d.IsDisconnected())
		assert.Equal(t, surprise, d.ChannelState() == pci.ChannelPermFailure)
	}
}

// A link that went down but that pciehp has not handled yet reads all ones without the
// error; a replug is a new incarnation, connected again.
func TestUnpluggedReadsOnesUntilPciehpAndReplugReconnects(t *testing.T) {
	j := &journal{}
	sim, h, d := aerTopo(t, &seesRemove{j: j})
	sim.Spawn("pciehp", des.Task, func(p *des.Proc) {
		require.NoError(t, h.ProbeAll(p))
		h.Unplug(p, d)
		v, err := d.ReadConfig16(p, pci.ConfigVendorID)
		assert.NoError(t, err)
		assert.Equal(t, uint16(pci.ErrorResponse), v)
		assert.False(t, d.IsDisconnected())
		h.PciehpUnconfigure(p, d)
		assert.ErrorIs(t, d.WriteConfig16(p, pci.ConfigCommand, 0), pci.ErrDisconnected)
		require.NoError(t, h.Replug(p, d))
		assert.False(t, d.IsDisconnected())
		v, err = d.ReadConfig16(p, pci.ConfigVendorID)
		assert.NoError(t, err)
		assert.Equal(t, uint16(pci.VendorID), v)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.True(t, d.Bound())
}
