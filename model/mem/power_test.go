package mem_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/oracle"
)

func TestMMIOInD0AfterResumeIsClean(t *testing.T) {
	sim := des.MustNew(des.Config{})
	o, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		io.Write32(p, 0, 7)
		o.SetSuspended(p, true)
		o.SetSuspended(p, false)
		assert.Equal(t, uint32(7), io.Read32(p, 0), "the register file survives D3hot")
	})
	require.True(t, r.OK(), r.Violations)
}

func TestMMIOInD3hotIsMMIOSuspended(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true})
	o, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		io.Write32(p, 0, 7)
		o.SetSuspended(p, true)
		assert.Equal(t, uint32(0xffffffff), io.Read32(p, 0), "no memory decode in D3hot")
		io.Write32(p, 0, 9)
		o.SetSuspended(p, false)
		assert.Equal(t, uint32(7), io.Read32(p, 0), "the write in D3hot was lost")
	})
	require.Len(t, r.Violations, 2)
	for _, v := range r.Violations {
		assert.Equal(t, oracle.MMIOSuspended, v.Kind)
	}
}
