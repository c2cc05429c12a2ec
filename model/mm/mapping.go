package mm

import "hotplugsim/des"

// Mapping is a struct address_space: what a file (a drm device's anon inode, a dma-buf)
// maps. It knows every VMA that maps it (i_mmap), which is how unmap_mapping_range finds
// the PTEs to zap.
type Mapping struct {
	sim  *des.Sim
	name des.Label
	vmas []*VMA // in mmap order
}

// NewMapping makes an address_space.
func NewMapping(sim *des.Sim, name string) *Mapping {
	m := mappings.New(sim)
	m.sim, m.name = sim, des.L(name)
	return m
}

var (
	mappings = des.NewSlabKey[Mapping]()
	vmaSnaps = des.NewSlabKey[vmaSnap]()
	mms      = des.NewSlabKey[MM]()
	vmas     = des.NewSlabKey[VMA]()
	pages    = des.NewSlabKey[Page]()
	vmFaults = des.NewSlabKey[VMFault]()
)

// vmaSnap is the backing array of one snapshot of a Mapping's VMAs.
type vmaSnap struct{ s []*VMA }

// Recycle keeps the capacity (des.Recycler).
func (v *vmaSnap) Recycle() { clear(v.s[:cap(v.s)]); v.s = v.s[:0] }

// Recycle keeps the capacity of the VMA list (des.Recycler).
func (m *Mapping) Recycle() {
	clear(m.vmas[:cap(m.vmas)])
	*m = Mapping{vmas: m.vmas[:0]}
}

// Recycle keeps the capacity of the VMA and exit-hook lists (des.Recycler).
func (m *MM) Recycle() {
	clear(m.vmas[:cap(m.vmas)])
	clear(m.atExitBuf[:cap(m.atExitBuf)])
	*m = MM{vmas: m.vmas[:0], atExit: m.atExitBuf[:0], atExitBuf: m.atExitBuf[:0]}
}

// Recycle keeps the capacity of the PTEs (des.Recycler).
func (v *VMA) Recycle() {
	clear(v.ptes[:cap(v.ptes)])
	*v = VMA{ptes: v.ptes[:0]}
}

// Name is the mapping's name.
func (m *Mapping) Name() string { return m.name.String() }

// VMAs returns the VMAs that map it now, in mmap order.
func (m *Mapping) VMAs() []*VMA { return append([]*VMA(nil), m.vmas...) }

func (m *Mapping) link(v *VMA) { m.vmas = append(m.vmas, v) }

func (m *Mapping) unlink(v *VMA) {
	for i, w := range m.vmas {
		if w == v {
			m.vmas = append(m.vmas[:i], m.vmas[i+1:]...)
			return
		}
	}
}

// UnmapMappingRange is unmap_mapping_range(mapping, holebegin, holelen, 1): zap the PTEs of
// every VMA of mapping that maps a byte of [holeBegin, holeBegin+holeLen); holeLen 0 means
// to the end of the file. The next access through them faults again. It returns how many
// present PTEs it zapped.
func UnmapMappingRange(p *des.Proc, m *Mapping, holeBegin, holeLen uint64) int {
	first := holeBegin >> PageShift
	var nr uint64
	if holeLen != 0 {
		nr = (holeLen + PageSize - 1) >> PageShift
	}
	return UnmapMappingPages(p, m, first, nr)
}

// UnmapMappingPages is unmap_mapping_pages(mapping, start, nr, true): as UnmapMappingRange
// in pages; nr 0 means to the end.
func UnmapMappingPages(p *des.Proc, m *Mapping, start, nr uint64) int {
	last := ^uint64(0)
	if nr != 0 && start+nr > start {
		last = start + nr - 1
	}
	zapped := 0
	snap := vmaSnaps.New(m.sim) // this call's own, reused by a sweep worker's next run
	snap.s = append(snap.s, m.vmas...)
	for _, v := range snap.s { // a snapshot: bounded even if mmaps race
		zapped += zapVMA(p, v, start, last)
	}
	return zapped
}

// zapVMA zaps the part of v that maps pages [start, last] of its mapping.
func zapVMA(p *des.Proc, v *VMA, start, last uint64) int {
	vFirst, vLast := v.PgOff, v.PgOff+uint64(v.Pages)-1
	if last < vFirst || start > vLast {
		return 0
	}
	p.Point(evZap, v.mm.name, int64(v.Start), int64(v.Pages))
	if v.removed {
		return 0
	}
	lo, hi := max(start, vFirst), min(last, vLast)
	return v.zap(int(lo-vFirst), int(hi-lo+1))
}
