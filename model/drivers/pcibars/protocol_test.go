package pcibars_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/pcibars"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
)

const us = des.Microsecond

// starts returns the address of every BAR of the topology, in device and BAR order.
func starts(r *rig) []mem.Addr {
	var out []mem.Addr
	for _, d := range r.host.Devices() {
		for _, b := range d.BARs() {
			out = append(out, b.Start())
		}
	}
	return out
}

// The whole protocol: a rescan moves BARs (not the NVMe's fixed one); each GPU driver remaps
// its registers and ring, learns the new aperture, and an app's next access refaults at the
// new address.
func TestRescanMovesBARsAndTheDriversFollow(t *testing.T) {
	r := newRig(t, pcibars.GlobalRWSem, true)
	m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
	var before []mem.Addr
	var nvmeBefore mem.Addr
	r.sim.Spawn("app", des.Task, func(p *des.Proc) {
		p.Sleep(us)
		c := app(t, p, r.b, m, "app", 2)
		before, nvmeBefore = starts(r), r.nvme.Dev().BAR(0).Start()
		require.NoError(t, c.Submit(p))
		require.NoError(t, c.Touch(p, 0, 1, true))
		p.Sleep(100 * us) // the rescan runs at 5us
		require.NoError(t, c.Touch(p, 0, 1, false))
		_, vma := c.BO(0)
		newBase := uint64(r.b.Dev().BAR(pcibars.GPUVRAMBAR).Start())
		assert.Contains(t, vma.Target(vma.Addr(1)), fmt.Sprintf("pfn %#x", (newBase>>mm.PageShift)+2),
			"refaulted at the new aperture (page 1 of a BO after the ring page)")
		require.NoError(t, c.Submit(p))
		c.Close(p)
		m.Exit(p)
	})
	r.rescanAt(t, 5*us)
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.NotEqual(t, before, starts(r), "the rescan moved BARs")
	for _, g := range []*pcibars.GPU{r.a, r.b} {
		vram := g.Dev().BAR(pcibars.GPUVRAMBAR)
		assert.Equal(t, uint64(vram.Start()), g.TTM().AperBase(), "%s: TTM knows the new aperture", g.DevName())
		assert.Equal(t, g.Dev().BAR(pcibars.GPURegBAR).Start(), g.Regs().Phys(), "%s: registers remapped", g.DevName())
		assert.True(t, g.Regs().Mapped())
		assert.Equal(t, 1, g.Moves())
		assert.False(t, g.Moving())
	}
	assert.Equal(t, nvmeBefore, r.nvme.Dev().BAR(0).Start(), "bar_fixed keeps the NVMe BAR")
	assert.Equal(t, r.nvme.Dev().BAR(0).Start(), r.nvme.Regs().Phys())
	assert.Equal(t, 2, m.Stats().Faults, "one fault before and one after the move")
}

// Without bar_fixed the NVMe BAR moves too, and the driver remaps it.
func TestMovableNVMeIsRemapped(t *testing.T) {
	r := newRig(t, pcibars.GlobalRWSem, false)
	var before mem.Addr
	r.sim.Spawn("io", des.Task, func(p *des.Proc) {
		p.Sleep(us)
		before = r.nvme.Dev().BAR(0).Start()
		r.nvme.IO(p)
		p.Sleep(10 * us)
		r.nvme.IO(p) // during the move: waits
		assert.False(t, r.nvme.Moving())
	})
	r.rescanAt(t, 5*us)
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.NotEqual(t, before, r.nvme.Dev().BAR(0).Start(), "seed 0's layout moves the NVMe")
	assert.Equal(t, r.nvme.Dev().BAR(0).Start(), r.nvme.Regs().Phys())
}

// A fault on a zapped mapping during the move answers VM_FAULT_RETRY, waits for the move
// and refills at the new address; the fault span covers the wait.
func TestFaultDuringTheMoveRetriesAndRefillsAfterDone(t *testing.T) {
	for _, pol := range []string{pcibars.GlobalRWSem} {
		t.Run(pol, func(t *testing.T) {
			r := newRig(t, pol, true)
			m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
			r.sim.Spawn("app", des.Task, func(p *des.Proc) {
				p.Sleep(us)
				c := app(t, p, r.a, m, "app", 1)
				require.NoError(t, c.Touch(p, 0, 0, true))
				p.Sleep(9 * us) // inside the move (prepare at 5us, scan 20us)
				require.True(t, r.a.Moving())
				require.NoError(t, c.Touch(p, 0, 0, false))
				assert.False(t, r.a.Moving(), "the fault returned after rescan_done")
				assert.Equal(t, 1, m.Stats().Retries)
				_, vma := c.BO(0)
				base := uint64(r.a.Dev().BAR(pcibars.GPUVRAMBAR).Start())
				assert.Contains(t, vma.Target(vma.Start), fmt.Sprintf("pfn %#x", (base>>mm.PageShift)+1))
			})
			r.rescanAt(t, 5*us)
			res := r.sim.Run()
			require.True(t, res.OK(), res.Violations)
			faults := spansOf(spans(r.events), "fault")
			require.Len(t, faults, 2)
			moveA := spansOf(spans(r.events), "barmove")[0]
			require.Equal(t, "gpu-a", moveA.obj)
			assert.Less(t, faults[0].end-faults[0].begin, des.Time(us), "a fault outside a move is quick")
			assert.Equal(t, des.Time(10*us), faults[1].begin)
			assert.GreaterOrEqual(t, faults[1].end, moveA.end, "the fault during the move waits for rescan_done")
		})
	}
}

// An ioctl issued during the move waits for it under the lock policies and touches the
// unmapped registers under no-lock.
func TestIoctlDuringTheMove(t *testing.T) {
	cases := map[string]des.ViolationKind{pcibars.GlobalRWSem: "", pcibars.NoLock: oracle.UseAfterUnmap}
	for _, pol := range []string{pcibars.GlobalRWSem, pcibars.NoLock} {
		t.Run(pol, func(t *testing.T) {
			r := newRig(t, pol, true)
			m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
			r.sim.Spawn("app", des.Task, func(p *des.Proc) {
				p.Sleep(us)
				c := app(t, p, r.b, m, "app", 1)
				p.Sleep(9 * us)
				require.NoError(t, c.Submit(p))
			})
			r.rescanAt(t, 5*us)
			res := r.sim.Run()
			if want := cases[pol]; want != "" {
				require.NotEmpty(t, res.Violations)
				assert.Equal(t, want, res.First().Kind)
				assert.Contains(t, res.First().Msg, "BUG: unable to handle page fault for address\n")
				return
			}
			require.True(t, res.OK(), res.Violations)
			ioctl := spansOf(spans(r.events), "ioctl")
			require.Len(t, ioctl, 1)
			assert.Equal(t, "gpu-b:cs", ioctl[0].obj)
			var moveB span
			for _, s := range spansOf(spans(r.events), "barmove") {
				if s.obj == "gpu-b" {
					moveB = s
				}
			}
			assert.GreaterOrEqual(t, ioctl[0].end, moveB.end)
		})
	}
}

// per-device-lock: each driver's BAR lock has the class of its init_rwsem call site, so both
// GPUs' locks are one class. B's ioctl reads A's buffer holding B's lock and then A's: lockdep
// reports recursive locking at once, nothing deadlocks; without the P2P ioctl the rescan, which
// holds A's lock while it takes B's, is reported the same way.
func TestPerDeviceLockOneClassPerInitSite(t *testing.T) {
	for _, p2p := range []bool{true, false} {
		r := newRig(t, pcibars.PerDeviceLock, true)
		m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
		r.sim.Spawn("app", des.Task, func(p *des.Proc) {
			p.Sleep(us)
			exp := app(t, p, r.a, m, "app", 1)
			if p2p {
				imp, err := r.b.Open(p, m, "app")
				require.NoError(t, err)
				require.NoError(t, imp.SubmitP2P(p, exp.Export(p, 0)))
			}
		})
		r.rescanAt(t, 50*us)
		res := r.sim.Run()
		require.NotEmpty(t, res.Violations)
		v := res.First()
		assert.Equal(t, oracle.LockOrder, v.Kind)
		assert.Contains(t, v.Msg, "possible recursive locking detected")
		assert.Contains(t, v.Msg, "&adev->bar_lock")
		if p2p {
			assert.Equal(t, "app", v.Proc)
		} else {
			assert.Equal(t, "rescan", v.Proc)
		}
	}
}

// global-rwsem: the same rescan and P2P ioctl under the one PCI-level lock are clean.
func TestGlobalRWSemRescanWithP2PIsClean(t *testing.T) {
	r := newRig(t, pcibars.GlobalRWSem, false)
	m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
	r.sim.Spawn("app", des.Task, func(p *des.Proc) {
		p.Sleep(us)
		exp := app(t, p, r.a, m, "app", 1)
		imp, err := r.b.Open(p, m, "app")
		require.NoError(t, err)
		require.NoError(t, imp.SubmitP2P(p, exp.Export(p, 0)))
	})
	r.rescanAt(t, 50*us)
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
}

// global-rwsem: the same dma-buf dependency under the one PCI-level lock is fine.
func TestGlobalRWSemImportDuringTheMoveWaits(t *testing.T) {
	r := newRig(t, pcibars.GlobalRWSem, true)
	m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
	r.sim.Spawn("app", des.Task, func(p *des.Proc) {
		p.Sleep(us)
		exp := app(t, p, r.a, m, "app", 1)
		imp, err := r.b.Open(p, m, "app")
		require.NoError(t, err)
		buf := exp.Export(p, 0)
		require.NoError(t, imp.SubmitP2P(p, buf))
		p.Sleep(5 * us)
		require.NoError(t, imp.SubmitP2P(p, buf)) // at ~6us, during the move
		assert.False(t, r.a.Moving())
		imp.Close(p)
		exp.Close(p)
	})
	r.rescanAt(t, 5*us)
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	ioctls := spansOf(spans(r.events), "ioctl")
	require.Len(t, ioctls, 2)
	assert.Equal(t, "gpu-b:cs-p2p", ioctls[1].obj)
	moveA := spansOf(spans(r.events), "barmove")[0]
	assert.GreaterOrEqual(t, ioctls[1].end, moveA.end, "the importer's job waits for the exporter's move")
}

// A BAR resize is a rescan too: the VRAM BAR grows (and moves), the driver follows. With the
// NVMe's BAR fixed, its bridge window cannot move or grow and the resize fails (ENOSPC, old
// size kept), but the rescan still moved the BARs.
func TestResizeBARGrowsVRAMAndTheDriverFollows(t *testing.T) {
	for _, nvmeFixed := range []bool{false, true} {
		t.Run(fmt.Sprint("nvme-fixed=", nvmeFixed), func(t *testing.T) {
			r := newRig(t, pcibars.GlobalRWSem, nvmeFixed)
			m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
			r.sim.Spawn("app", des.Task, func(p *des.Proc) {
				p.Sleep(us)
				c := app(t, p, r.a, m, "app", 1)
				require.NoError(t, c.Touch(p, 0, 0, true))
				err := r.core.ResizeBAR(p, r.a.Dev(), pcibars.GPUVRAMBAR, 64<<20)
				if nvmeFixed {
					require.ErrorIs(t, err, pci.ErrNoSpace)
				} else {
					require.NoError(t, err)
				}
				require.NoError(t, c.Touch(p, 0, 0, false))
				require.NoError(t, c.Submit(p))
				_, vma := c.BO(0)
				base := uint64(r.a.Dev().BAR(pcibars.GPUVRAMBAR).Start())
				assert.Contains(t, vma.Target(vma.Start), fmt.Sprintf("pfn %#x", (base>>mm.PageShift)+1))
			})
			res := r.sim.Run()
			require.True(t, res.OK(), res.Violations)
			vram := r.a.Dev().BAR(pcibars.GPUVRAMBAR)
			want := uint64(64 << 20)
			if nvmeFixed {
				want = pcibars.GPUVRAMSize
			}
			assert.Equal(t, want, vram.Size())
			assert.Equal(t, uint64(vram.Start()), r.a.TTM().AperBase())
			assert.Equal(t, 1, r.a.Moves())
		})
	}
}

// Orderly removal of a GPU after its app closed: unplug the drm device, stop, unmap.
func TestRemove(t *testing.T) {
	r := newRig(t, pcibars.GlobalRWSem, true)
	m := mm.NewMM(r.sim, "app", mm.Options{NoSIGBUS: true})
	r.sim.Spawn("app", des.Task, func(p *des.Proc) {
		p.Sleep(us)
		c := app(t, p, r.b, m, "app", 1)
		require.NoError(t, c.Submit(p))
		c.Close(p)
		m.Exit(p)
		r.host.Remove(p, r.b.Dev())
		assert.False(t, r.b.Regs().Mapped())
		assert.True(t, r.b.Drm().Unplugged())
	})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
}
