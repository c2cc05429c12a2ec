package pcibars

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
)

// GPU BARs and their sizes.
const (
	GPUVRAMBAR  = 0 // CPU-visible VRAM (prefetchable, resizable up to 256 MiB)
	GPURegBAR   = 5 // MMIO registers (amdgpu's rmmio)
	GPUVRAMSize = 2 << 20
	GPURegSize  = 64 << 10
)

// JobTime is how long a submitted job runs.
const JobTime = 2 * des.Microsecond

const (
	maxVRAMSize = 256 << 20
	ringBytes   = mm.PageSize // the kernel ring BO, first in VRAM
	regHalt     = 0x86d8      // CP_ME_CNTL-like: halt the command processor
	regDoorbell = 0x1000
	regStatus   = 0x2004 // GRBM_STATUS-like
	ioctlCS     = 0      // the command-submission ioctl
)

// ErrNoBAR is returned by Probe when a BAR the driver needs is unassigned.
var ErrNoBAR = errors.New("pcibars: BAR not assigned")

// GPUBARs returns the BARs of a GPU: VRAM (resizable from 2 MiB to 256 MiB) and registers.
func GPUBARs() []pci.BARSpec {
	var sizes []uint64
	for s := uint64(GPUVRAMSize); s <= maxVRAMSize; s <<= 1 {
		sizes = append(sizes, s)
	}
	return []pci.BARSpec{
		{Index: GPUVRAMBAR, Size: GPUVRAMSize, Prefetchable: true, Sizes: sizes},
		{Index: GPURegBAR, Size: GPURegSize},
	}
}

// GPU is an amdgpu-like driver with movable-BARs hooks (pci.Driver, pci.RescanPreparer,
// pci.RescanDoner). One GPU value drives one device.
type GPU struct {
	core   *Core
	name   string
	gate   gate
	dev    *pci.Dev
	regs   *mem.IOMem // rmmio; iounmapped (not nil) between prepare and done
	ring   *mem.IOMem // kernel mapping of the ring BO in VRAM
	ddev   *drm.Device
	tdev   *ttm.Device
	ringBO *ttm.BO
	moving bool
	life   lifecycle
	moves  int
	seq    uint32
	label  des.Label
	lblCS  des.Label
	lblP2P des.Label
}

var (
	_ pci.Driver         = (*GPU)(nil)
	_ pci.RescanPreparer = (*GPU)(nil)
	_ pci.RescanDoner    = (*GPU)(nil)
)

// gpuBarLockClass is the class of the GPU driver's per-device BAR lock: one init_rwsem
// call site in its probe, so one class for every GPU.
const gpuBarLockClass = "&adev->bar_lock"

// NewGPU makes the driver of the GPU named name (the name of its drm device and trace
// objects) under policy pol.
func NewGPU(core *Core, name string, pol Policy) *GPU {
	return &GPU{core: core, name: name, gate: newGate(core, pol, gpuBarLockClass), label: des.L(name),
		lblCS: des.L(name + ":cs"), lblP2P: des.L(name + ":cs-p2p")}
}

// Name is the driver name.
func (g *GPU) Name() string { return "amdgpu" }

// DevName is the device name given to NewGPU.
func (g *GPU) DevName() string { return g.name }

// Policy is the driver's policy.
func (g *GPU) Policy() Policy { return g.gate.pol }

// Dev is the PCI device (nil before Probe).
func (g *GPU) Dev() *pci.Dev { return g.dev }

// Drm is the drm_device (nil before Probe).
func (g *GPU) Drm() *drm.Device { return g.ddev }

// TTM is the ttm_device (nil before Probe).
func (g *GPU) TTM() *ttm.Device { return g.tdev }

// Regs is the current register mapping.
func (g *GPU) Regs() *mem.IOMem { return g.regs }

// Moving reports whether the device is between RescanPrepare and RescanDone.
func (g *GPU) Moving() bool { return g.moving }

// Moves counts completed RescanDone calls.
func (g *GPU) Moves() int { return g.moves }

// Probe maps the registers, makes the drm and ttm devices and the ring BO (first in VRAM)
// and registers the drm device. It runs under the PCI core's rescan/remove lock, so no move
// races it and the accessors' lock assertion does not apply.
func (g *GPU) Probe(p *des.Proc, d *pci.Dev) error {
	g.life.assertProbe(g.name)
	sim := p.Sim()
	vram := d.BAR(GPUVRAMBAR)
	g.dev = d
	g.regs = d.Iomap(p, GPURegBAR)
	if g.regs == nil || vram == nil || !vram.Assigned() {
		return ErrNoBAR
	}
	d.HW().SetGoneCheck(mem.GonePolls)
	drv := &drm.Driver{Name: "amdgpu", Ioctls: []drm.IoctlDesc{
		ioctlCS: {Name: "AMDGPU_CS", Func: g.ioctlCS, Flags: drm.IoctlDevEnter},
	}}
	ddev, err := drm.DevmDrmDevAlloc(sim, p, d.Devm(), g.name, drv)
	if err != nil {
		return err
	}
	tdev, err := ttm.NewDevice(sim, ddev, vram.Region(), ttm.Options{NumPrefault: 1})
	if err != nil {
		return err
	}
	ring, err := tdev.NewBO(p, g.name+":ring", int(ringBytes/mm.PageSize), ttm.PlVRAM)
	if err != nil {
		return err
	}
	g.ddev, g.tdev, g.ringBO = ddev, tdev, ring
	g.ring = d.Host().Space().Ioremap(p, vram.Start(), ringBytes)
	g.regs.Write32(p, regHalt, 0)
	if err := ddev.DevRegister(p); err != nil {
		return err
	}
	g.life.probed(g.name)
	return nil
}

// Remove unplugs the drm device (zapping every user mapping), stops the hardware and unmaps
// the registers and the ring.
func (g *GPU) Remove(p *des.Proc, d *pci.Dev) {
	g.life.removed(g.name)
	g.ddev.DevUnplug(p)
	d.HW().MarkUnplugged(p)
	g.regs.Write32(p, regHalt, 1)
	g.ring.Iounmap(p)
	g.regs.Iounmap(p)
	g.ringBO.Put(p)
}

// RescanPrepare is .rescan_prepare: take the per-device lock (per-device-lock), stop the
// command processor, zap the user mappings of VRAM BOs (not with no-zap), iounmap the ring
// and the registers.
func (g *GPU) RescanPrepare(p *des.Proc, d *pci.Dev) {
	g.life.prepared(g.name)
	spBarmove.Begin(p, g.label, 0, 0)
	g.core.prepareMove(p)
	g.gate.prepare(p)
	g.wreg(p, regHalt, 1)
	if g.gate.pol.Zap {
		for _, bo := range g.tdev.BOs() {
			if bo.Placement() == ttm.PlVRAM {
				bo.UnmapVirtual(p)
			}
		}
	}
	g.ring.Iounmap(p)
	g.regs.Iounmap(p)
	g.moving = true
}

// RescanDone is .rescan_done: ioremap the registers and the ring at the new BAR addresses,
// give TTM the new aperture base (faults refill there), restart the command processor and
// drop the per-device lock.
func (g *GPU) RescanDone(p *des.Proc, d *pci.Dev) {
	g.life.done(g.name)
	if regs := d.Iomap(p, GPURegBAR); regs != nil {
		g.regs = regs
	}
	base := d.BAR(GPUVRAMBAR).Start()
	g.tdev.SetAperBase(uint64(base))
	g.ring = d.Host().Space().Ioremap(p, base, ringBytes)
	g.wreg(p, regHalt, 0)
	g.moving = false
	g.moves++
	g.gate.done(p)
	g.core.doneMove(p)
	spBarmove.End(p, g.label, int64(base), 0)
}

// rreg and wreg are the register accessors (amdgpu_device_rreg/wreg): under a gated policy
// the caller must hold the BAR lock.
func (g *GPU) rreg(p *des.Proc, off uint64) uint32 {
	g.gate.assertMMIO(p)
	return g.regs.Read32(p, off)
}

func (g *GPU) wreg(p *des.Proc, off uint64, v uint32) {
	g.gate.assertMMIO(p)
	g.regs.Write32(p, off, v)
}

// csArgs is the argument of the CS ioctl: the dma-buf the job reads peer to peer, if any.
type csArgs struct{ buf *DmaBuf }

// ioctlCS is the command submission: write the ring, ring the doorbell, the job runs (and
// reads the imported buffer through the exporter's BAR), read the status.
func (g *GPU) ioctlCS(p *des.Proc, _ *drm.File, arg any) error {
	a, _ := arg.(*csArgs)
	g.gate.readLock(p)
	defer g.gate.readUnlock(p)
	var att *mem.IOMem
	if a != nil && a.buf != nil {
		exp := a.buf.g
		if exp.gate.lk != g.gate.lk { // the exporter's lock (per-device-lock): B -> A
			exp.gate.readLock(p)
			defer exp.gate.readUnlock(p)
		}
		att = exp.mapAttachment(p)
	}
	g.seq++
	g.gate.assertMMIO(p)
	g.ring.Write32(p, 0, g.seq)
	g.wreg(p, regDoorbell, g.seq)
	if att != nil {
		att.Read64(p, 0) // the job's peer-to-peer read of the exporter's VRAM
	}
	p.Busy(JobTime)
	g.rreg(p, regStatus)
	if att != nil {
		att.Iounmap(p) // dma_buf_unmap_attachment
	}
	return nil
}

// mapAttachment is dma_buf_map_attachment for a peer-to-peer importer: the bus address of
// the buffer in the exporter's VRAM BAR as the exporter knows it now.
func (g *GPU) mapAttachment(p *des.Proc) *mem.IOMem {
	return g.dev.Host().Space().Ioremap(p, mem.Addr(g.tdev.AperBase()+ringBytes), mm.PageSize)
}

// vmOps is amdgpu_gem_vm_ops: ttm_bo_vm_fault under the BAR lock's read side (RETRY while
// a move holds it), ttm's close.
type vmOps struct {
	ttm.VMOps
	g *GPU
}

func (o vmOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	faultEntered(p)
	return o.g.gate.fault(p, vmf, func() mm.FaultResult { return ttm.VMFault(p, vmf) })
}

// Client is an app's open render node: its drm file, and BOs it created and mapped into
// its address space.
type Client struct {
	g    *GPU
	name string
	m    *mm.MM
	f    *drm.File
	bos  []clientBO
	bufs []*DmaBuf
}

type clientBO struct {
	bo    *ttm.BO
	vma   *mm.VMA
	label des.Label
}

// Open opens the GPU's render node for the app whose address space is m.
func (g *GPU) Open(p *des.Proc, m *mm.MM, name string) (*Client, error) {
	if g.ddev == nil {
		return nil, drm.ErrNoDev
	}
	f, err := g.ddev.Open(p, name)
	if err != nil {
		return nil, err
	}
	return &Client{g: g, name: name, m: m, f: f}, nil
}

// NewBO creates a BO of pages pages in place and mmaps it; it returns the BO's index.
func (c *Client) NewBO(p *des.Proc, pages int, place ttm.Placement) (int, error) {
	name := fmt.Sprintf("%s:%s:bo%d", c.g.name, c.name, len(c.bos))
	bo, err := c.g.tdev.NewBO(p, name, pages, place)
	if err != nil {
		return -1, err
	}
	vma, err := bo.Mmap(p, c.m, vmOps{g: c.g})
	if err != nil {
		bo.Put(p)
		return -1, err
	}
	c.bos = append(c.bos, clientBO{bo: bo, vma: vma, label: des.L(name)})
	return len(c.bos) - 1, nil
}

// NumBOs is how many BOs the client made.
func (c *Client) NumBOs() int { return len(c.bos) }

// BO returns BO i and its mapping.
func (c *Client) BO(i int) (*ttm.BO, *mm.VMA) { return c.bos[i].bo, c.bos[i].vma }

// Touch is a user CPU access to page page of BO i (a store if write), traced as a "fault"
// span when it faulted.
func (c *Client) Touch(p *des.Proc, i, page int, write bool) error {
	b := c.bos[i]
	addr := b.vma.Addr(page % b.vma.Pages)
	return userAccess(p, b.label, func() error {
		if write {
			return c.m.Write(p, addr)
		}
		return c.m.Read(p, addr)
	})
}

// Submit is the CS ioctl, traced as an "ioctl" span.
func (c *Client) Submit(p *des.Proc) error {
	spIoctl.Begin(p, c.g.lblCS, 0, 0)
	err := c.f.Ioctl(p, ioctlCS, &csArgs{})
	spIoctl.End(p, c.g.lblCS, 0, 0)
	return err
}

// SubmitP2P is the CS ioctl of a job that reads buf (exported by another GPU) peer to peer.
func (c *Client) SubmitP2P(p *des.Proc, buf *DmaBuf) error {
	spIoctl.Begin(p, c.g.lblP2P, 0, 0)
	err := c.f.Ioctl(p, ioctlCS, &csArgs{buf: buf})
	spIoctl.End(p, c.g.lblP2P, 0, 0)
	return err
}

// DmaBuf is BO exported through dma-buf (it holds a BO reference until the exporting
// client closes).
type DmaBuf struct {
	g  *GPU
	bo *ttm.BO
}

// Export exports BO i.
func (c *Client) Export(p *des.Proc, i int) *DmaBuf {
	bo := c.bos[i].bo
	bo.Get(p)
	b := &DmaBuf{g: c.g, bo: bo}
	c.bufs = append(c.bufs, b)
	return b
}

// Exporter is the GPU that exported the buffer.
func (b *DmaBuf) Exporter() *GPU { return b.g }

// Close unmaps and drops the client's BOs and buffers and closes its file.
func (c *Client) Close(p *des.Proc) {
	for _, b := range c.bos {
		if !b.vma.Removed() {
			_ = c.m.Munmap(p, b.vma)
		}
		b.bo.Put(p)
	}
	for _, b := range c.bufs {
		b.bo.Put(p)
	}
	c.bos, c.bufs = nil, nil
	_ = c.f.Close(p)
}
