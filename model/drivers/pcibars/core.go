package pcibars

import (
	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/pci"
)

// Trace kinds of the spans (see the package doc).
var (
	spIoctl   = des.NewSpan("ioctl")
	spFault   = des.NewSpan("fault")
	spBarmove = des.NewSpan("barmove")
	spRescan  = des.NewSpan("rescan")
)

// BARLockClass is the lockdep class of the PCI-level rw-lock.
const BARLockClass = "pci_bar_rwsem"

// Core is the part of the PCI core the protocol needs and model/pci does not have: the
// PCI-level rw-lock of the movable-BARs thread ("an upper level PCI layer rw-lock which we can take on the
// read side in the driver"), taken for write by pci_rescan_bus around the BAR move (from
// the first .rescan_prepare to the last .rescan_done, so under pci_rescan_remove_lock) when
// any driver relies on it.
type Core struct {
	host    *pci.Host
	barLock *lock.RWSem
	users   int  // drivers whose faults or ioctls take barLock
	moving  int  // drivers between RescanPrepare and RescanDone
	held    bool // the move holds barLock for write
	label   des.Label
}

// NewCore wraps host.
func NewCore(host *pci.Host) *Core {
	return &Core{host: host, barLock: lock.NewRWSem(host.Sim(), BARLockClass), label: des.L("pci" + hostName(host))}
}

func hostName(h *pci.Host) string {
	n := h.Root().Name() // "0000:00"
	if i := len(n) - 3; i > 0 && n[i] == ':' {
		return n[:i]
	}
	return n
}

// Host is the PCI domain.
func (c *Core) Host() *pci.Host { return c.host }

// BARLock is the PCI-level rw-lock.
func (c *Core) BARLock() *lock.RWSem { return c.barLock }

// Users is how many drivers take BARLock (the rescan takes it for write only if some do).
func (c *Core) Users() int { return c.users }

func (c *Core) use() { c.users++ }

// prepareMove is called by every driver's RescanPrepare before it stops the device: the
// first one takes the BAR lock for write. model/pci has no hook inside pci_rescan_bus, and
// taking the lock before pci_rescan_remove_lock (in Rescan) would make a rescan that waits
// for a remove hold the lock an ioctl needs to leave the remove's synchronize_srcu.
func (c *Core) prepareMove(p *des.Proc) {
	if c.moving == 0 && c.users > 0 {
		c.barLock.DownWrite(p)
		c.held = true
	}
	c.moving++
}

// doneMove is called at the end of every driver's RescanDone: the last one drops the lock.
func (c *Core) doneMove(p *des.Proc) {
	if c.moving == 0 {
		return
	}
	if c.moving--; c.moving == 0 {
		c.unlockMove(p)
	}
}

func (c *Core) unlockMove(p *des.Proc) {
	if c.held {
		c.held = false
		c.barLock.UpWrite(p)
	}
}

// Rescan is pci_rescan_bus with movable BARs: the BAR lock is held for write from the first
// RescanPrepare to the last RescanDone if any driver uses it.
func (c *Core) Rescan(p *des.Proc) error {
	c.begin(p)
	defer c.end(p)
	return c.host.Rescan(p)
}

// ResizeBAR is a BAR resize with movable BARs (pci.Host.RescanResizeBAR: a rescan in which
// the BAR gets its new size), with the BAR lock held as in Rescan.
func (c *Core) ResizeBAR(p *des.Proc, d *pci.Dev, bar int, size uint64) error {
	c.begin(p)
	defer c.end(p)
	return c.host.RescanResizeBAR(p, d, bar, size)
}

func (c *Core) begin(p *des.Proc) {
	spRescan.Begin(p, c.label, 0, 0)
}

// end drops the lock if a driver prepared for the move was unbound before its RescanDone.
func (c *Core) end(p *des.Proc) {
	c.moving = 0
	c.unlockMove(p)
	spRescan.End(p, c.label, 0, 0)
}

// The host bridge aperture the scenario and tests put the devices in.
const (
	HostBase = 0xc000_0000
	HostSize = 1 << 30
)
