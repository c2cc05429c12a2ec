package iommu

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/pci"
)

// Bounds.
const (
	MaxGroups   = 1024    // groups over a run (a replug makes a new one)
	MaxMappings = 1 << 16 // live mappings per group
	iovaBase    = uint64(0xffff_0000_0000)
)

// IOMMU is the IOMMU of one PCI host (intel_iommu / amd_iommu, reduced to groups).
type IOMMU struct {
	sim    *des.Sim
	host   *pci.Host
	groups []*Group // by id, freed ones included
	// probeFn and releaseFn are m.probeDevice and m.releaseDevice, kept by a recycled IOMMU
	// (they bind the same address).
	probeFn, releaseFn func(p *des.Proc, d *pci.Dev)
}

var (
	iommus     = des.NewSlabKey[IOMMU]()
	groups     = des.NewSlabKey[Group]()
	records    = des.NewSlabKey[record]()
	registries = des.NewSlabKey[registry]()
	mappings   = des.NewSlabKey[Mapping]()
	seqs       = des.NewSlabKey[int]()
)

// Recycle keeps the group list's capacity and the method values (des.Recycler).
func (m *IOMMU) Recycle() {
	clear(m.groups[:cap(m.groups)])
	*m = IOMMU{groups: m.groups[:0], probeFn: m.probeFn, releaseFn: m.releaseFn}
}

// Recycle keeps the maps, emptied: they are only looked up (des.Recycler).
func (r *registry) Recycle() {
	clear(r.byHost)
	clear(r.byDev)
}

// Group is an iommu_group: the unit DMA mappings go through.
type Group struct {
	kasan.Obj
	id       int
	dev      *pci.Dev
	live     int    // mappings not yet unmapped
	nextIOVA uint64 // bump allocator
}

type registry struct {
	byHost map[*pci.Host]*IOMMU // looked up, never iterated
	byDev  map[*pci.Dev]*record
}

type record struct {
	cur  *Group // dev->iommu_group
	last *Group // the group it had, kept to report use-after-free
}

var registryKey = des.NewSimKey[registry]()

func reg(sim *des.Sim) *registry {
	return registryKey.Get(sim, func(sim *des.Sim) *registry {
		r := registries.New(sim)
		if r.byHost == nil {
			r.byHost, r.byDev = map[*pci.Host]*IOMMU{}, map[*pci.Dev]*record{}
		}
		return r
	})
}

var (
	evProbe   = des.L("iommu_probe_device")
	evRelease = des.L("iommu_release_device")
	evLeak    = des.L("iommu-leaked-mappings")
	evMap     = des.L("dma_map")
	evUnmap   = des.L("dma_unmap")
)

// Attach puts an IOMMU in front of every device of h: it registers the bus notifier that
// allocates and releases groups, and gives a group to every device already in the tree.
func Attach(h *pci.Host) (*IOMMU, error) {
	r := reg(h.Sim())
	if r.byHost[h] != nil {
		return nil, fmt.Errorf("iommu: host already has an IOMMU")
	}
	m := iommus.New(h.Sim())
	m.sim, m.host = h.Sim(), h
	if m.probeFn == nil {
		m.probeFn, m.releaseFn = m.probeDevice, m.releaseDevice
	}
	r.byHost[h] = m
	err := h.RegisterNotifier(pci.Notifier{Name: "iommu",
		AddDevice: m.probeFn, RemovedDevice: m.releaseFn})
	return m, err
}

// Of returns the IOMMU attached to h, or nil.
func Of(h *pci.Host) *IOMMU { return reg(h.Sim()).byHost[h] }

// Group returns d's group (dev->iommu_group): nil before the device is added and after it
// was removed.
func (m *IOMMU) Group(d *pci.Dev) *Group {
	if rec := reg(m.sim).byDev[d]; rec != nil {
		return rec.cur
	}
	return nil
}

// Groups returns every group ever allocated, by id.
func (m *IOMMU) Groups() []*Group { return append([]*Group(nil), m.groups...) }

func (m *IOMMU) probeDevice(p *des.Proc, d *pci.Dev) {
	rec := reg(m.sim).byDev[d]
	if rec == nil {
		rec = records.New(m.sim)
		reg(m.sim).byDev[d] = rec
	}
	if rec.cur != nil {
		return
	}
	if len(m.groups) >= MaxGroups {
		panic(fmt.Sprintf("iommu: more than %d groups", MaxGroups))
	}
	g := groups.New(m.sim)
	g.id, g.dev, g.nextIOVA = len(m.groups), d, iovaBase
	g.Alloc(m.sim, p, des.JoinN(m.sim, "iommu_group:", uint64(g.id)))
	m.groups = append(m.groups, g)
	rec.cur = g
	m.sim.Emit(p, evProbe, g.Label(), int64(g.id), 0)
}

func (m *IOMMU) releaseDevice(p *des.Proc, d *pci.Dev) {
	rec := reg(m.sim).byDev[d]
	if rec == nil || rec.cur == nil {
		return
	}
	g := rec.cur
	p.Point(evRelease, g.Label(), int64(g.id), int64(g.live))
	if g.live > 0 {
		p.Trace(evLeak, g.Label(), int64(g.id), int64(g.live))
	}
	rec.cur, rec.last = nil, g
	g.Free(p)
}

// ID is the group number.
func (g *Group) ID() int { return g.id }

// Dev is the device in the group.
func (g *Group) Dev() *pci.Dev { return g.dev }

// Mappings is the number of DMA mappings not yet unmapped.
func (g *Group) Mappings() int { return g.live }
