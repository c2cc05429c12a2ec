package p2p

import (
	"fmt"
	"strings"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
	"hotplugsim/workloads"
)

// Name is the scenario's name.
const Name = "p2p-evict"

// Driver is the Spec driver name of a modelled GPU ("gpu", or "gpu:<bridge>" behind a bridge).
const Driver = "gpu"

// VRAM BAR size: VRAMPages pages.
const vramBARBytes = VRAMPages << 12

func init() { workloads.Register(Scenario()) }

// Scenario returns the p2p-evict scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name: Name,
		Doc:  "GPU B reads A's VRAM buffer peer to peer while A renders into it with explicit sync, evicts and frees it",
		Spec: workloads.Spec{
			Topology: workloads.Topology{Devices: []workloads.Device{
				{Name: "gpua", Driver: "gpu:sw0"}, {Name: "gpub", Driver: "gpu:sw0"},
			}},
			Apps: []workloads.App{
				{Kind: workloads.AppDmaBufShare, Device: "gpua", Peer: "gpub", Count: 1, Ops: 4, IntervalNs: 4000,
					BOs: []workloads.BO{{SizeBytes: 32 << 10, Placement: workloads.PlaceVRAM}}},
				{Kind: workloads.AppRender, Device: "gpua", Count: 1, Ops: 3, IntervalNs: 6000},
				{Kind: workloads.AppCompute, Device: "gpua", Count: 1, Ops: 2, IntervalNs: 10000,
					BOs: []workloads.BO{{SizeBytes: 48 << 10, Placement: workloads.PlaceVRAM}}},
			},
		},
		Policies: []workloads.Policy{
			{Name: ReplaceExclusive, Doc: "an imported write fence replaces the exclusive fence and drops the readers' fences; eviction and free wait only for it",
				Buggy: true, Expect: oracle.GPUUseAfterFree},
			{Name: FenceArray, Doc: "the new exclusive fence is a fence array over the imported fence and every fence already in the resv"},
		},
		DefaultPolicy: FenceArray,
		Oracles: []string{oracle.GPUUseAfterFree, oracle.UseAfterFree, oracle.FenceNeverSignalled,
			oracle.LockOrder, oracle.Deadlock, oracle.Hang, oracle.Panic},
		Strategy:   workloads.DefaultStrategy,
		AppKinds:   []string{workloads.AppDmaBufShare, workloads.AppRender, workloads.AppCompute, workloads.AppIdle},
		EventKinds: nil,
		Build:      build,
	}
}

// world is one run: the PCI host, the GPUs and the apps' state.
type world struct {
	sim    *des.Sim
	host   *pci.Host
	gpus   []*gpu
	shares map[*workloads.Instance]*share // looked up, never iterated
	arrays map[*fence.Fence][]*fence.Fence
}

// share is a dma-buf-share instance: the exporter's buffer, its dma-buf fd and the
// importer's attachment.
type share struct {
	b   *bo
	buf *dmaBuf
	att *attachment
}

func build(sim *des.Sim, spec workloads.Spec, policy string) error {
	w, err := newWorld(sim, spec, policy)
	if err != nil {
		return err
	}
	workloads.Start(sim, spec, w)
	return nil
}

// newWorld builds the PCI topology and one GPU driver instance per Spec device.
func newWorld(sim *des.Sim, spec workloads.Spec, policy string) (*world, error) {
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30, FixedOrder: true})
	if err != nil {
		return nil, err
	}
	w := &world{sim: sim, host: host, shares: map[*workloads.Instance]*share{},
		arrays: map[*fence.Fence][]*fence.Fence{}}
	var bridges []*pci.Dev
	var devs []*pci.Dev
	for i, d := range spec.Topology.Devices {
		bus, err := w.busFor(d, &bridges)
		if err != nil {
			return nil, err
		}
		pol := policy
		if d.Policy != "" {
			pol = d.Policy
		}
		if pol != ReplaceExclusive && pol != FenceArray {
			return nil, fmt.Errorf("device %s: no policy %q (have %s, %s)", d.Name, pol, ReplaceExclusive, FenceArray)
		}
		pd, err := host.AddDevice(bus, fmt.Sprintf("0000:%02x:00.0", i+0x10), nil,
			pci.BARSpec{Index: 0, Size: vramBARBytes, Prefetchable: true})
		if err != nil {
			return nil, err
		}
		devs = append(devs, pd)
	}
	if err := host.Boot(); err != nil {
		return nil, err
	}
	for i, d := range spec.Topology.Devices {
		pol := policy
		if d.Policy != "" {
			pol = d.Policy
		}
		g, err := newGPU(w, d.Name, pol, devs[i])
		if err != nil {
			return nil, err
		}
		w.gpus = append(w.gpus, g)
	}
	return w, nil
}

// busFor places a device: driver "gpu" on the root bus, "gpu:<bridge>" behind that bridge.
func (w *world) busFor(d workloads.Device, bridges *[]*pci.Dev) (*pci.Bus, error) {
	drv, bridge, behind := strings.Cut(d.Driver, ":")
	if drv != Driver {
		return nil, fmt.Errorf("device %s: driver %q: p2p-evict has driver %q or %q", d.Name, d.Driver, Driver, Driver+":<bridge>")
	}
	if !behind {
		return w.host.Root(), nil
	}
	for _, b := range *bridges {
		if b.Name() == bridge {
			return b.Subordinate(), nil
		}
	}
	b, err := w.host.AddBridge(w.host.Root(), bridge, nil)
	if err != nil {
		return nil, err
	}
	*bridges = append(*bridges, b)
	return b.Subordinate(), nil
}

func placement(in *workloads.Instance, def ttm.Placement, defBytes int64) (ttm.Placement, int) {
	if len(in.Spec.BOs) == 0 {
		return def, pagesOf(defBytes)
	}
	bo := in.Spec.BOs[0]
	pl := map[string]ttm.Placement{workloads.PlaceVRAM: ttm.PlVRAM, workloads.PlaceGTT: ttm.PlTT,
		workloads.PlaceSystem: ttm.PlSystem}[bo.Placement]
	return pl, max(1, pagesOf(bo.SizeBytes))
}

// AppOpen: a dma-buf-share instance allocates the buffer on its device, exports it and
// imports it on its peer.
func (w *world) AppOpen(p *des.Proc, in *workloads.Instance) bool {
	if in.Spec.Kind != workloads.AppDmaBufShare {
		return true
	}
	exp, imp := w.gpus[in.Dev], w.gpus[in.Peer]
	pl, pages := placement(in, ttm.PlVRAM, 32<<10)
	var b *bo
	ok := ioctl(p, evGemCreate, func() error {
		var err error
		b, err = exp.alloc(p, "share", pages, pl)
		return err
	})
	if !ok {
		return false
	}
	s := &share{b: b}
	ioctl(p, evHandleToFD, func() error { s.buf = b.export(p); return nil })
	ioctl(p, evFDToHandle, func() error { s.att = s.buf.attach(p, imp); return nil })
	w.shares[in] = s
	return true
}

// AppClose: the importer closes its handle (detach), the exporter closes its dma-buf fd and
// its GEM handle; the last reference frees the buffer once its resv is idle.
func (w *world) AppClose(p *des.Proc, in *workloads.Instance) {
	s := w.shares[in]
	if s == nil {
		return
	}
	delete(w.shares, in)
	ioctl(p, evGemClose, func() error {
		s.att.detach(p)
		s.buf.put(p)
		s.b.put(p)
		return nil
	})
}

// AppOp performs one operation: a shader read on the importer (dma-buf-share), an
// explicit-sync write plus sync-file import on the exporter (render), a scratch buffer that
// makes memory pressure (compute).
func (w *world) AppOp(p *des.Proc, in *workloads.Instance, _ int) bool {
	switch in.Spec.Kind {
	case workloads.AppDmaBufShare:
		s := w.shares[in]
		ioctl(p, evCS, func() error { return s.att.readCS(p) })
	case workloads.AppRender:
		w.gpus[in.Dev].renderShared(p)
	case workloads.AppCompute:
		pl, pages := placement(in, ttm.PlVRAM, 48<<10)
		w.gpus[in.Dev].compute(p, pl, pages)
	}
	return true
}

// Platform: the scenario has no platform events.
func (w *world) Platform(*des.Proc, workloads.Event) {}

// ioctl runs fn as the ioctl obj, between trace span events.
func ioctl(p *des.Proc, obj des.Label, fn func() error) bool {
	p.Trace(evIoctlBegin, obj, 0, 0)
	err := fn()
	res := int64(0)
	if err != nil {
		res = -1
	}
	p.Trace(evIoctlEnd, obj, res, 0)
	return err == nil
}

// readCS is the importer's command submission: a shader that reads the shared buffer.
// Implicit sync: it depends on the exclusive (write) fence; its fence goes in as shared.
func (a *attachment) readCS(p *des.Proc) error {
	resv := a.buf.bo.tbo.Resv
	lock(p, resv)
	defer resv.Unlock(p)
	if a.sgt == nil {
		a.mapLocked(p)
	}
	g := a.importer
	j, err := g.job(p, "shader", g.timing.Between(shaderMin, shaderMax), resv.GetFences(p, fence.UsageWrite))
	if err != nil {
		return err
	}
	a.sgt.mem.Access(p, j.Finished(), false)
	if err := resv.ReserveFences(p, 1); err != nil {
		return err
	}
	resv.AddFence(p, j.Finished(), fence.UsageRead)
	pushJob(p, j)
	return nil
}

// renderShared writes the first buffer g exports with explicit sync (no wait for its
// readers, only for a kernel move; the fence goes in as a bookkeeping fence, as amdgpu's CS
// does), then imports the job's fence as the buffer's exclusive fence
// (DMA_BUF_IOCTL_IMPORT_SYNC_FILE).
func (g *gpu) renderShared(p *des.Proc) {
	var b *bo
	for _, x := range g.bos {
		if !x.dead && x.buf != nil {
			b = x
			break
		}
	}
	if b == nil {
		return
	}
	b.get()
	defer b.put(p)
	resv := b.tbo.Resv
	var write *fence.Fence
	ioctl(p, evCS, func() error {
		lock(p, resv)
		defer resv.Unlock(p)
		// Explicit sync: no wait for readers or writers, only for kernel moves.
		j, err := g.job(p, "render", g.timing.Between(renderMin, renderMax), resv.GetFences(p, fence.UsageKernel))
		if err != nil {
			return err
		}
		b.mem.Access(p, j.Finished(), true)
		if err := resv.ReserveFences(p, 1); err != nil {
			return err
		}
		resv.AddFence(p, j.Finished(), fence.UsageBookkeep)
		pushJob(p, j)
		write = j.Finished()
		return nil
	})
	if write == nil || b.buf == nil {
		return
	}
	ioctl(p, evImportSyncFile, func() error {
		lock(p, resv)
		defer resv.Unlock(p)
		if b.buf != nil {
			b.buf.installExclusive(p, write, g.policy)
		}
		return nil
	})
}

// compute allocates a scratch buffer (evicting others when VRAM is full), runs a job that
// writes it and frees it.
func (g *gpu) compute(p *des.Proc, pl ttm.Placement, pages int) {
	var b *bo
	ok := ioctl(p, evGemCreate, func() error {
		var err error
		b, err = g.alloc(p, "scratch", pages, pl)
		return err
	})
	if !ok {
		return
	}
	ioctl(p, evCS, func() error {
		resv := b.tbo.Resv
		lock(p, resv)
		defer resv.Unlock(p)
		j, err := g.job(p, "compute", g.timing.Between(computeMin, computeMax), resv.GetFences(p, fence.UsageRW(true)))
		if err != nil {
			return err
		}
		b.mem.Access(p, j.Finished(), true)
		if err := resv.ReserveFences(p, 1); err != nil {
			return err
		}
		resv.AddFence(p, j.Finished(), fence.UsageWrite)
		pushJob(p, j)
		return nil
	})
	ioctl(p, evGemClose, func() error { b.put(p); return nil })
}
