// Package pcibarmove registers the scenario "pci-bar-move": GPU A, an NVMe-like device and
// GPU B behind one bridge, GPU B importing a BO of GPU A, while rescans move the BARs of all
// three (the NVMe driver's rescan_prepare unmaps its BAR 0, rescan_done remaps it). The
// protocol model and its policies are in hotplugsim/model/drivers/pcibars; this package is
// the workload glue (apps and platform events driving it). Import it for its side effect.
package pcibarmove

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/pcibars"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
	"hotplugsim/workloads"
)

// Name is the scenario's name.
const Name = "pci-bar-move"

// Driver names a Spec's devices use.
const (
	DriverGPU  = "amdgpu"
	DriverNVMe = "nvme"
)

// Bounds and defaults of the scenario's apps.
const (
	MaxBOPages     = 16 // a Spec BO is clamped to this many pages
	DefaultBOPages = 4  // the BO of a pcibars.GPU app whose Spec names none
)

func init() { workloads.Register(Scenario()) }

// DefaultSpec is the scenario's default workload: GPU A, an NVMe-like device and GPU B
// behind one bridge (in that bus order); a render app on each GPU, an app that shares a
// VRAM BO of A with B (B's jobs read it peer to peer, the app also touches it through A's
// mapping), an I/O app on the NVMe; two rescans.
func DefaultSpec() workloads.Spec {
	vram := []workloads.BO{{SizeBytes: 4 * int64(mm.PageSize), Placement: workloads.PlaceVRAM}}
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{
			{Name: "gpu-a", Driver: DriverGPU}, {Name: "nvme0", Driver: DriverNVMe}, {Name: "gpu-b", Driver: DriverGPU},
		}},
		Apps: []workloads.App{
			{Kind: workloads.AppRender, Device: "gpu-a", Count: 1, Ops: 12, IntervalNs: 3000, BOs: vram},
			{Kind: workloads.AppRender, Device: "gpu-b", Count: 1, Ops: 12, IntervalNs: 3000, BOs: vram},
			{Kind: workloads.AppDmaBufShare, Device: "gpu-a", Peer: "gpu-b", Count: 1, Ops: 12, IntervalNs: 3000,
				BOs: vram},
			{Kind: workloads.AppCompute, Device: "nvme0", Count: 1, Ops: 8, IntervalNs: 4000},
		},
		Events: []workloads.Event{
			{Kind: workloads.EvRescan, Device: "gpu-a", AtNs: 12_000},
			{Kind: workloads.EvRescan, Device: "gpu-a", AtNs: 45_000},
		},
		Budgets: workloads.Budgets{MaxTimeNs: 10_000_000},
	}
}

// SparseSpec is the default topology and apps at real-life rates (desrun --spec sparse): each
// GPU app submits a job or touches its VRAM BO about once per 600 µs, the NVMe app does an
// I/O every 200 µs (a lightly loaded disk), and one rescan, 4 ms in, moves the BARs while
// they all run. A fault or ioctl then overlaps the move only when the schedule makes it,
// as on a real machine, where a rescan is a rare administrator action.
func SparseSpec() workloads.Spec {
	s := DefaultSpec()
	for i := range s.Apps {
		s.Apps[i].Ops, s.Apps[i].IntervalNs = 16, 600_000
	}
	s.Apps[3].Ops, s.Apps[3].IntervalNs = 40, 200_000
	s.Events = s.Events[:1]
	s.Events[0].AtNs = 4_000_000
	s.Budgets.MaxTimeNs = 100_000_000
	return s
}

// Scenario returns the pci-bar-move scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name:       Name,
		Doc:        "a rescan moves the BARs of two GPUs sharing a dma-buf and an pcibars.NVMe while apps run ioctls and fault on VRAM BOs",
		Spec:       DefaultSpec(),
		SparseSpec: new(SparseSpec()),
		Policies: workloads.PoliciesOf(pcibars.Policies, map[string]des.ViolationKind{
			pcibars.NoLock: oracle.UseAfterUnmap, pcibars.PerDeviceLock: oracle.LockOrder,
			pcibars.NoZap: oracle.StalePTE}),
		DefaultPolicy: pcibars.GlobalRWSem,
		Oracles: []des.ViolationKind{oracle.UseAfterUnmap, oracle.StaleMMIO, oracle.StalePTE, oracle.HWAfterRemove,
			oracle.UseAfterFree, oracle.LockOrder, oracle.Deadlock, oracle.Hang, oracle.Panic, oracle.Progress,
			oracle.SIGBUS},
		Strategy: workloads.DefaultStrategy,
		AppKinds: []workloads.AppKind{workloads.AppRender, workloads.AppCompute, workloads.AppIdle,
			workloads.AppDmaBufShare},
		EventKinds: []workloads.EventKind{workloads.EvRescan, workloads.EvBARResize},
		Build:      build,
	}
}

// device is one Spec device and its driver.
type device struct {
	name string
	gpu  *pcibars.GPU
	nvme *pcibars.NVMe
	pdev *pci.Dev
}

// target drives the topology for workloads.Start.
type target struct {
	sim   *des.Sim
	core  *pcibars.Core
	devs  []*device
	probe *workloads.ProbeBarrier // every driver probed
	apps  map[*workloads.Instance]*appState
}

// appState is one app instance: its address space and clients.
type appState struct {
	m   *mm.MM
	c   *pcibars.Client // on the app's device
	imp *pcibars.Client // on the peer (dma-buf-share): its jobs read buf
	buf *pcibars.DmaBuf // the BO of c exported to the peer
	io  *pcibars.NVMe   // an I/O app
}

func build(sim *des.Sim, spec workloads.Spec, policy string) error {
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: pcibars.HostBase, Size: pcibars.HostSize})
	if err != nil {
		return err
	}
	core := pcibars.NewCore(host)
	br, err := host.AddBridge(host.Root(), "0000:00:01.0", nil)
	if err != nil {
		return err
	}
	t := &target{sim: sim, core: core, probe: workloads.NewProbeBarrier(sim),
		apps: map[*workloads.Instance]*appState{}}
	for i, sd := range spec.Topology.Devices {
		name := sd.Policy
		if name == "" {
			name = policy
		}
		pol, err := pcibars.ParsePolicy(name)
		if err != nil {
			return fmt.Errorf("device %s: %w", sd.Name, err)
		}
		d := &device{name: sd.Name}
		bdf := fmt.Sprintf("0000:01:%02x.0", i)
		switch sd.Driver {
		case DriverGPU:
			d.gpu = pcibars.NewGPU(core, sd.Name, pol)
			d.pdev, err = host.AddDevice(br.Subordinate(), bdf, d.gpu, pcibars.GPUBARs()...)
		case DriverNVMe:
			d.nvme = pcibars.NewNVMe(core, sd.Name, pol, false) // its BAR moves too (no bar_fixed)
			d.pdev, err = host.AddDevice(br.Subordinate(), bdf, d.nvme, pcibars.NVMeBARs()...)
		default:
			return fmt.Errorf("device %s: driver %q: %s has drivers %s and %s", sd.Name, sd.Driver, Name,
				DriverGPU, DriverNVMe)
		}
		if err != nil {
			return err
		}
		t.devs = append(t.devs, d)
	}
	if err := host.Boot(); err != nil {
		return err
	}
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		_ = t.probe.Probe(p, host.ProbeAll) // a device that fails to probe has no driver: its apps do nothing
	})
	workloads.StartProbed(sim, spec, t, t.probe)
	return nil
}

var _ workloads.AppLifecycle = (*target)(nil)

// AppOpen (once the drivers probed) opens the app's device: a GPU app opens the render
// node, creates and maps its BOs (and a dma-buf-share app opens the peer and exports its
// first BO to it); an NVMe app needs nothing.
func (t *target) AppOpen(p *des.Proc, in *workloads.Instance) bool {
	st := &appState{}
	t.apps[in] = st
	d := t.devs[in.Dev]
	if in.Spec.Kind == workloads.AppIdle {
		return true
	}
	if d.nvme != nil {
		if d.nvme.Dev().Bound() {
			st.io = d.nvme
		}
		return true
	}
	if !d.pdev.Bound() {
		return true
	}
	st.m = mm.NewMM(t.sim, in.Name, mm.Options{NoSIGBUS: true})
	c, err := d.gpu.Open(p, st.m, in.Name)
	if err != nil {
		return false
	}
	st.c = c
	t.newBOs(p, c, in.Spec.BOs)
	if in.Peer >= 0 {
		if peer := t.devs[in.Peer]; peer.gpu != nil && peer.pdev.Bound() && c.NumBOs() > 0 {
			imp, err := peer.gpu.Open(p, st.m, in.Name)
			if err != nil {
				return false
			}
			st.imp, st.buf = imp, c.Export(p, 0)
		}
	}
	return true
}

func (t *target) newBOs(p *des.Proc, c *pcibars.Client, bos []workloads.BO) {
	if len(bos) == 0 {
		bos = []workloads.BO{{SizeBytes: DefaultBOPages * int64(mm.PageSize), Placement: workloads.PlaceVRAM}}
	}
	for _, b := range bos {
		pages := int((uint64(b.SizeBytes) + mm.PageSize - 1) / mm.PageSize)
		pages = min(max(pages, 1), MaxBOPages)
		place := ttm.PlVRAM
		switch b.Placement {
		case workloads.PlaceGTT:
			place = ttm.PlTT
		case workloads.PlaceSystem:
			place = ttm.PlSystem
		}
		_, _ = c.NewBO(p, pages, place) // out of VRAM: the app does without
	}
}

// AppOp: even ops submit a job (a dma-buf-share app's job runs on the peer and reads the
// shared BO), odd ops touch a page of a BO through the CPU mapping (stores and loads
// alternate); an NVMe app does one I/O.
func (t *target) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	st := t.apps[in]
	switch {
	case st == nil:
		return false
	case st.io != nil:
		st.io.IO(p)
		return true
	case st.c == nil:
		p.Yield()
		return true
	}
	var err error
	switch {
	case op%2 == 0 && st.imp != nil:
		err = st.imp.SubmitP2P(p, st.buf)
	case op%2 == 0:
		err = st.c.Submit(p)
	case st.c.NumBOs() > 0:
		k := op / 2
		err = st.c.Touch(p, k%st.c.NumBOs(), k/st.c.NumBOs(), op%4 == 1)
	}
	return err == nil
}

// AppClose closes the clients and exits the address space.
func (t *target) AppClose(p *des.Proc, in *workloads.Instance) {
	st := t.apps[in]
	if st == nil {
		return
	}
	if st.imp != nil {
		st.imp.Close(p)
	}
	if st.c != nil {
		st.c.Close(p)
	}
	if st.m != nil {
		st.m.Exit(p)
	}
}

// Platform runs a rescan, or a movable-BARs resize of a GPU's VRAM BAR (a rescan in which the
// BAR gets its size; a size not larger than the current one is a plain rescan, as amdgpu only
// grows its BAR). It runs once the drivers probed (StartProbed).
func (t *target) Platform(p *des.Proc, ev workloads.Event) {
	switch ev.Kind {
	case workloads.EvRescan:
		_ = t.core.Rescan(p)
	case workloads.EvBARResize:
		d := t.device(ev.Device)
		size := uint64(ev.BARSizeBytes)
		if d == nil || d.gpu == nil || size <= d.pdev.BAR(pcibars.GPUVRAMBAR).Size() {
			_ = t.core.Rescan(p)
			return
		}
		_ = t.core.ResizeBAR(p, d.pdev, pcibars.GPUVRAMBAR, size) // unsupported or no space: the old size stays
	}
}

func (t *target) device(name string) *device {
	for _, d := range t.devs {
		if d.name == name {
			return d
		}
	}
	return nil
}
