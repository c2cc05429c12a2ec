package amdgpu

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/iommu"
	"hotplugsim/model/irq"
	"hotplugsim/model/mm"
	"hotplugsim/model/pci"
)

// Platform is a PCI domain with amdgpu GPUs on its root bus and an IOMMU in front of them:
// what the scenario and IGT-style workloads drive. Build it with NewPlatform, AddGPU and
// Boot (outside the run), then ProbeAll from a process.
type Platform struct {
	sim    *des.Sim
	host   *pci.Host
	gpus   []*GPU
	booted bool
}

// GPU is one amdgpu PCI function. Its driver instance may be bound, unbound, removed and
// replugged many times; each probe makes a new amdgpu_device and drm_device (an
// incarnation), and the old ones live on until their last reference.
type GPU struct {
	sim    *des.Sim
	pl     *Platform
	name   string
	policy Policy
	pdev   *pci.Dev
	line   *irq.Line // the function's interrupt (pdev->irq, one MSI vector)
	cur    *adevice  // the bound incarnation, nil while unbound
	gen    int       // probes so far
}

// DriverName is the PCI driver's name: what a workload Spec's device names as its driver.
const DriverName = "amdgpu"

// GfxMicrocode is the CP microcode file probe requests (amdgpu_ucode_request): a scenario
// makes it missing with firmware.RemoveFile.
const GfxMicrocode = "amdgpu/vega10_me.bin"

// MaxGPUs bounds the GPUs of one platform.
const MaxGPUs = 16

// ErrNoGPU is returned for an operation on a GPU whose driver is not bound.
var ErrNoGPU = errors.New("amdgpu: -ENODEV: no bound device")

// NewPlatform makes an empty PCI domain.
func NewPlatform(sim *des.Sim) (*Platform, error) {
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 28})
	if err != nil {
		return nil, err
	}
	pl := platforms.New(sim)
	pl.sim, pl.host = sim, host
	return pl, nil
}

var (
	platforms = des.NewSlabKey[Platform]()
	gpus      = des.NewSlabKey[GPU]()
)

// Recycle keeps the GPU list's capacity (des.Recycler).
func (pl *Platform) Recycle() {
	clear(pl.gpus[:cap(pl.gpus)])
	*pl = Platform{gpus: pl.gpus[:0]}
}

// pciNames are the PCI names of the GPUs by the order they are added: 0000:03:00.0 ...
var pciNames = func() (n [MaxGPUs]string) {
	for i := range n {
		n[i] = fmt.Sprintf("0000:%02x:00.0", 3+i)
	}
	return n
}()

// AddGPU adds a GPU named name whose driver runs the policy named policy. Call it before Boot.
func (pl *Platform) AddGPU(name string, policy string) (*GPU, error) {
	if pl.booted {
		return nil, errors.New("amdgpu: AddGPU after Boot")
	}
	if len(pl.gpus) >= MaxGPUs {
		return nil, fmt.Errorf("amdgpu: more than %d GPUs", MaxGPUs)
	}
	pol, err := ParsePolicy(policy)
	if err != nil {
		return nil, err
	}
	g := gpus.New(pl.sim)
	g.sim, g.pl, g.name, g.policy = pl.sim, pl, name, pol
	pdev, err := pl.host.AddDevice(pl.host.Root(), pciNames[len(pl.gpus)], pciDriver{g},
		pci.BARSpec{Index: barVRAM, Size: vramBARBytes, Prefetchable: true},
		pci.BARSpec{Index: barMMIO, Size: mmioBARBytes})
	if err != nil {
		return nil, err
	}
	g.pdev = pdev
	g.line = irq.NewLine(pl.sim, des.Join(pl.sim, DriverName+":", pdev.Name()))
	pl.gpus = append(pl.gpus, g)
	return g, nil
}

// Boot assigns the BARs as firmware does and attaches the IOMMU (outside the run).
func (pl *Platform) Boot() error {
	if err := pl.host.Boot(); err != nil {
		return err
	}
	if _, err := iommu.Attach(pl.host); err != nil {
		return err
	}
	pl.booted = true
	return nil
}

// ProbeAll binds every GPU's driver (boot-time probing, from a process).
func (pl *Platform) ProbeAll(p *des.Proc) error { return pl.host.ProbeAll(p) }

// Host is the PCI domain.
func (pl *Platform) Host() *pci.Host { return pl.host }

// GPUs returns the GPUs in the order added.
func (pl *Platform) GPUs() []*GPU { return pl.AppendGPUs(nil) }

// AppendGPUs appends the GPUs, in the order added, to dst (a scenario that keeps its slice
// from run to run reuses it).
func (pl *Platform) AppendGPUs(dst []*GPU) []*GPU { return append(dst, pl.gpus...) }

// GPU returns the GPU named name, or nil.
func (pl *Platform) GPU(name string) *GPU {
	for _, g := range pl.gpus {
		if g.name == name {
			return g
		}
	}
	return nil
}

// pciDriver is amdgpu's struct pci_driver for one GPU.
type pciDriver struct{ g *GPU }

func (d pciDriver) Name() string                           { return DriverName }
func (d pciDriver) Probe(p *des.Proc, pdev *pci.Dev) error { return d.g.probe(p, pdev) }
func (d pciDriver) Remove(p *des.Proc, pdev *pci.Dev)      { pdev.Drvdata().(*adevice).remove(p) }

// Name is the GPU's name.
func (g *GPU) Name() string { return g.name }

// Policy is the GPU driver's policy.
func (g *GPU) Policy() Policy { return g.policy }

// IRQ is the GPU's interrupt line: requested at probe (amdgpu_irq_init), freed by the remove
// path's HW fini (amdgpu_irq_fini_hw).
func (g *GPU) IRQ() *irq.Line { return g.line }

// PCI is the GPU's PCI function.
func (g *GPU) PCI() *pci.Dev { return g.pdev }

// Bound reports whether the driver is bound now.
func (g *GPU) Bound() bool { return g.cur != nil }

// Generation is the number of probes so far: the incarnation a new client would open.
func (g *GPU) Generation() int { return g.gen }

// Drm is the drm_device of the bound incarnation (nil while unbound).
func (g *GPU) Drm() *drm.Device {
	if g.cur == nil {
		return nil
	}
	return g.cur.ddev
}

// JobsRun is how many jobs the bound incarnation ran on its ring (0 while unbound).
func (g *GPU) JobsRun() int {
	if g.cur == nil {
		return 0
	}
	return g.cur.jobs
}

// Bind binds the driver (echo BDF > /sys/bus/pci/drivers/amdgpu/bind): a new incarnation.
func (g *GPU) Bind(p *des.Proc) error { return g.pl.host.Bind(p, g.pdev) }

// Unbind unbinds the driver (echo BDF > .../unbind): amdgpu_pci_remove, then devres; the
// PCI function stays.
func (g *GPU) Unbind(p *des.Proc) { g.pl.host.Unbind(p, g.pdev) }

// Remove is an orderly hot-unplug (echo 1 > /sys/bus/pci/devices/BDF/remove).
func (g *GPU) Remove(p *des.Proc) { g.pl.host.Remove(p, g.pdev) }

// SurpriseRemove is a surprise removal: the link goes down (the GPU's engines stop, MMIO
// reads return ~0), then pciehp unconfigures the slot after detectDelay (the device is
// marked disconnected, then removed).
func (g *GPU) SurpriseRemove(p *des.Proc, detectDelay des.Duration) {
	if a := g.cur; a != nil {
		a.ring.Unplug()
	}
	g.pl.host.Unplug(p, g.pdev)
	if detectDelay > 0 {
		p.Sleep(detectDelay)
	}
	g.pl.host.PciehpUnconfigure(p, g.pdev)
}

// Replug brings a removed GPU back (presence detect, then rescan and probe).
func (g *GPU) Replug(p *des.Proc) error { return g.pl.host.Replug(p, g.pdev) }

// Rescan is echo 1 > /sys/bus/pci/rescan: it probes what the scan finds.
func (g *GPU) Rescan(p *des.Proc) error { return g.pl.host.Rescan(p) }

// HangNextJob makes the next job on the bound incarnation's ring hang (the gpu-hang event):
// the TDR fires after its timeout.
func (g *GPU) HangNextJob() {
	if g.cur != nil {
		g.cur.hangNext = true
	}
}

var openKey = des.NewProcKey[openSlot]()

type openSlot struct{ c *Client }

// Open opens the render node of the bound incarnation for the process whose address space
// is m (nil: a fresh one). The client is closed when that process exits.
func (g *GPU) Open(p *des.Proc, name string, m *mm.MM) (*Client, error) {
	a := g.cur
	if a == nil {
		return nil, drm.ErrNoDev
	}
	if m == nil {
		m = mm.NewMM(g.sim, name, mm.Options{NoSIGBUS: a.feat.promise})
	}
	c := clients.New(g.sim)
	c.a, c.name, c.MM = a, des.Join(g.sim, des.Join(g.sim, name, "@"), a.name), m
	slot := openKey.Get(p, func(p *des.Proc) *openSlot { return slots.New(p.Sim()) })
	slot.c = c
	spOpen.Begin(p, a.label, 0, 0)
	f, err := a.ddev.Open(p, c.name)
	spOpen.End(p, a.label, 0, 0)
	slot.c = nil
	if err != nil {
		return nil, err
	}
	c.file = f
	if c.closeFn == nil {
		c.closeFn = c.Close
	}
	m.AtExit(c.closeFn)
	return c, nil
}

// HealthCheck is the IGT core_hotunplug health check: open the render node, submit a no-op
// job, wait for its fence, close. It fails if any step does.
func (g *GPU) HealthCheck(p *des.Proc) error {
	c, err := g.Open(p, "igt-health", nil)
	if err != nil {
		return err
	}
	defer c.Close(p)
	f, err := c.SubmitNoop(p)
	if err != nil {
		return err
	}
	if err := c.Wait(p, f); err != nil {
		return err
	}
	if st := f.Status(); st != 1 {
		return fmt.Errorf("amdgpu: no-op job fence status %d", st)
	}
	return nil
}
