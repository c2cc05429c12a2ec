package mem

import (
	"fmt"

	"hotplugsim/des"
)

// Addr is a physical address.
type Addr uint64

// Bounds on what one simulation holds: decoded regions in the space, registers in one
// Region's register file.
const (
	MaxRegions = 1024
	MaxRegs    = 4096
)

// Space is the physical address space of one simulation: which Region decodes which range.
type Space struct {
	sim     *des.Sim
	regions []*Region // claimed regions, ordered by base
	owners  int
}

var (
	spaceKey = des.NewSimKey[Space]()
	spaces   = des.NewSlabKey[Space]()
	owners   = des.NewSlabKey[Owner]()
	regions  = des.NewSlabKey[Region]()
	ioMems   = des.NewSlabKey[IOMem]()
)

// SpaceOf returns the simulation's physical address space, creating it on first use.
func SpaceOf(sim *des.Sim) *Space {
	return spaceKey.Get(sim, func(sim *des.Sim) *Space {
		s := spaces.New(sim)
		s.sim = sim
		return s
	})
}

// Recycle keeps the capacity of the claimed-region list (des.Recycler).
func (s *Space) Recycle() {
	clear(s.regions[:cap(s.regions)])
	*s = Space{regions: s.regions[:0]}
}

// Recycle keeps the capacity of the region list (des.Recycler).
func (o *Owner) Recycle() {
	clear(o.regions[:cap(o.regions)])
	*o = Owner{regions: o.regions[:0]}
}

// Recycle keeps the register file's map, emptied (des.Recycler): a Region reads it only by
// key, and an empty map reads as a nil one.
func (r *Region) Recycle() {
	clear(r.regs)
	*r = Region{regs: r.regs}
}

// Sim is the simulation the space belongs to.
func (s *Space) Sim() *des.Sim { return s.sim }

// At returns the Region decoding a, or nil if nothing does.
func (s *Space) At(a Addr) *Region {
	for _, r := range s.regions {
		if a >= r.base && uint64(a-r.base) < r.size {
			return r
		}
		if r.base > a {
			break
		}
	}
	return nil
}

// Regions returns the claimed regions ordered by base.
func (s *Space) Regions() []*Region { return append([]*Region(nil), s.regions...) }

func (s *Space) insert(r *Region) error {
	if len(s.regions) >= MaxRegions {
		return fmt.Errorf("mem: more than %d claimed regions", MaxRegions)
	}
	i := 0
	for i < len(s.regions) && s.regions[i].base < r.base {
		i++
	}
	if i > 0 && overlaps(s.regions[i-1], r.base, r.size) {
		return fmt.Errorf("mem: %s at %#x overlaps %s", r.name, uint64(r.base), s.regions[i-1])
	}
	if i < len(s.regions) && overlaps(s.regions[i], r.base, r.size) {
		return fmt.Errorf("mem: %s at %#x overlaps %s", r.name, uint64(r.base), s.regions[i])
	}
	s.regions = append(s.regions, nil)
	copy(s.regions[i+1:], s.regions[i:])
	s.regions[i] = r
	return nil
}

func (s *Space) remove(r *Region) {
	for i, x := range s.regions {
		if x == r {
			s.regions = append(s.regions[:i], s.regions[i+1:]...)
			return
		}
	}
}

func overlaps(r *Region, base Addr, size uint64) bool {
	return base < r.base+Addr(r.size) && r.base < base+Addr(size)
}

// Owner is one device's hardware: it owns Regions (its BARs) and can vanish (surprise
// removal), be removed by the PCI remove path, and come back (replug).
type Owner struct {
	space   *Space
	name    string
	label   des.Label
	regions []*Region

	present    bool
	removed    bool      // the remove path unbound the driver: only it may touch the hw now
	suspended  bool      // in a low-power state (PCI D3hot after a runtime suspend)
	frozen     bool      // the link is in error recovery: reads ~0, writes dropped, until reset
	removing   *des.Proc // the process running the remove sequence, nil outside it
	unplugged  bool      // the driver declared the device unplugged (MarkUnplugged)
	generation int       // bumped at each replug; mappings of older incarnations are stale

	allOnesReads, droppedWrites int

	// The opt-in gone-hardware check (SetGoneCheck): 0 is off.
	maxGonePolls int
	polls        []goneReads // per process: its current streak of all-ones reads
}

// goneReads is one process's streak of consecutive all-ones reads of one register of absent
// hardware.
type goneReads struct {
	proc   int
	region *Region
	off    uint64
	n      int
}

// NewOwner makes the hardware of one device, present and not removed.
func (s *Space) NewOwner(name string) *Owner {
	if name == "" {
		panic("mem: owner needs a name")
	}
	s.owners++
	o := owners.New(s.sim)
	o.space, o.name, o.label, o.present = s, name, des.L(name), true
	return o
}

// Name is the owner's name.
func (o *Owner) Name() string { return o.name }

// Label is the owner's name as a trace label.
func (o *Owner) Label() des.Label { return o.label }

// Space is the address space the owner decodes in.
func (o *Owner) Space() *Space { return o.space }

// Present reports whether the hardware answers (false after Unplug until Replug).
func (o *Owner) Present() bool { return o.present }

// Removed reports whether the remove path has unbound the device's driver.
func (o *Owner) Removed() bool { return o.removed }

// Generation counts replugs.
func (o *Owner) Generation() int { return o.generation }

// AllOnesReads counts reads that returned all-ones because the hardware was gone.
func (o *Owner) AllOnesReads() int { return o.allOnesReads }

// DroppedWrites counts writes dropped because the hardware was gone.
func (o *Owner) DroppedWrites() int { return o.droppedWrites }

// SetGoneCheck turns on (maxPolls > 0) or off (0) the check of MMIO to hardware that is
// physically gone (after Unplug, until Replug): more than maxPolls consecutive all-ones
// reads of the same register by one process (a poll loop that never notices the device is
// gone), or a write to it by anything but the remove path after the driver declared the
// device unplugged (MarkUnplugged), is reported as hw-after-remove. It is off by default, so
// a model that does not turn it on only counts such accesses (AllOnesReads, DroppedWrites).
// A frozen channel (Freeze) is not gone: error recovery may bring it back.
func (o *Owner) SetGoneCheck(maxPolls int) {
	if maxPolls < 0 {
		panic("mem: SetGoneCheck needs maxPolls >= 0")
	}
	o.maxGonePolls, o.polls = maxPolls, o.polls[:0]
}

// GonePolls is the poll limit the driver models pass to SetGoneCheck: a bounded poll that
// reads ~0 this many times in a row without asking whether the device is present has
// mistaken "gone" for a status (readl_poll_timeout's callers check ~0 or time out well
// before; the figure is a model choice, not a kernel constant).
const GonePolls = 16

// GoneCheck is the poll limit SetGoneCheck set (0: the check is off).
func (o *Owner) GoneCheck() int { return o.maxGonePolls }

var evMarkUnplugged = des.L("hw-driver-unplugged")

// MarkUnplugged records that the driver has been told the device is going and told its own
// roots (drm_dev_unplug returned: every drm_dev_enter section that began before it has
// ended). From then on, while the hardware is gone, a write by anything but the remove path
// is a root that did not check (reported when SetGoneCheck is on). Replug clears it.
func (o *Owner) MarkUnplugged(p *des.Proc) {
	o.unplugged = true
	o.space.sim.Emit(p, evMarkUnplugged, o.label, int64(o.generation), 0)
}

// Unplugged reports whether the driver declared the device unplugged (MarkUnplugged).
func (o *Owner) Unplugged() bool { return o.unplugged }

var (
	evUnplug      = des.L("hw-unplug")
	evReplug      = des.L("hw-replug")
	evRemoveBegin = des.L("hw-remove-begin")
	evRemoved     = des.L("hw-removed")
	evRemoveEnd   = des.L("hw-remove-end")
)

// Unplug makes the hardware vanish (surprise removal: the link is down). From now on reads
// return all-ones and writes are dropped. p may be nil (a platform event outside processes).
func (o *Owner) Unplug(p *des.Proc) {
	o.present = false
	o.space.sim.Emit(p, evUnplug, o.label, int64(o.generation), 0)
}

// BeginRemove marks p as the remove path of this device: p may touch the hardware after the
// device is marked removed, until EndRemove.
func (o *Owner) BeginRemove(p *des.Proc) {
	if p == nil {
		panic("mem: BeginRemove needs the remove process")
	}
	o.removing = p
	p.Trace(evRemoveBegin, o.label, int64(o.generation), 0)
}

// MarkRemoved records that the device's driver is unbound for good (device_release_driver
// returned on the remove path). Any later access from anything but the remove path is
// hw-after-remove.
func (o *Owner) MarkRemoved(p *des.Proc) {
	o.removed = true
	o.space.sim.Emit(p, evRemoved, o.label, int64(o.generation), 0)
}

// EndRemove ends the remove path: from now on nobody may touch the hardware.
func (o *Owner) EndRemove(p *des.Proc) {
	o.removing = nil
	o.space.sim.Emit(p, evRemoveEnd, o.label, int64(o.generation), 0)
}

// InRemovePath reports whether p is running this device's remove sequence.
func (o *Owner) InRemovePath(p *des.Proc) bool { return p != nil && o.removing == p }

var evPower = des.L("hw-power-state")

// SetSuspended puts the hardware in a low-power state (PCI D3hot: memory decoding off) or
// back to full power (D0). Any MMIO while suspended is an mmio-suspended violation.
func (o *Owner) SetSuspended(p *des.Proc, suspended bool) {
	o.suspended = suspended
	v := int64(0)
	if suspended {
		v = 3
	}
	o.space.sim.Emit(p, evPower, o.label, v, 0)
}

var (
	evFreeze = des.L("hw-channel-frozen")
	evReset  = des.L("hw-reset")
)

// Freeze isolates the hardware (an uncorrectable error froze the channel, or DPC took the
// link down): reads return ~0 and writes are dropped, counted as for absent hardware, until
// Reset.
func (o *Owner) Freeze(p *des.Proc) {
	o.frozen = true
	o.space.sim.Emit(p, evFreeze, o.label, int64(o.generation), 0)
}

// Frozen reports whether the channel is frozen.
func (o *Owner) Frozen() bool { return o.frozen }

// Reset is a link or slot reset: the channel works again and every register is back at
// its reset value (0); mappings stay valid (the BARs are restored), unlike Replug.
func (o *Owner) Reset(p *des.Proc) {
	o.frozen = false
	for _, r := range o.regions {
		r.regs = nil
	}
	o.space.sim.Emit(p, evReset, o.label, int64(o.generation), 0)
}

// Suspended reports whether the hardware is in a low-power state.
func (o *Owner) Suspended() bool { return o.suspended }

// Replug brings the hardware back as a new incarnation: present, not removed, register files
// cleared (the device was power-cycled). Mappings made before are stale for good.
func (o *Owner) Replug(p *des.Proc) {
	o.present, o.removed, o.removing, o.suspended, o.frozen = true, false, nil, false, false
	o.unplugged = false
	o.polls = o.polls[:0]
	o.generation++
	for _, r := range o.regions {
		r.regs = nil
	}
	o.space.sim.Emit(p, evReplug, o.label, int64(o.generation), 0)
}

// Region is one decoded window of a device (a BAR): a size, a base while claimed, and the
// register file behind it, which stays with the Region when it moves.
type Region struct {
	owner   *Owner
	name    string
	label   des.Label
	size    uint64
	base    Addr
	claimed bool
	regs    map[uint64]uint64 // offset -> value; looked up, never iterated
}

// NewRegion makes an unclaimed region of size bytes (a BAR before assignment).
func (o *Owner) NewRegion(name string, size uint64) *Region {
	if size == 0 {
		panic("mem: zero-sized region " + name)
	}
	r := regions.New(o.space.sim)
	r.owner, r.name, r.size = o, des.Join(o.space.sim, des.Join(o.space.sim, o.name, ":"), name), size
	r.label = des.L(r.name)
	o.regions = append(o.regions, r)
	return r
}

func (r *Region) String() string {
	if !r.claimed {
		return r.name + " [unassigned]"
	}
	return fmt.Sprintf("%s [%#x-%#x]", r.name, uint64(r.base), uint64(r.base)+r.size-1)
}

// Name is "owner:region".
func (r *Region) Name() string { return r.name }

// Owner is the device the region belongs to.
func (r *Region) Owner() *Owner { return r.owner }

// Base is the address the region decodes at (meaningful while Claimed).
func (r *Region) Base() Addr { return r.base }

// Size is the region's size in bytes.
func (r *Region) Size() uint64 { return r.size }

// Claimed reports whether the region decodes a range now.
func (r *Region) Claimed() bool { return r.claimed }

// Claim makes the region decode [base, base+size). It fails if the range overlaps another
// claimed region or the region is already claimed.
func (r *Region) Claim(base Addr) error {
	if r.claimed {
		return fmt.Errorf("mem: %s already claimed", r)
	}
	if base+Addr(r.size) < base {
		return fmt.Errorf("mem: %s at %#x wraps", r.name, uint64(base))
	}
	r.base = base
	if err := r.owner.space.insert(r); err != nil {
		return err
	}
	r.claimed = true
	return nil
}

// Release stops the region decoding (release_resource); its registers are kept.
func (r *Region) Release() {
	if r.claimed {
		r.owner.space.remove(r)
		r.claimed = false
	}
}

// Resize changes the size of an unclaimed region (a resizable BAR).
func (r *Region) Resize(size uint64) error {
	if r.claimed {
		return fmt.Errorf("mem: resize of claimed %s", r)
	}
	if size == 0 {
		return fmt.Errorf("mem: zero size for %s", r.name)
	}
	r.size = size
	return nil
}

// Peek reads a register as the device sees it (no scheduling point, no checks): device
// models use it to observe what drivers wrote.
func (r *Region) Peek(off uint64) uint64 { return r.regs[off] }

// Poke sets a register as the device would (a status bit, a ring pointer the hardware moved).
func (r *Region) Poke(off, v uint64) {
	if off >= r.size {
		panic(fmt.Sprintf("mem: poke at %#x outside %s", off, r))
	}
	if r.regs == nil {
		r.regs = map[uint64]uint64{}
	}
	if _, ok := r.regs[off]; !ok && len(r.regs) >= MaxRegs {
		panic(fmt.Sprintf("mem: more than %d registers in %s", MaxRegs, r.name))
	}
	r.regs[off] = v
}
