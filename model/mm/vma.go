package mm

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
)

// VMOps is vm_operations_struct: the Fault handler fills PTEs (vmf_insert_pfn / the dummy
// page) and returns a FaultResult.
type VMOps interface {
	Fault(p *des.Proc, vmf *VMFault) FaultResult
}

// VMCloser is the optional vm_ops->close, run when the VMA goes (munmap, exit).
type VMCloser interface {
	Close(p *des.Proc, vma *VMA)
}

// VMA is a vm_area_struct mapping Pages pages of Mapping from page offset PgOff (vm_pgoff)
// at user address Start. Private is vm_private_data (the BO).
type VMA struct {
	mm      *MM
	Start   uint64
	Pages   int
	PgOff   uint64
	Mapping *Mapping
	Ops     VMOps
	Private any
	ptes    []pte
	removed bool
}

var (
	evInsertPFN  = des.L("vmf_insert_pfn")
	evInsertPage = des.L("vmf_insert_page")
	evZap        = des.L("zap_pte_range")
)

// End is vm_end: one past the last byte.
func (v *VMA) End() uint64 { return v.Start + uint64(v.Pages)*PageSize }

// MM is vm_mm.
func (v *VMA) MM() *MM { return v.mm }

// Removed reports whether the VMA was unmapped.
func (v *VMA) Removed() bool { return v.removed }

// Addr is the user address of the VMA's page i.
func (v *VMA) Addr(i int) uint64 { return v.Start + uint64(i)*PageSize }

func (v *VMA) index(addr uint64) (int, bool) {
	if addr < v.Start || addr >= v.End() {
		return 0, false
	}
	return int((addr - v.Start) >> PageShift), true
}

// Present reports whether the PTE for addr is populated.
func (v *VMA) Present(addr uint64) bool {
	i, ok := v.index(addr)
	return ok && v.ptes[i].present
}

// PresentCount is how many of the VMA's PTEs are populated.
func (v *VMA) PresentCount() int {
	n := 0
	for i := range v.ptes {
		if v.ptes[i].present {
			n++
		}
	}
	return n
}

// Target describes what the PTE for addr points at ("" if none).
func (v *VMA) Target(addr uint64) string {
	i, ok := v.index(addr)
	if !ok || !v.ptes[i].present {
		return ""
	}
	return v.ptes[i].target()
}

// InsertPFN is vmf_insert_pfn_prot: point the PTE of addr at phys, which owner owns now.
// It returns VMFaultNoPage, or VMFaultSIGBUS for an address outside the VMA. A PTE that is
// already present is left as it is, stale or not (insert_pfn in mm/memory.c: only a
// mkwrite fault touches a present entry), so a prefault cannot repair a missed zap.
func (v *VMA) InsertPFN(p *des.Proc, addr, phys uint64, owner Owner) FaultResult {
	i, ok := v.index(addr)
	if !ok || owner == nil || v.removed {
		return VMFaultSIGBUS
	}
	p.Point(evInsertPFN, v.mm.name, int64(addr), int64(phys))
	if v.ptes[i].present {
		return VMFaultNoPage
	}
	v.ptes[i] = pte{present: true, phys: phys, owner: owner, setBy: kasan.SiteOf(v.mm.sim, p)}
	return VMFaultNoPage
}

// InsertPage points the PTE of addr at a page of system memory (vmf_insert_pfn of
// page_to_pfn(page), as ttm does for TT pages and the dummy page). Like InsertPFN it leaves
// a present PTE alone (vm_insert_page's -EBUSY is VM_FAULT_NOPAGE too).
func (v *VMA) InsertPage(p *des.Proc, addr uint64, page *Page) FaultResult {
	i, ok := v.index(addr)
	if !ok || page == nil || v.removed {
		return VMFaultSIGBUS
	}
	page.Use(p, "vmf_insert_pfn")
	p.Point(evInsertPage, v.mm.name, int64(addr), 0)
	if v.ptes[i].present {
		return VMFaultNoPage
	}
	v.ptes[i] = pte{present: true, page: page, setBy: kasan.SiteOf(v.mm.sim, p)}
	return VMFaultNoPage
}

// zap clears n PTEs from index first.
func (v *VMA) zap(first, n int) int {
	zapped := 0
	for i := first; i < first+n && i < len(v.ptes); i++ {
		if v.ptes[i].present {
			zapped++
		}
		v.ptes[i] = pte{}
	}
	return zapped
}

func (v *VMA) String() string {
	return fmt.Sprintf("vma[%#x-%#x %s pgoff %#x]", v.Start, v.End(), v.Mapping.Name(), v.PgOff)
}
