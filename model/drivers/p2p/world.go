package p2p

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/dmabuf"
	"hotplugsim/model/fence"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
)

// VRAM BAR size: VRAMPages pages.
const vramBARBytes = VRAMPages << 12

// Device is one GPU of a World.
type Device struct {
	// Name names the GPU: its drm device, rings, scheduler and buffers, and its random
	// stream "p2p/<Name>".
	Name string
	// Bridge is the bridge the GPU sits behind (e.g. a PCIe switch "sw0"), "" for the root
	// bus. A bridge is made the first time a device names it, on the root bus.
	Bridge string
	// Policy is the device's policy (ReplaceExclusive or FenceArray), "" for Config.Policy.
	Policy string
}

// Config is the topology of a World.
type Config struct {
	Devices []Device // in PCI order; the app operations of World name them by index
	Policy  string   // the policy of a Device with none of its own
}

// World is one topology: the PCI host, one GPU driver instance per Config device, and the
// dma_fence_arrays made so far. Its methods are the app operations; every one runs in the
// calling process as its ioctls, each traced as an "ioctl" span.
type World struct {
	sim    *des.Sim
	host   *pci.Host
	gpus   []*gpu
	arrays map[*fence.Fence][]*fence.Fence // looked up, never iterated
}

// NewWorld builds the PCI topology of cfg on sim (host bridge "0000", bridges in the order
// devices first name them, device i at 0000:<0x10+i>:00.0 with its VRAM BAR), boots it and
// makes one GPU driver instance per device. It fails on an unknown policy.
func NewWorld(sim *des.Sim, cfg Config) (*World, error) {
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30, FixedOrder: true})
	if err != nil {
		return nil, err
	}
	w := &World{sim: sim, host: host, arrays: map[*fence.Fence][]*fence.Fence{}}
	var bridges []*pci.Dev
	var devs []*pci.Dev
	for i, d := range cfg.Devices {
		bus, err := w.busFor(d.Bridge, &bridges)
		if err != nil {
			return nil, err
		}
		if _, err := ParsePolicy(cfg.policy(d)); err != nil {
			return nil, fmt.Errorf("device %s: %w", d.Name, err)
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
	for i, d := range cfg.Devices {
		pol, _ := ParsePolicy(cfg.policy(d)) // checked above
		g, err := newGPU(w, d.Name, pol, devs[i])
		if err != nil {
			return nil, err
		}
		w.gpus = append(w.gpus, g)
	}
	return w, nil
}

func (c Config) policy(d Device) string {
	if d.Policy != "" {
		return d.Policy
	}
	return c.Policy
}

// busFor places a device: on the root bus, or behind the named bridge.
func (w *World) busFor(bridge string, bridges *[]*pci.Dev) (*pci.Bus, error) {
	if bridge == "" {
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

// Share is a buffer of one GPU shared with another through a dma-buf: the exporter's
// buffer, its dma-buf fd and the importer's attachment.
type Share struct {
	b      *bo
	buf    *dmabuf.DmaBuf
	att    *attachment
	closed bool
}

// OpenShare allocates a buffer of pages pages in pl on GPU exporter (AMDGPU_GEM_CREATE,
// evicting older VRAM buffers when VRAM is full), exports it (DRM_IOCTL_PRIME_HANDLE_TO_FD)
// and imports it on GPU importer (DRM_IOCTL_PRIME_FD_TO_HANDLE: a dynamic attachment, peer
// to peer if the P2P distance allows). GPUs are indices into Config.Devices. It returns the
// allocation's error (then nothing is shared).
func (w *World) OpenShare(p *des.Proc, exporter, importer int, pl ttm.Placement, pages int) (*Share, error) {
	exp, imp := w.gpus[exporter], w.gpus[importer]
	var b *bo
	if err := ioctl(p, evGemCreate, func() error {
		var err error
		b, err = exp.alloc(p, "share", pages, pl)
		return err
	}); err != nil {
		return nil, err
	}
	s := &Share{b: b}
	_ = ioctl(p, evHandleToFD, func() error { s.buf = b.export(p); return nil })
	_ = ioctl(p, evFDToHandle, func() error { s.att = attach(p, s.buf, imp); return nil })
	return s, nil
}

// Read is the importer's command submission (AMDGPU_CS): a shader that reads the shared
// buffer, mapping it first if it is not mapped (since the attachment or the last
// move_notify). Implicit sync: the job depends on the exclusive (write) fence and its
// fence goes in as a shared one.
func (s *Share) Read(p *des.Proc) error {
	if s.closed {
		invalid("share of "+s.b.name, "read after close")
	}
	return ioctl(p, evCS, func() error { return s.att.readCS(p) })
}

// Close is the app closing its handles (DRM_IOCTL_GEM_CLOSE): the importer detaches, the
// exporter closes its dma-buf fd and its GEM handle; the last reference frees the buffer
// once its resv is idle.
func (s *Share) Close(p *des.Proc) {
	if s.closed {
		invalid("share of "+s.b.name, "close twice")
	}
	s.closed = true
	_ = ioctl(p, evGemClose, func() error {
		s.att.detach(p)
		dmabuf.Put(p, s.buf)
		s.b.put(p)
		return nil
	})
}

// Render is a render app's operation on GPU dev: a job writes the first buffer dev exports
// with explicit sync (AMDGPU_CS without waiting for the readers), then the job's fence is
// imported as the buffer's exclusive fence (DMA_BUF_IOCTL_IMPORT_SYNC_FILE), the step
// where the policies differ. Nothing happens if dev exports no buffer.
func (w *World) Render(p *des.Proc, dev int) { w.gpus[dev].renderShared(p) }

// Compute is a compute app's operation on GPU dev: it allocates a scratch buffer of pages
// pages in pl (evicting older VRAM buffers when VRAM is full, the memory pressure of the
// scenario), runs a job that writes it and frees it.
func (w *World) Compute(p *des.Proc, dev int, pl ttm.Placement, pages int) {
	w.gpus[dev].compute(p, pl, pages)
}

// ioctl runs fn as the ioctl obj, between trace span events, and returns fn's error.
func ioctl(p *des.Proc, obj des.Label, fn func() error) error {
	spIoctl.Begin(p, obj, 0, 0)
	err := fn()
	res := int64(0)
	if err != nil {
		res = -1
	}
	spIoctl.End(p, obj, res, 0)
	return err
}

// readCS is the importer's command submission: a shader that reads the shared buffer.
// Implicit sync: it depends on the exclusive (write) fence; its fence goes in as shared.
func (a *attachment) readCS(p *des.Proc) error {
	resv := a.att.Buf().Resv()
	lock(p, resv)
	defer resv.Unlock(p)
	m, err := dmabuf.MapAttachment(p, a.att) // maps again after a move_notify
	if err != nil {
		return err
	}
	sgt := m.(*sgTable)
	g := a.importer
	j, err := g.job(p, "shader", g.timing.Between(shaderMin, shaderMax), resv.GetFences(p, fence.UsageWrite))
	if err != nil {
		return err
	}
	sgt.mem.Access(p, j.Finished(), false)
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
	_ = ioctl(p, evCS, func() error {
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
		// The app's out-fence, a sync_file (amdgpu_cs_submit's dma_fence_get of the
		// finished fence, handed on by sync_file_create): the job may be freed once pushed.
		write = j.Finished().Get(p)
		pushJob(p, j)
		return nil
	})
	if write == nil {
		return
	}
	defer write.Put(p) // close of the sync_file's fd
	if b.buf == nil {
		return
	}
	_ = ioctl(p, evImportSyncFile, func() error {
		lock(p, resv)
		defer resv.Unlock(p)
		if b.buf != nil {
			b.installExclusive(p, write, g.policy)
		}
		return nil
	})
}

// compute allocates a scratch buffer (evicting others when VRAM is full), runs a job that
// writes it and frees it.
func (g *gpu) compute(p *des.Proc, pl ttm.Placement, pages int) {
	var b *bo
	if err := ioctl(p, evGemCreate, func() error {
		var err error
		b, err = g.alloc(p, "scratch", pages, pl)
		return err
	}); err != nil {
		return
	}
	_ = ioctl(p, evCS, func() error {
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
	_ = ioctl(p, evGemClose, func() error { b.put(p); return nil })
}
