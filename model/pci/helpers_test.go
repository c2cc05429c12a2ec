package pci_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/pci"
)

// journal records what drivers and notifiers did, in order.
type journal struct{ lines []string }

func (j *journal) add(format string, args ...any) {
	j.lines = append(j.lines, fmt.Sprintf(format, args...))
}

// legacy is a driver without the movable-BARs hooks: its BARs stay fixed.
type legacy struct {
	name string
	j    *journal
	bar  int // the register BAR
	regs *mem.IOMem
	devm []string // devm actions to register at probe
}

func (l *legacy) Name() string { return l.name }

func (l *legacy) Probe(p *des.Proc, d *pci.Dev) error {
	l.j.add("probe %s", d)
	l.regs = d.Iomap(p, l.bar)
	l.regs.Write32(p, 0x0, 1) // enable
	for _, name := range l.devm {
		if err := d.Devm().AddAction(name, func(p *des.Proc) { l.j.add("devm %s", name) }); err != nil {
			return err
		}
	}
	return nil
}

func (l *legacy) Remove(p *des.Proc, d *pci.Dev) {
	l.j.add("remove %s", d)
	l.regs.Write32(p, 0x0, 0) // disable
	l.regs.Iounmap(p)
}

// movable has rescan_prepare/rescan_done: iounmap in prepare, ioremap in done.
type movable struct {
	legacy
	forgetUnmap bool // the bug: keep using the mapping made before the move
}

func (m *movable) RescanPrepare(p *des.Proc, d *pci.Dev) {
	m.j.add("prepare %s", d)
	if !m.forgetUnmap {
		m.regs.Iounmap(p)
	}
}

func (m *movable) RescanDone(p *des.Proc, d *pci.Dev) {
	m.j.add("done %s", d)
	if !m.forgetUnmap {
		m.regs = d.Iomap(p, m.bar)
	}
	m.regs.Read32(p, 0x0)
}

// pinned has the hooks but keeps BAR 0 fixed with bar_fixed.
type pinned struct{ movable }

func (f *pinned) BarFixed(d *pci.Dev, bar int) bool { return bar == 0 }

// topology: root [nic, gpu, bridge{nvme, hda}] in a 1 GiB aperture at 0xc000_0000. The GPU
// is amdgpu-like: BAR 0 VRAM (resizable), BAR 2 doorbells, BAR 5 registers.
type topo struct {
	sim                         *des.Sim
	host                        *pci.Host
	gpu, bridge, nvme, hda, nic *pci.Dev
	j                           *journal
}

func bar(i int, size uint64) pci.BARSpec { return pci.BARSpec{Index: i, Size: size} }

const (
	kib = uint64(1) << 10
	mib = uint64(1) << 20
)

func newTopo(t *testing.T, cfg des.Config, fixedOrder bool, gpuDrv, nvmeDrv pci.Driver) *topo {
	t.Helper()
	sim := des.MustNew(cfg)
	h, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30, FixedOrder: fixedOrder})
	require.NoError(t, err)
	tp := &topo{sim: sim, host: h, j: &journal{}}
	root := h.Root()
	tp.nic, err = h.AddDevice(root, "0000:00:1f.0", nil, bar(0, 128*kib))
	require.NoError(t, err)
	tp.gpu, err = h.AddDevice(root, "0000:01:00.0", gpuDrv, bar(2, 2*mib), pci.BARSpec{Index: 0, Size: 256 * mib,
		Prefetchable: true, Sizes: []uint64{256 * mib, 512 * mib, 1024 * mib}}, bar(5, 256*kib))
	require.NoError(t, err)
	tp.bridge, err = h.AddBridge(root, "0000:02:00.0", nil)
	require.NoError(t, err)
	tp.nvme, err = h.AddDevice(tp.bridge.Subordinate(), "0000:03:00.0", nvmeDrv, bar(0, 16*kib))
	require.NoError(t, err)
	tp.hda, err = h.AddDevice(tp.bridge.Subordinate(), "0000:03:00.1", nil, bar(0, 16*kib))
	require.NoError(t, err)
	require.NoError(t, h.Boot())
	return tp
}

// layout prints every assigned BAR.
func layout(h *pci.Host) string {
	s := ""
	for _, d := range h.Devices() {
		for _, b := range d.BARs() {
			s += fmt.Sprintf("%s/%d=%#x ", d, b.Index(), uint64(b.Start()))
		}
	}
	return s
}

func count(sim *des.Sim, kind string) int {
	n := 0
	for _, e := range sim.Trace() {
		if e.Kind.String() == kind {
			n++
		}
	}
	return n
}
