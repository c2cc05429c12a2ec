package mem

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// IOMem is a kernel mapping of a physical range (the void __iomem * ioremap returns). It
// remembers which Region decoded the range when it was made, and of which incarnation of the
// device, so every access can tell whether the range still belongs to that device.
type IOMem struct {
	space  *Space
	label  des.Label
	phys   Addr
	size   uint64
	region *Region // decoding phys at ioremap time; nil if nothing did
	base   Addr    // region's base at ioremap time: a move keeps the Region, not the base
	gen    int
	mapped bool
	// Who unmapped it and when, for the splat: the Site without its At, an interface that
	// would box the time on every iounmap (unmapSite puts it in).
	unmapBy splat.Site
	unmapAt des.Time
}

// regionOffset names the address off bytes into the mapping as the BAR and offset it was made for
// ("0000:09:00.0:bar5+0x100"), or the mapping's label and offset if nothing decoded it.
func (m *IOMem) regionOffset(off uint64) string {
	if m.region == nil {
		return fmt.Sprintf("%s+%#x", m.label, off)
	}
	return fmt.Sprintf("%s+%#x", m.region.name, uint64(m.phys-m.base)+off)
}

// unmapSite is who unmapped it and when.
func (m *IOMem) unmapSite() splat.Site {
	s := m.unmapBy
	s.At = m.unmapAt
	return s
}

// useSite is site without a trace #: the report's own event is the access.
func (m *IOMem) useSite(p *des.Proc, fn string) splat.Site {
	s := m.site(p, []string{fn})
	s.Seq = 0
	return s
}

// iounmapChain is the call chain of an iounmap's site, shared by every site: Chains are
// only read.
var iounmapChain = []string{"iounmap"}

// site is where p is now, in the model functions chain, as a splat prints it.
func (m *IOMem) site(p *des.Proc, chain []string) splat.Site {
	s := m.where(p, chain)
	s.At = m.space.sim.Now()
	return s
}

// where is site without its time.
func (m *IOMem) where(p *des.Proc, chain []string) splat.Site {
	name, pid := "des", -1
	if p != nil {
		name, pid = p.Name(), p.ID()
	}
	return splat.Site{Task: name, PID: pid, Chain: chain, Seq: m.space.sim.EventSeq()}
}

var (
	evIoremap     = des.L("ioremap")
	evIounmap     = des.L("iounmap")
	evAllOnes     = des.L("mmio-allones")
	evDropped     = des.L("mmio-dropped")
	evRead        = [9]des.Label{1: des.L("readb"), 2: des.L("readw"), 4: des.L("readl"), 8: des.L("readq")}
	evWrite       = [9]des.Label{1: des.L("writeb"), 2: des.L("writew"), 4: des.L("writel"), 8: des.L("writeq")}
	accessorNames = [9]string{1: "b", 2: "w", 4: "l", 8: "q"}
)

// Ioremap maps [phys, phys+size) into the kernel (ioremap). It is a scheduling point when p is
// not nil (set-up code outside any process passes nil). Mapping a range nothing decodes
// succeeds, as on x86; every access through it is then stale-mmio.
func (s *Space) Ioremap(p *des.Proc, phys Addr, size uint64) *IOMem {
	if size == 0 || phys+Addr(size) < phys {
		panic(fmt.Sprintf("mem: ioremap(%#x, %#x): bad range", uint64(phys), size))
	}
	m := ioMems.New(s.sim)
	*m = IOMem{space: s, phys: phys, size: size, mapped: true}
	var name string
	if r := s.At(phys); r != nil {
		m.region, m.base, m.gen = r, r.base, r.owner.generation
		name = des.JoinX(s.sim, des.Join(s.sim, des.Join(s.sim, "iomem:", r.name), "+"), uint64(phys-r.base))
	} else {
		name = des.JoinX(s.sim, "iomem@", uint64(phys))
	}
	m.label = des.L(name)
	if p != nil {
		p.Point(evIoremap, m.label, int64(phys), int64(size))
	} else {
		s.sim.Emit(nil, evIoremap, m.label, int64(phys), int64(size))
	}
	return m
}

// Label is the mapping's trace label ("iomem:<owner>:<bar>+<offset>").
func (m *IOMem) Label() des.Label { return m.label }

// Phys is the mapped physical address.
func (m *IOMem) Phys() Addr { return m.phys }

// Size is the mapped length in bytes.
func (m *IOMem) Size() uint64 { return m.size }

// Mapped reports whether the mapping has not been iounmapped.
func (m *IOMem) Mapped() bool { return m.mapped }

// Region is what decoded the range when it was mapped (nil if nothing did).
func (m *IOMem) Region() *Region { return m.region }

// Iounmap tears the mapping down (iounmap). A second iounmap is reported as use-after-unmap.
func (m *IOMem) Iounmap(p *des.Proc) {
	if p != nil {
		p.Point(evIounmap, m.label, int64(m.phys), int64(m.size))
	} else {
		m.space.sim.Emit(nil, evIounmap, m.label, int64(m.phys), int64(m.size))
	}
	if !m.mapped {
		m.space.sim.Violate(p, oracle.UseAfterUnmap, m.label, splat.WARN("arch/x86/mm/ioremap.c", "iounmap",
			fmt.Sprintf("iounmap: bad address %016x (%s): already unmapped by task %d (%s) at %v (trace #%d)",
				splat.IORemapAddr(uint64(m.phys)), m.label, m.unmapBy.PID, m.unmapBy.Task, m.unmapAt, m.unmapBy.Seq),
			m.site(p, iounmapChain)))
		return
	}
	m.mapped = false
	m.unmapBy, m.unmapAt = m.where(p, iounmapChain), m.space.sim.Now()
}

// Read8 is readb.
func (m *IOMem) Read8(p *des.Proc, off uint64) uint8 { return uint8(m.read(p, off, 1)) }

// Read16 is readw.
func (m *IOMem) Read16(p *des.Proc, off uint64) uint16 { return uint16(m.read(p, off, 2)) }

// Read32 is readl.
func (m *IOMem) Read32(p *des.Proc, off uint64) uint32 { return uint32(m.read(p, off, 4)) }

// Read64 is readq.
func (m *IOMem) Read64(p *des.Proc, off uint64) uint64 { return m.read(p, off, 8) }

// Write8 is writeb.
func (m *IOMem) Write8(p *des.Proc, off uint64, v uint8) { m.write(p, off, 1, uint64(v)) }

// Write16 is writew.
func (m *IOMem) Write16(p *des.Proc, off uint64, v uint16) { m.write(p, off, 2, uint64(v)) }

// Write32 is writel.
func (m *IOMem) Write32(p *des.Proc, off uint64, v uint32) { m.write(p, off, 4, uint64(v)) }

// Write64 is writeq.
func (m *IOMem) Write64(p *des.Proc, off uint64, v uint64) { m.write(p, off, 8, v) }

func widthMask(width int) uint64 {
	if width == 8 {
		return ^uint64(0)
	}
	return 1<<(8*uint(width)) - 1
}

func (m *IOMem) read(p *des.Proc, off uint64, width int) uint64 {
	p.Point(evRead[width], m.label, int64(off), int64(width))
	r, a := m.target(p, off, width, "read")
	if r == nil {
		return widthMask(width)
	}
	if !r.owner.present || r.owner.frozen {
		r.owner.allOnesReads++
		p.Trace(evAllOnes, r.owner.label, int64(a), int64(width))
		if r.owner.maxGonePolls > 0 && !r.owner.present {
			m.goneRead(p, r, a, off, width)
		}
		return widthMask(width)
	}
	if r.owner.maxGonePolls > 0 {
		r.owner.endPoll(p)
	}
	return r.regs[a] & widthMask(width)
}

func (m *IOMem) write(p *des.Proc, off uint64, width int, v uint64) {
	p.Point(evWrite[width], m.label, int64(off), int64(v))
	r, a := m.target(p, off, width, "write")
	if r == nil {
		return
	}
	if !r.owner.present || r.owner.frozen {
		r.owner.droppedWrites++
		p.Trace(evDropped, r.owner.label, int64(a), int64(width))
		if o := r.owner; o.maxGonePolls > 0 && !o.present {
			o.endPoll(p)
			if o.unplugged && !o.InRemovePath(p) && !m.reported(p, r) {
				m.space.sim.Violate(p, oracle.HWAfterRemove, m.label, fmt.Sprintf(
					"write%s at %s+%#x: %s is gone (surprise removal) and its driver declared it unplugged, "+
						"the write is dropped; check drm_dev_enter() / pci_dev_is_disconnected() / "+
						"pci_device_is_present() before touching the hardware",
					accessorNames[width], m.label, off, o.name))
			}
		}
		return
	}
	if r.owner.maxGonePolls > 0 {
		r.owner.endPoll(p)
	}
	r.Poke(a, v&widthMask(width))
}

// goneRead counts one all-ones read of register a of r by p from absent hardware, and reports
// the read that makes the process's streak on that register exceed the owner's limit.
func (m *IOMem) goneRead(p *des.Proc, r *Region, a, off uint64, width int) {
	o := r.owner
	i := o.pollOf(p)
	if s := &o.polls[i]; s.region != r || s.off != a {
		*s = goneReads{proc: p.ID(), region: r, off: a}
	}
	o.polls[i].n++
	if o.polls[i].n != o.maxGonePolls+1 || m.reported(p, r) {
		return
	}
	m.space.sim.Violate(p, oracle.HWAfterRemove, m.label, fmt.Sprintf(
		"read%s at %s+%#x: %d consecutive reads of ~0 by %s from %s, which is gone (surprise removal); "+
			"a poll loop must check pci_device_is_present() / pci_dev_is_disconnected() and give up",
		accessorNames[width], m.label, off, o.polls[i].n, p.Name(), o.name))
}

// pollOf is the index of p's streak in o.polls, added if p has none.
func (o *Owner) pollOf(p *des.Proc) int {
	for i := range o.polls {
		if o.polls[i].proc == p.ID() {
			return i
		}
	}
	o.polls = append(o.polls, goneReads{proc: p.ID()})
	return len(o.polls) - 1
}

// endPoll ends p's streak of all-ones reads: p touched something that is not the same register
// of absent hardware.
func (o *Owner) endPoll(p *des.Proc) {
	for i := range o.polls {
		if o.polls[i].proc == p.ID() {
			o.polls[i] = goneReads{proc: p.ID()}
			return
		}
	}
}

// afterRemove reports whether o, the owner of the mapping, was removed and p is not its remove
// path, or the mapping belongs to an earlier incarnation of o.
func afterRemove(m *IOMem, p *des.Proc, o *Owner) bool {
	return m.gen != o.generation || (o.removed && !o.InRemovePath(p))
}

// reported reports whether target has reported an access that landed on r already
// (hw-after-remove or stale-mmio): the gone-hardware check does not report it twice.
func (m *IOMem) reported(p *des.Proc, r *Region) bool {
	o := m.owner()
	return (o != nil && afterRemove(m, p, o)) || m.moved(r)
}

// target runs the oracles for one access and returns the Region and region offset the access
// lands on, or nil if nothing decodes it.
func (m *IOMem) target(p *des.Proc, off uint64, width int, dir string) (*Region, uint64) {
	if off+uint64(width) > m.size || off+uint64(width) < off {
		panic(fmt.Sprintf("mem: %s%s at %#x outside %s (size %#x)", dir, accessorNames[width], off, m.label, m.size))
	}
	what := func() string { return fmt.Sprintf("%s%s at %s+%#x", dir, accessorNames[width], m.label, off) }
	if !m.mapped {
		m.space.sim.Violate(p, oracle.UseAfterUnmap, m.label, splat.PageFaultOops(splat.Access{
			Write: dir == "write", Size: width, Addr: splat.IORemapAddr(uint64(m.phys) + off),
			Where: m.regionOffset(off),
		}, m.useSite(p, dir+accessorNames[width]), m.unmapSite()))
	} else if o := m.owner(); o != nil && afterRemove(m, p, o) {
		m.space.sim.Violate(p, oracle.HWAfterRemove, m.label, fmt.Sprintf(
			"%s: hardware of removed device %s touched outside the remove path", what(), o.name))
	}
	addr := m.phys + Addr(off)
	cur := m.space.At(addr)
	if !m.mapped {
		return nil, 0 // the page fault oopses: the access never reaches the bus
	}
	if m.moved(cur) {
		m.space.sim.Violate(p, oracle.StaleMMIO, m.label, fmt.Sprintf(
			"%s: %#x now decodes to %s; the mapping was made for %s", what(), uint64(addr), describe(cur), m.madeFor()))
	}
	if cur == nil || m.suspended(p, cur, what) {
		return nil, 0
	}
	return cur, uint64(addr - cur.base)
}

// suspended reports an access to hardware in D3hot, which does not decode memory: the read
// completes with ~0 and the write is lost, after the report.
func (m *IOMem) suspended(p *des.Proc, cur *Region, what func() string) bool {
	o := cur.owner
	if !o.suspended || !o.present {
		return false
	}
	m.space.sim.Violate(p, oracle.MMIOSuspended, m.label, fmt.Sprintf(
		"%s: %s is runtime-suspended (D3hot); MMIO needs a runtime PM reference (pm_runtime_get_sync)",
		what(), o.name))
	return true
}

// moved reports whether cur, what decodes the accessed address now, is not what the mapping
// was made for: another Region, nothing, or the same Region at another base (a BAR that moved
// by less than its size still decodes the old address, at another register).
func (m *IOMem) moved(cur *Region) bool {
	return cur != m.region || (cur != nil && cur.base != m.base)
}

func (m *IOMem) madeFor() string {
	if m.region != nil && m.region.base != m.base {
		return fmt.Sprintf("%s at %#x", m.region.name, uint64(m.base))
	}
	return describe(m.region)
}

func (m *IOMem) owner() *Owner {
	if m.region == nil {
		return nil
	}
	return m.region.owner
}

func describe(r *Region) string {
	if r == nil {
		return "nothing"
	}
	return r.String()
}
