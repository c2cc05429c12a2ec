package pcibars

import (
	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/pci"
)

// NVMe BAR and registers.
const (
	NVMeBARSize  = 16 << 10
	nvmeRegCC    = 0x14   // controller configuration: EN
	nvmeSQ0TDBL  = 0x1000 // submission queue tail doorbell
	nvmeCQ0HDBL  = 0x1004 // completion queue head doorbell
	NVMeIOTime   = 3 * des.Microsecond
	nvmeRegsBAR0 = 0
)

// NVMeBARs returns the BAR of an NVMe-like device.
func NVMeBARs() []pci.BARSpec {
	return []pci.BARSpec{{Index: nvmeRegsBAR0, Size: NVMeBARSize}}
}

// NVMe is an NVMe-like driver with the movable-BARs hooks and .bar_fixed: RescanPrepare
// disables the controller (and unmaps BAR 0 if it may move), RescanDone remaps and enables
// it ("nvme-pci: Handle movable BARs"). Its I/O path takes the BAR lock like the GPU's
// ioctls.
type NVMe struct {
	core   *Core
	name   string
	gate   gate
	fixed  bool
	dev    *pci.Dev
	regs   *mem.IOMem
	tail   uint32
	label  des.Label
	lblIO  des.Label
	moving bool
	life   lifecycle
}

var (
	_ pci.Driver         = (*NVMe)(nil)
	_ pci.BarFixer       = (*NVMe)(nil)
	_ pci.RescanPreparer = (*NVMe)(nil)
	_ pci.RescanDoner    = (*NVMe)(nil)
)

// nvmeBarLockClass is the class of the NVMe driver's per-device BAR lock (its init site).
const nvmeBarLockClass = "&dev->bar_lock"

// NewNVMe makes the driver of the NVMe device named name; fixedBAR makes BarFixed keep BAR 0
// where it is (the root filesystem's controller, say).
func NewNVMe(core *Core, name string, pol Policy, fixedBAR bool) *NVMe {
	return &NVMe{core: core, name: name, gate: newGate(core, pol, nvmeBarLockClass), fixed: fixedBAR,
		label: des.L(name), lblIO: des.L(name + ":io")}
}

// Name is the driver name.
func (n *NVMe) Name() string { return "nvme" }

// Dev is the PCI device (nil before Probe).
func (n *NVMe) Dev() *pci.Dev { return n.dev }

// Regs is the current mapping of BAR 0.
func (n *NVMe) Regs() *mem.IOMem { return n.regs }

// Moving reports whether the device is between RescanPrepare and RescanDone.
func (n *NVMe) Moving() bool { return n.moving }

// Probe maps BAR 0 and enables the controller.
func (n *NVMe) Probe(p *des.Proc, d *pci.Dev) error {
	n.life.assertProbe(n.name)
	n.dev = d
	n.regs = d.Iomap(p, nvmeRegsBAR0)
	if n.regs == nil {
		return ErrNoBAR
	}
	n.regs.Write32(p, nvmeRegCC, 1)
	n.life.probed(n.name)
	return nil
}

// Remove disables the controller and unmaps BAR 0.
func (n *NVMe) Remove(p *des.Proc, d *pci.Dev) {
	n.life.removed(n.name)
	n.regs.Write32(p, nvmeRegCC, 0)
	n.regs.Iounmap(p)
}

// BarFixed is .bar_fixed.
func (n *NVMe) BarFixed(d *pci.Dev, bar int) bool { return n.fixed }

// RescanPrepare is .rescan_prepare: take the per-device lock (per-device-lock), disable the
// controller, unmap BAR 0 unless it is fixed.
func (n *NVMe) RescanPrepare(p *des.Proc, d *pci.Dev) {
	n.life.prepared(n.name)
	spBarmove.Begin(p, n.label, 0, 0)
	n.core.prepareMove(p)
	n.gate.prepare(p)
	n.wreg(p, nvmeRegCC, 0)
	if !n.fixed {
		n.regs.Iounmap(p)
	}
	n.moving = true
}

// RescanDone is .rescan_done: remap BAR 0 if it could move, enable the controller, drop
// the per-device lock.
func (n *NVMe) RescanDone(p *des.Proc, d *pci.Dev) {
	n.life.done(n.name)
	if !n.fixed {
		if regs := d.Iomap(p, nvmeRegsBAR0); regs != nil {
			n.regs = regs
		}
	}
	n.wreg(p, nvmeRegCC, 1)
	n.moving = false
	n.gate.done(p)
	n.core.doneMove(p)
	spBarmove.End(p, n.label, int64(d.BAR(nvmeRegsBAR0).Start()), 0)
}

func (n *NVMe) wreg(p *des.Proc, off uint64, v uint32) {
	n.gate.assertMMIO(p)
	n.regs.Write32(p, off, v)
}

func (n *NVMe) rreg(p *des.Proc, off uint64) uint32 {
	n.gate.assertMMIO(p)
	return n.regs.Read32(p, off)
}

// IO is one I/O request, traced as an "ioctl" span: ring the submission doorbell, the
// device works, read the completion doorbell.
func (n *NVMe) IO(p *des.Proc) {
	spIoctl.Begin(p, n.lblIO, 0, 0)
	n.gate.readLock(p)
	n.tail++
	n.wreg(p, nvmeSQ0TDBL, n.tail)
	p.Busy(NVMeIOTime)
	n.rreg(p, nvmeCQ0HDBL)
	n.gate.readUnlock(p)
	spIoctl.End(p, n.lblIO, 0, 0)
}
