package iommu

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/splat"
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
	n := seqKey.Get(sim, func(sim *des.Sim) *int { return seqs.New(sim) })
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

// Unmap is dma_unmap_page: a scheduling point, then the group is used and the mapping freed
// (unmapping twice is a double free). Unmapping after the group was released is reported as
// CONFIG_DMA_API_DEBUG reports the misuse (debugUnmapAfterRelease).
func (mp *Mapping) Unmap(p *des.Proc) {
	p.Point(evUnmap, mp.groupLabel(), int64(mp.iova), int64(mp.size))
	if mp.group != nil && !mp.group.Live() {
		mp.debugUnmapAfterRelease(p)
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

// debugUnmapAfterRelease reports a dma_unmap of a mapping whose device left the device tree
// (its IOMMU group released) as CONFIG_DMA_API_DEBUG does, whatever the kernel does with the
// call itself (v6.9-v6.14 oops on the NULL dev->iommu_group in iommu_dma_unmap_page; v6.15+
// silently take dma-direct with an IOVA): dma-debug reported the entry as leaked when the
// driver let go of the device (dma_debug_device_change, "device driver has pending DMA
// allocations while released from device"), and the entry debug_dma_unmap_page finds now
// belongs to a device without its DMA context. The kind is use-after-free: the mapping, and
// the group and domain it points into, are used after the release freed them.
func (mp *Mapping) debugUnmapAfterRelease(p *des.Proc) {
	g := mp.group
	p.Sim().Violate(p, oracle.UseAfterFree, g.Label(), splat.DMADebugPendingAtRelease(splat.DMADebugReport{
		Dev: mp.dev.Name(), Entry: mp.Name(), DevAddr: mp.iova, Size: mp.size,
		Release: g.FreeSite().Splat("iommu_release_device"), Map: mp.AllocSite().Splat("dma_map_page"),
		Unmap: kasan.SiteOf(p.Sim(), p).Splat("dma_unmap_page"),
	}))
}
