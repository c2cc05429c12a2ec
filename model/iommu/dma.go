package iommu

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/pci"
)

// Mapping is one streaming DMA mapping (what dma_map_page returns, with its size).
type Mapping struct {
	kasan.Obj
	group *Group // nil: dma-direct (no IOMMU)
	dev   *pci.Dev
	iova  uint64
	size  uint64
}

var seqKey = des.NewSimKey[int]()

func nextSeq(sim *des.Sim) int {
	n := seqKey.Get(sim, func() *int { return seqs.New(sim) })
	*n++
	return *n
}

// DMAMap is dma_map_page / dma_map_sgtable of size bytes of what (a BO's pages, a ring) for
// d. It is a scheduling point. Through an IOMMU it needs d's group: mapping for a device
// whose group was released is a use-after-free of the group (nil is returned if the Sim
// keeps going).
func DMAMap(p *des.Proc, d *pci.Dev, size uint64, what string) *Mapping {
	if size == 0 {
		panic("iommu: zero-sized DMA mapping of " + what)
	}
	sim := d.Host().Sim()
	mp := mappings.New(sim)
	mp.dev, mp.size = d, size
	if m := Of(d.Host()); m != nil {
		g := m.groupFor(p, d)
		if g == nil {
			return nil
		}
		mp.group, mp.iova = g, g.alloc(size)
		g.live++
	}
	mp.Alloc(sim, p, des.JoinN(sim, des.Join(sim, des.Join(sim, "dma:", what), "#"), uint64(nextSeq(sim))))
	p.Point(evMap, mp.groupLabel(), int64(mp.iova), int64(size))
	return mp
}

// groupFor returns d's live group, or reports a use-after-free of the one it had.
func (m *IOMMU) groupFor(p *des.Proc, d *pci.Dev) *Group {
	rec := reg(m.sim).byDev[d]
	switch {
	case rec == nil:
		panic(fmt.Sprintf("iommu: dma_map for %s, which never had a group", d))
	case rec.cur != nil:
		return rec.cur
	}
	rec.last.Use(p, "dma_map")
	return nil
}

func (g *Group) alloc(size uint64) uint64 {
	if g.live >= MaxMappings {
		panic(fmt.Sprintf("iommu: more than %d live mappings in %s", MaxMappings, g.Name()))
	}
	iova := g.nextIOVA
	g.nextIOVA += (size + 4095) &^ 4095
	return iova
}

func (mp *Mapping) groupLabel() des.Label {
	if mp.group == nil {
		return mp.dev.Label()
	}
	return mp.group.Label()
}

// IOVA is the device address of the mapping (0 for dma-direct).
func (mp *Mapping) IOVA() uint64 { return mp.iova }

// Size is the mapping's length.
func (mp *Mapping) Size() uint64 { return mp.size }

// Group is the group the mapping goes through (nil for dma-direct).
func (mp *Mapping) Group() *Group { return mp.group }

// Unmap is dma_unmap_page: a scheduling point, then the group is used (a use-after-free if it
// was released) and the mapping freed (unmapping twice is a double free).
func (mp *Mapping) Unmap(p *des.Proc) {
	p.Point(evUnmap, mp.groupLabel(), int64(mp.iova), int64(mp.size))
	if mp.group != nil && !mp.group.Use(p, "dma_unmap") {
		return
	}
	if mp.Freed() {
		mp.Free(p) // reports the double unmap
		return
	}
	if mp.group != nil {
		mp.group.live--
	}
	mp.Free(p)
}
