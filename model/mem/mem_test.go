package mem_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/oracle"
)

// gpu makes a device with one 64 KiB register BAR claimed at 0xe000_0000.
func gpu(t *testing.T, sim *des.Sim) (*mem.Owner, *mem.Region) {
	t.Helper()
	o := mem.SpaceOf(sim).NewOwner("0000:09:00.0")
	r := o.NewRegion("bar0", 0x10000)
	require.NoError(t, r.Claim(0xe000_0000))
	return o, r
}

func run(sim *des.Sim, body func(p *des.Proc)) des.Result {
	sim.Spawn("driver", des.Task, body)
	return sim.Run()
}

func TestReadsReturnWhatWasWrittenMaskedToWidth(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		io.Write32(p, 0x10, 0xdeadbeef)
		io.Write64(p, 0x18, 0x0123_4567_89ab_cdef)
		io.Write8(p, 0x20, 0x5a)
		io.Write16(p, 0x22, 0xbeef)
		assert.Equal(t, uint32(0xdeadbeef), io.Read32(p, 0x10))
		assert.Equal(t, uint64(0x0123_4567_89ab_cdef), io.Read64(p, 0x18))
		assert.Equal(t, uint8(0x5a), io.Read8(p, 0x20))
		assert.Equal(t, uint16(0xbeef), io.Read16(p, 0x22))
		assert.Equal(t, uint32(0), io.Read32(p, 0x30), "unwritten registers read 0")
		assert.Equal(t, uint64(0xdeadbeef), bar.Peek(0x10))
		io.Iounmap(p)
	})
	require.True(t, r.OK(), r.Violations)
	kinds := map[string]int{}
	for _, e := range sim.Trace() {
		kinds[e.Kind.String()]++
	}
	for _, k := range []string{"ioremap", "writel", "writeq", "writeb", "writew", "readl", "readq", "readb", "readw", "iounmap"} {
		assert.Positive(t, kinds[k], k)
	}
}

func TestEveryAccessIsASchedulingPoint(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, bar := gpu(t, sim)
	var order []string
	io := mem.SpaceOf(sim).Ioremap(nil, bar.Base(), bar.Size())
	for _, name := range []string{"a", "b"} {
		sim.Spawn(name, des.Task, func(p *des.Proc) {
			for i := 0; i < 2; i++ {
				io.Read32(p, 0)
				order = append(order, name)
			}
		})
	}
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"a", "b", "a", "b"}, order, "fifo interleaves at each access")
}

func TestAccessBeforeIounmapPasses(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), 0x1000)
		io.Write32(p, 4, 1)
		io.Iounmap(p)
		assert.False(t, io.Mapped())
	})
	assert.True(t, r.OK(), r.Violations)
}

func TestAccessAfterIounmapIsUseAfterUnmap(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, bar := gpu(t, sim)
	io := mem.SpaceOf(sim).Ioremap(nil, bar.Base(), 0x1000)
	sim.Spawn("rescan_prepare", des.Task, func(p *des.Proc) { io.Iounmap(p) })
	sim.Spawn("irq_work", des.Worker, func(p *des.Proc) { p.Sleep(10); io.Read32(p, 0x40) })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, oracle.UseAfterUnmap, v.Kind)
	assert.Equal(t, "irq_work", v.Proc)
	assert.Contains(t, v.Msg, "Read of size 4 at addr ffffc900e0000040 (0000:09:00.0:bar0+0x40) by task irq_work/1\n readl\n at @10ns\n\nUnmapped by task 0 (rescan_prepare):\n iounmap\n at @0ns")
}

func TestDoubleIounmapIsUseAfterUnmap(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), 0x1000)
		io.Iounmap(p)
		io.Iounmap(p)
	})
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterUnmap, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "iounmap: bad address")
}

// A BAR move: release, claim elsewhere. The old mapping is stale; a fresh ioremap at the new
// base reaches the same registers.
func TestOldMappingAfterBARMoveIsStaleNewMappingWorks(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true})
	_, bar := gpu(t, sim)
	var stale, fresh uint32
	r := run(sim, func(p *des.Proc) {
		old := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		old.Write32(p, 0x100, 42)
		bar.Release()
		require.NoError(t, bar.Claim(0xc000_0000))
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		fresh = io.Read32(p, 0x100)
		stale = old.Read32(p, 0x100)
	})
	assert.Equal(t, uint32(42), fresh, "registers move with the BAR")
	assert.Equal(t, uint32(0xffffffff), stale, "nothing decodes the old address")
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StaleMMIO, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "0xe0000100 now decodes to nothing; the mapping was made for 0000:09:00.0:bar0 at 0xe0000000")
}

func TestStaleMappingLandsOnTheNewOwner(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true})
	_, bar := gpu(t, sim)
	nvme := mem.SpaceOf(sim).NewOwner("0000:0a:00.0").NewRegion("bar0", 0x4000)
	r := run(sim, func(p *des.Proc) {
		old := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		bar.Release()
		require.NoError(t, bar.Claim(0xc000_0000))
		require.NoError(t, nvme.Claim(0xe000_0000))
		old.Write32(p, 0x8, 7)
	})
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StaleMMIO, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "now decodes to 0000:0a:00.0:bar0")
	assert.Equal(t, uint64(7), nvme.Peek(0x8), "the write corrupts the other device")
}

func TestAccessBetweenReleaseAndClaimIsStaleEvenIfTheBARComesBack(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true})
	_, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		bar.Release()
		io.Read32(p, 0)
		require.NoError(t, bar.Claim(0xe000_0000))
		io.Read32(p, 0) // same place again: the mapping is valid again
	})
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StaleMMIO, r.Violations[0].Kind)
}

// A BAR that moves by less than its size still decodes part of the old range: an access
// through the old mapping lands on the same device at another register, and is stale.
func TestMoveWithinTheOldRangeIsStale(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true})
	_, bar := gpu(t, sim)
	var got uint32
	r := run(sim, func(p *des.Proc) {
		old := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		bar.Poke(0x1000, 0x1111)
		bar.Release()
		require.NoError(t, bar.Claim(0xe000_8000))
		got = old.Read32(p, 0x9000) // register 0x9000 in the mapping, 0x1000 of the moved BAR
	})
	assert.Equal(t, uint32(0x1111), got, "the read reaches the wrong register")
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.StaleMMIO, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "0xe0009000 now decodes to 0000:09:00.0:bar0 [0xe0008000-0xe0017fff]; the mapping was made for 0000:09:00.0:bar0 at 0xe0000000")
}

// After iounmap the access faults in the kernel: it never reaches the device, even when the
// Sim keeps going after the report.
func TestAccessAfterIounmapDoesNotReachTheDevice(t *testing.T) {
	sim := des.MustNew(des.Config{CollectAll: true})
	_, bar := gpu(t, sim)
	var got uint32
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		io.Write32(p, 0x10, 5)
		io.Iounmap(p)
		io.Write32(p, 0x10, 9)
		got = io.Read32(p, 0x10)
	})
	require.Len(t, r.Violations, 2)
	for _, v := range r.Violations {
		assert.Equal(t, oracle.UseAfterUnmap, v.Kind)
	}
	assert.Equal(t, uint64(5), bar.Peek(0x10), "the write faulted before the bus")
	assert.Equal(t, uint32(0xffffffff), got)
}

func TestSurpriseRemovalReadsAllOnesAndDropsWrites(t *testing.T) {
	sim := des.MustNew(des.Config{})
	o, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		io.Write32(p, 0, 5)
		o.Unplug(p)
		assert.False(t, o.Present())
		assert.Equal(t, uint32(0xffffffff), io.Read32(p, 0))
		assert.Equal(t, uint8(0xff), io.Read8(p, 0))
		assert.Equal(t, uint16(0xffff), io.Read16(p, 0))
		assert.Equal(t, ^uint64(0), io.Read64(p, 0))
		io.Write32(p, 0, 9)
	})
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, 4, o.AllOnesReads())
	assert.Equal(t, 1, o.DroppedWrites())
	assert.Equal(t, uint64(5), bar.Peek(0), "the write was dropped")
	var allOnes int
	for _, e := range sim.Trace() {
		if e.Kind.String() == "mmio-allones" {
			allOnes++
		}
	}
	assert.Equal(t, 4, allOnes)
}

// The remove path may touch the hardware after the driver is unbound; nobody else may.
func TestHWAfterRemove(t *testing.T) {
	setup := func() (*des.Sim, *mem.Owner, *mem.IOMem) {
		sim := des.MustNew(des.Config{})
		o, bar := gpu(t, sim)
		return sim, o, mem.SpaceOf(sim).Ioremap(nil, bar.Base(), bar.Size())
	}
	remove := func(o *mem.Owner, io *mem.IOMem) func(p *des.Proc) {
		return func(p *des.Proc) {
			o.BeginRemove(p)
			io.Write32(p, 0, 0) // .remove quiesces the hardware
			o.MarkRemoved(p)
			io.Read32(p, 0) // devm/pci core still on the remove path
			o.EndRemove(p)
		}
	}
	t.Run("remove path only passes", func(t *testing.T) {
		sim, o, io := setup()
		sim.Spawn("remove", des.Task, remove(o, io))
		r := sim.Run()
		assert.True(t, r.OK(), r.Violations)
	})
	t.Run("an ioctl after removal fires", func(t *testing.T) {
		sim, o, io := setup()
		sim.Spawn("remove", des.Task, remove(o, io))
		sim.Spawn("ioctl", des.Task, func(p *des.Proc) { p.Sleep(10); io.Read32(p, 0x20) })
		r := sim.Run()
		require.Len(t, r.Violations, 1)
		assert.Equal(t, oracle.HWAfterRemove, r.Violations[0].Kind)
		assert.Equal(t, "ioctl", r.Violations[0].Proc)
	})
	t.Run("the remove process after EndRemove fires", func(t *testing.T) {
		sim, o, io := setup()
		sim.Spawn("remove", des.Task, func(p *des.Proc) { remove(o, io)(p); io.Read32(p, 0) })
		r := sim.Run()
		require.Len(t, r.Violations, 1)
		assert.Equal(t, oracle.HWAfterRemove, r.Violations[0].Kind)
	})
	t.Run("a mapping of an earlier incarnation fires after replug", func(t *testing.T) {
		sim, o, io := setup()
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			remove(o, io)(p)
			o.Replug(p)
			assert.False(t, o.Removed())
			io.Read32(p, 0)
		})
		r := sim.Run()
		require.Len(t, r.Violations, 1)
		assert.Equal(t, oracle.HWAfterRemove, r.Violations[0].Kind)
	})
}

func TestClaimRejectsOverlapAndResizeNeedsRelease(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, bar := gpu(t, sim)
	other := mem.SpaceOf(sim).NewOwner("x").NewRegion("bar0", 0x1000)
	require.Error(t, other.Claim(0xe000_f000))
	require.NoError(t, other.Claim(0xe001_0000))
	assert.Error(t, bar.Claim(0xe000_0000), "already claimed")
	assert.Error(t, bar.Resize(0x20000))
	bar.Release()
	require.NoError(t, bar.Resize(0x20000))
	assert.Error(t, bar.Claim(0xe000_0000), "now overlaps x")
	assert.Equal(t, other, mem.SpaceOf(sim).At(0xe001_0fff))
	assert.Nil(t, mem.SpaceOf(sim).At(0xe001_1000))
}

func TestAccessOutsideTheMappingIsAModelBug(t *testing.T) {
	sim := des.MustNew(des.Config{})
	_, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) { mem.SpaceOf(sim).Ioremap(p, bar.Base(), 0x10).Read32(p, 0x10) })
	require.Len(t, r.Violations, 1)
	assert.Equal(t, des.KindPanic, r.Violations[0].Kind)
}

// The gone-hardware check is opt-in: without SetGoneCheck a poll loop on absent hardware and
// writes to it are only counted.
func TestGoneCheckIsOffByDefault(t *testing.T) {
	sim := des.MustNew(des.Config{})
	o, bar := gpu(t, sim)
	r := run(sim, func(p *des.Proc) {
		io := mem.SpaceOf(sim).Ioremap(p, bar.Base(), bar.Size())
		o.Unplug(p)
		for range 100 {
			io.Read32(p, 0x10)
		}
		io.Write32(p, 0x10, 1)
	})
	require.True(t, r.OK(), r.Violations)
	assert.Zero(t, o.GoneCheck())
	assert.Equal(t, 100, o.AllOnesReads())
	assert.Equal(t, 1, o.DroppedWrites())
}

func TestGoneCheck(t *testing.T) {
	const limit = 8
	setup := func() (*des.Sim, *mem.Owner, *mem.IOMem) {
		sim := des.MustNew(des.Config{CollectAll: true})
		o, bar := gpu(t, sim)
		o.SetGoneCheck(limit)
		return sim, o, mem.SpaceOf(sim).Ioremap(nil, bar.Base(), bar.Size())
	}
	t.Run("a poll loop that checks presence on ~0 passes", func(t *testing.T) {
		sim, o, io := setup()
		r := run(sim, func(p *des.Proc) {
			io.Write32(p, 0x10, 0)
			o.Unplug(p)
			for i := 0; i < 1000; i++ {
				if io.Read32(p, 0x10) == 0xffffffff && !o.Present() { // pci_device_is_present
					return
				}
			}
		})
		require.True(t, r.OK(), r.Violations)
	})
	t.Run("limit reads of one register pass, interleaved registers and processes too", func(t *testing.T) {
		sim, o, io := setup()
		o.Unplug(nil)
		for _, name := range []string{"a", "b"} {
			sim.Spawn(name, des.Task, func(p *des.Proc) {
				for range limit {
					io.Read32(p, 0x10)
				}
				for range 3 * limit {
					io.Read32(p, 0x14)
					io.Read32(p, 0x10)
				}
			})
		}
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
	})
	t.Run("a poll loop that never sees the device gone fires once", func(t *testing.T) {
		sim, o, io := setup()
		r := run(sim, func(p *des.Proc) {
			o.Unplug(p)
			for range 10 * limit {
				if io.Read32(p, 0x10)&1 == 0 { // waits for a ready bit; ~0 has it set
					break
				}
			}
		})
		require.Len(t, r.Violations, 1)
		v := r.Violations[0]
		assert.Equal(t, oracle.HWAfterRemove, v.Kind)
		assert.Equal(t, "driver", v.Proc)
		assert.Contains(t, v.Msg, "readl at iomem:0000:09:00.0:bar0+0x0+0x10: 9 consecutive reads of ~0")
		assert.Contains(t, v.Msg, "pci_device_is_present()")
		assert.Contains(t, v.Msg, "pci_dev_is_disconnected()")
	})
	t.Run("writes before the driver declares the device unplugged, or by the remove path, pass", func(t *testing.T) {
		sim, o, io := setup()
		r := run(sim, func(p *des.Proc) {
			io.Write32(p, 0x10, 1) // present: fine
			o.Unplug(p)
			io.Write32(p, 0x10, 2) // the link went down without warning: nobody could know
			o.BeginRemove(p)
			o.MarkUnplugged(p)
			io.Write32(p, 0x10, 0) // the remove path's teardown (hw_fini): dropped, harmless
			o.EndRemove(p)
		})
		require.True(t, r.OK(), r.Violations)
		assert.Equal(t, 2, o.DroppedWrites())
	})
	t.Run("a write by another root after the driver declared the device unplugged fires", func(t *testing.T) {
		sim, o, io := setup()
		o.Unplug(nil)
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			o.BeginRemove(p)
			o.MarkUnplugged(p) // drm_dev_unplug returned
			p.Sleep(10)
			o.EndRemove(p)
		})
		sim.Spawn("worker", des.Task, func(p *des.Proc) {
			p.Sleep(5)
			io.Write32(p, 0x10, 0) // an unguarded root still programs the device
		})
		r := sim.Run()
		require.Len(t, r.Violations, 1)
		v := r.Violations[0]
		assert.Equal(t, oracle.HWAfterRemove, v.Kind)
		assert.Equal(t, "worker", v.Proc)
		assert.Contains(t, v.Msg, "writel at iomem:0000:09:00.0:bar0+0x0+0x10: 0000:09:00.0 is gone")
		assert.Contains(t, v.Msg, "drm_dev_enter()")
		assert.Contains(t, v.Msg, "pci_dev_is_disconnected()")
	})
	t.Run("a replug clears the unplugged mark", func(t *testing.T) {
		_, o, _ := setup()
		o.Unplug(nil)
		o.MarkUnplugged(nil)
		require.True(t, o.Unplugged())
		o.Replug(nil)
		assert.False(t, o.Unplugged())
	})
	t.Run("a frozen channel is not gone", func(t *testing.T) {
		sim, o, io := setup()
		r := run(sim, func(p *des.Proc) {
			o.Freeze(p)
			for range 10 * limit {
				io.Read32(p, 0x10)
			}
			io.Write32(p, 0x10, 1)
		})
		require.True(t, r.OK(), r.Violations)
	})
	t.Run("a replug ends the streak", func(t *testing.T) {
		sim, o, io := setup()
		r := run(sim, func(p *des.Proc) {
			o.Unplug(p)
			for range limit {
				io.Read32(p, 0x10)
			}
			o.Replug(p)
			io = mem.SpaceOf(sim).Ioremap(p, io.Phys(), io.Size())
			o.Unplug(p)
			for range limit {
				io.Read32(p, 0x10)
			}
		})
		require.True(t, r.OK(), r.Violations)
	})
}
