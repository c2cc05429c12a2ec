package pci

import (
	"errors"
	"fmt"
	"math/bits"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/mem"
)

// Bounds on one domain.
const (
	MaxDevices  = 256 // devices and bridges per host
	MaxDepth    = 8   // bridge nesting
	MaxBARs     = 6   // BAR indexes 0..5
	MaxDevm     = 256 // devm actions per device
	MaxNotifier = 16  // bus notifiers per host
)

// BridgeWindowAlign is the granularity of a bridge memory window (1 MiB).
const BridgeWindowAlign = 1 << 20

// Errors.
var (
	ErrNoSpace  = errors.New("pci: no space for the BARs (ENOSPC)")
	ErrBusy     = errors.New("pci: BAR is fixed (EBUSY)")
	ErrNoDevice = errors.New("pci: no such device (ENODEV)")
	// ErrResourcesPresent: devm actions left from before refuse a probe (really_probe).
	ErrResourcesPresent = errors.New("pci: resources present before probing (EBUSY)")
)

// Config describes a host bridge (a PCI domain).
type Config struct {
	Name string   // domain, e.g. "0000"
	Base mem.Addr // the host bridge's MMIO aperture
	Size uint64
	// FixedOrder makes rescans lay BARs out without drawing from the "pci-alloc" stream
	// (largest alignment first, bottom-up, ties in device order).
	FixedOrder bool
	// ScanTime is what a rescan spends scanning the buses (config reads of every slot) between
	// RescanPrepare and the BAR reassignment: 0 means DefaultScanTime, negative none.
	ScanTime des.Duration
	// BARUpdateTime is what releasing or assigning one BAR takes (config writes with memory
	// decoding off): 0 means DefaultBARUpdateTime, negative none.
	BARUpdateTime des.Duration
}

// Default durations of a rescan's steps.
const (
	DefaultScanTime      = 20 * des.Microsecond
	DefaultBARUpdateTime = 1 * des.Microsecond
)

func orDefault(d, def des.Duration) des.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// Host is one PCI domain: the root bus, every device below it, the bus notifiers and the
// pci_rescan_remove lock its operations take (global, as in drivers/pci/probe.c).
type Host struct {
	sim       *des.Sim
	space     *mem.Space
	cfg       Config
	label     des.Label
	root      *Bus
	devs      []*Dev // every device, in the order added
	notifiers []Notifier
	lock      *mutex // pci_rescan_remove_lock: one per simulation, shared by every host
	booted    bool
	alloc     *des.Stream
	rec       *metrics.Recorder // nil: metrics off
}

// NewHost validates cfg and makes a host with an empty root bus.
func NewHost(sim *des.Sim, cfg Config) (*Host, error) {
	if cfg.Name == "" {
		return nil, errors.New("pci: host needs a name")
	}
	if cfg.Base == 0 || cfg.Size < BridgeWindowAlign || cfg.Base+mem.Addr(cfg.Size) < cfg.Base {
		return nil, fmt.Errorf("pci: bad aperture %#x+%#x", uint64(cfg.Base), cfg.Size)
	}
	cfg.ScanTime = orDefault(cfg.ScanTime, DefaultScanTime)
	cfg.BARUpdateTime = orDefault(cfg.BARUpdateTime, DefaultBARUpdateTime)
	h := hosts.New(sim)
	h.sim, h.space, h.cfg, h.label = sim, mem.SpaceOf(sim), cfg, des.L(des.Join(sim, "pci", cfg.Name))
	h.root = buses.New(sim)
	h.root.host, h.root.name = h, des.Join(sim, cfg.Name, ":00")
	h.root.win = window{base: cfg.Base, size: cfg.Size, ok: true}
	h.lock = rescanRemoveLock(sim)
	h.alloc = sim.Stream("pci-alloc")
	h.rec = metrics.Of(sim)
	return h, nil
}

// Sim is the simulation the host belongs to.
func (h *Host) Sim() *des.Sim { return h.sim }

// Space is the physical address space BARs decode in.
func (h *Host) Space() *mem.Space { return h.space }

// Root is the root bus.
func (h *Host) Root() *Bus { return h.root }

// Devices returns every device and bridge ever added, in the order added.
func (h *Host) Devices() []*Dev { return append([]*Dev(nil), h.devs...) }

// Bus is a PCI bus: the root bus or a bridge's secondary bus, with its memory window.
type Bus struct {
	host    *Host
	name    string
	self    *Dev // the bridge; nil for the root bus
	devices []*Dev
	win     window
	depth   int
}

type window struct {
	base mem.Addr
	size uint64
	ok   bool // assigned
}

// Name is the bus name ("0000:00").
func (b *Bus) Name() string { return b.name }

// Self is the bridge leading to the bus (nil for the root bus).
func (b *Bus) Self() *Dev { return b.self }

// Devices returns the devices on the bus in slot order, removed ones included.
func (b *Bus) Devices() []*Dev { return append([]*Dev(nil), b.devices...) }

// Window returns the bus's memory window and whether it is assigned.
func (b *Bus) Window() (base mem.Addr, size uint64, ok bool) {
	return b.win.base, b.win.size, b.win.ok
}

// BARSpec describes one memory BAR of a device.
type BARSpec struct {
	Index        int    // 0..5
	Size         uint64 // a power of two, at least 16
	Prefetchable bool
	Sizes        []uint64 // sizes a resizable BAR supports (must include Size); empty: not resizable
	Fixed        bool     // IORESOURCE_PCI_FIXED: never moves
}

func (s BARSpec) validate() error {
	if s.Index < 0 || s.Index >= MaxBARs {
		return fmt.Errorf("pci: BAR index %d", s.Index)
	}
	if !pow2(s.Size) || s.Size < 16 {
		return fmt.Errorf("pci: BAR %d size %#x is not a power of two >= 16", s.Index, s.Size)
	}
	found := len(s.Sizes) == 0
	for _, z := range s.Sizes {
		if !pow2(z) || z < 16 {
			return fmt.Errorf("pci: BAR %d resizable size %#x", s.Index, z)
		}
		found = found || z == s.Size
	}
	if !found {
		return fmt.Errorf("pci: BAR %d sizes do not include %#x", s.Index, s.Size)
	}
	return nil
}

func pow2(x uint64) bool { return x != 0 && bits.OnesCount64(x) == 1 }

// BAR is one memory BAR: a mem.Region claimed while the BAR is assigned.
type BAR struct {
	dev    *Dev
	index  int
	pref   bool
	sizes  []uint64
	fixed  bool
	region *mem.Region
}

// Index is the BAR number.
func (b *BAR) Index() int { return b.index }

// Dev is the device the BAR belongs to.
func (b *BAR) Dev() *Dev { return b.dev }

// Start is the BAR's address (pci_resource_start); 0 if unassigned.
func (b *BAR) Start() mem.Addr {
	if !b.region.Claimed() {
		return 0
	}
	return b.region.Base()
}

// Size is the BAR's size (pci_resource_len).
func (b *BAR) Size() uint64 { return b.region.Size() }

// Assigned reports whether the BAR decodes an address range now.
func (b *BAR) Assigned() bool { return b.region.Claimed() }

// Prefetchable reports the BAR's prefetchable flag.
func (b *BAR) Prefetchable() bool { return b.pref }

// Sizes returns the sizes a resizable BAR supports (nil if not resizable).
func (b *BAR) Sizes() []uint64 { return append([]uint64(nil), b.sizes...) }

// Region is the hardware behind the BAR.
func (b *BAR) Region() *mem.Region { return b.region }
