package pci_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
)

// rebar resizes BAR 0 in its probe as amdgpu_device_resize_fb_bar does: memory decoding
// off, pci_resize_resource, decoding back on, then the mapping of the new range.
type rebar struct {
	to        uint64
	keepDecod bool // the misuse: resize with memory decoding on
	err       error
}

func (r *rebar) Name() string { return "rebar" }

func (r *rebar) Probe(p *des.Proc, d *pci.Dev) error {
	cmd, err := d.ReadConfig16(p, pci.ConfigCommand)
	if err != nil {
		return err
	}
	if !r.keepDecod {
		_ = d.WriteConfig16(p, pci.ConfigCommand, cmd&^pci.CommandMemory)
	}
	r.err = d.Host().ResizeBAR(p, d, 0, r.to)
	_ = d.WriteConfig16(p, pci.ConfigCommand, cmd)
	if d.Iomap(p, 0) == nil {
		return pci.ErrNoDevice
	}
	return nil
}

func (r *rebar) Remove(p *des.Proc, d *pci.Dev) {}

func vram(sizes ...uint64) pci.BARSpec {
	return pci.BARSpec{Index: 0, Size: sizes[0], Prefetchable: true, Sizes: sizes}
}

// rebarTopo: root [port A {gpu}, port B {nvme}]; the GPU has BAR 0 (resizable) and, with
// regs, a register BAR 5 that pins port A's window.
func rebarTopo(t *testing.T, drv pci.Driver, regs bool) (*des.Sim, *pci.Host, *pci.Dev, *pci.Dev) {
	t.Helper()
	sim := des.MustNew(des.Config{})
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	a, err := h.AddBridge(h.Root(), "0000:00:01.0", nil)
	require.NoError(t, err)
	b, err := h.AddBridge(h.Root(), "0000:00:02.0", nil)
	require.NoError(t, err)
	bars := []pci.BARSpec{vram(16*mib, 64*mib, 2048*mib)}
	if regs {
		bars = append(bars, bar(5, 256*kib))
	}
	gpu, err := h.AddDevice(a.Subordinate(), "0000:01:00.0", drv, bars...)
	require.NoError(t, err)
	nvme, err := h.AddDevice(b.Subordinate(), "0000:02:00.0", nil, bar(0, 16*kib))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	return sim, h, gpu, nvme
}

// A resize from a probe that ProbeAll runs takes no pci_rescan_remove_lock: no deadlock.
// The GPU's window held nothing else, so it was released and grown; port B's stayed.
func TestResizeBARInProbeUnderProbeAll(t *testing.T) {
	drv := &rebar{to: 64 * mib}
	sim, h, gpu, nvme := rebarTopo(t, drv, false)
	nvmeAt := nvme.BAR(0).Start()
	bBase, bSize, _ := nvme.Bus().Window()
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { require.NoError(t, h.ProbeAll(p)) })
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	require.NoError(t, drv.err)
	assert.True(t, gpu.Bound())
	assert.Equal(t, 64*mib, gpu.BAR(0).Size())
	_, aSize, ok := gpu.Bus().Window()
	assert.True(t, ok)
	assert.Equal(t, 64*mib, aSize, "port A's window was laid out again")
	assert.Equal(t, nvmeAt, nvme.BAR(0).Start(), "a BAR in another window does not move")
	base, size, _ := nvme.Bus().Window()
	assert.Equal(t, [2]uint64{uint64(bBase), bSize}, [2]uint64{uint64(base), size})
	assert.True(t, gpu.MemoryDecoding())
	assert.Zero(t, count(sim, "pci-rescan"), "no rescan")
}

func TestResizeBARWithMemoryDecodingOnIsEBUSY(t *testing.T) {
	drv := &rebar{to: 64 * mib, keepDecod: true}
	sim, h, gpu, _ := rebarTopo(t, drv, false)
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { require.NoError(t, h.ProbeAll(p)) })
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.ErrorIs(t, drv.err, pci.ErrDecoding)
	assert.Equal(t, 16*mib, gpu.BAR(0).Size())
}

// A size that does not fit fails with ENOSPC and leaves the old BAR where it was: with the
// register BAR in port A's window, the window stays and a 64 MiB BAR 0 has no room in it;
// 2 GiB fits nowhere.
func TestResizeBARThatDoesNotFitKeepsTheOldBAR(t *testing.T) {
	for _, tc := range []struct {
		name string
		regs bool
		to   uint64
	}{{"window-pinned", true, 64 * mib}, {"aperture-too-small", false, 2048 * mib}} {
		t.Run(tc.name, func(t *testing.T) {
			drv := &rebar{to: tc.to}
			sim, h, gpu, _ := rebarTopo(t, drv, tc.regs)
			at := gpu.BAR(0).Start()
			sim.Spawn("modprobe", des.Task, func(p *des.Proc) { require.NoError(t, h.ProbeAll(p)) })
			r := sim.Run()
			require.True(t, r.OK(), r.Violations)
			assert.ErrorIs(t, drv.err, pci.ErrNoSpace)
			assert.Equal(t, 16*mib, gpu.BAR(0).Size())
			assert.Equal(t, at, gpu.BAR(0).Start())
			assert.True(t, gpu.Bound(), "the driver goes on with the old BAR")
		})
	}
}

func TestResizeBARRefusesUnsupportedSizesAndFixedBARs(t *testing.T) {
	sim, h, gpu, nvme := rebarTopo(t, nil, false)
	sim.Spawn("platform", des.Task, func(p *des.Proc) {
		for _, d := range []*pci.Dev{gpu, nvme} {
			require.NoError(t, d.WriteConfig16(p, pci.ConfigCommand, 0))
		}
		assert.ErrorIs(t, h.ResizeBAR(p, gpu, 0, 32*mib), pci.ErrSize)
		assert.ErrorIs(t, h.ResizeBAR(p, nvme, 0, 32*kib), pci.ErrSize, "not resizable")
		assert.ErrorIs(t, h.ResizeBAR(p, gpu, 3, 32*mib), pci.ErrNoDevice)
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

// rescanRebar resizes from its probe with the rescan-based resize, which takes
// pci_rescan_remove_lock.
type rescanRebar struct{}

func (rescanRebar) Name() string { return "rescan-rebar" }
func (rescanRebar) Probe(p *des.Proc, d *pci.Dev) error {
	return d.Host().RescanResizeBAR(p, d, 0, 64*mib)
}
func (rescanRebar) Remove(p *des.Proc, d *pci.Dev) {}

// The same resize done as a rescan deadlocks in a probe run by ProbeAll, which holds
// pci_rescan_remove_lock: RescanResizeBAR is a platform event, not a driver's call.
func TestRescanResizeBARFromProbeDeadlocks(t *testing.T) {
	sim, h, _, _ := rebarTopo(t, rescanRebar{}, false)
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { _ = h.ProbeAll(p) })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.Deadlock, r.Violations[0].Kind)
}

// staleRebar keeps the mapping it made before the resize and writes through it after: the
// BAR moved (its window was laid out again), so the write hits whatever is there now.
type staleRebar struct{ rebar }

func (s *staleRebar) Probe(p *des.Proc, d *pci.Dev) error {
	old := d.Iomap(p, 0)
	_ = d.WriteConfig16(p, pci.ConfigCommand, 0)
	s.err = d.Host().ResizeBAR(p, d, 0, s.to)
	_ = d.WriteConfig16(p, pci.ConfigCommand, pci.CommandMemory)
	old.Write32(p, 0, 1)
	return nil
}

func TestMappingKeptAcrossAResizeIsStale(t *testing.T) {
	drv := &staleRebar{rebar{to: 64 * mib}}
	sim, h, gpu, _ := rebarTopo(t, drv, false)
	at := gpu.BAR(0).Start()
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { _ = h.ProbeAll(p) })
	r := sim.Run()
	require.NoError(t, drv.err)
	require.NotEqual(t, at, gpu.BAR(0).Start(), "the BAR moved")
	require.NotEmpty(t, r.Violations)
	assert.Equal(t, oracle.StaleMMIO, r.Violations[0].Kind, r.Violations[0].String())
}
