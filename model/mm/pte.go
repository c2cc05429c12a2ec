package mm

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// PageSize and PageShift are the one page size the model uses.
const (
	PageShift        = 12
	PageSize  uint64 = 1 << PageShift
)

// Owner is whoever a physical address inside an iomem PTE belongs to: a BAR of a PCI
// device, an aperture. model/mem's owned ranges satisfy it. Owns answers "does phys still
// belong to me", which is false after the BAR moved or the device went away.
type Owner interface {
	Owns(phys uint64) bool
	Name() string
}

// Page is a struct page of system memory (a dummy page, a GTT page). It has a KASAN
// lifetime: Free it with Free; a PTE left pointing at it is then stale.
type Page struct {
	kasan.Obj
	free func(p *des.Proc) // Free as a func value, made once per Page (FreeFunc)
}

// Recycle keeps the Free func value, which binds the same address (des.Recycler).
func (pg *Page) Recycle() { *pg = Page{free: pg.free} }

// FreeFunc is pg.Free as a func value (for a drmm or devm action), made once per Page.
func (pg *Page) FreeFunc() func(p *des.Proc) {
	if pg.free == nil {
		pg.free = pg.Free
	}
	return pg.free
}

// AllocPage is alloc_page(GFP_KERNEL | __GFP_ZERO) (mm/page_alloc.c
// __alloc_pages -> prepare_alloc_pages -> might_alloc): with a process it runs MightAlloc
// first, so lockdep learns that whatever p holds is held across fs_reclaim. p may be nil in
// set-up code, which holds nothing.
func AllocPage(sim *des.Sim, p *des.Proc, name string) *Page {
	if p != nil {
		MightAlloc(p, GFPKernel)
	}
	pg := pages.New(sim)
	pg.Alloc(sim, p, name)
	return pg
}

// pte is one page-table entry. The zero pte is not present.
type pte struct {
	present bool
	phys    uint64 // iomem: the physical address mapped
	owner   Owner  // iomem: who phys belonged to when the PTE was made
	page    *Page  // system memory: the page mapped
	setBy   kasan.Site
}

func (e *pte) target() string {
	if e.page != nil {
		return e.page.Name()
	}
	return fmt.Sprintf("pfn %#x (%s)", e.phys>>PageShift, e.owner.Name())
}

// stale reports, as the oracle would word it, why the PTE may no longer be used ("" if it
// may).
func (e *pte) stale() string {
	if e.page != nil {
		if e.page.Live() {
			return ""
		}
		return fmt.Sprintf("page %s was freed by %v", e.page.Name(), e.page.FreeSite())
	}
	if e.owner.Owns(e.phys) {
		return ""
	}
	return fmt.Sprintf("phys %#x no longer belongs to %s", e.phys, e.owner.Name())
}

func (e *pte) checkAccess(sim *des.Sim, p *des.Proc, vma *VMA, addr uint64, write bool) {
	why := e.stale()
	if why == "" {
		return
	}
	phys := e.phys
	if e.page != nil {
		phys = splat.SlabAddr(e.page.Name()) &^ 0xffff888000000000 // the page's synthetic pfn
	}
	use := oracle.Site(sim, p, "do_user_addr_fault")
	use.Seq = 0
	sim.Violate(p, oracle.StalePTE, vma.mm.name, splat.BadPageMap(splat.BadPageMapReport{
		Comm: vma.mm.name.String(), PTE: splat.PTEVal(phys), Addr: addr,
		Access: splat.Access{Write: write, Size: 8, Addr: addr, Where: "user"},
		Mapped: "maps " + e.target() + ": " + why, Use: use,
		Set: e.setSite(),
	}))
}

// setSite is where the PTE was set, with the model function that set it, as a report prints it.
func (e *pte) setSite() splat.Site {
	s := e.setBy
	s.Chain = []string{"vmf_insert_pfn", "handle_mm_fault"}
	if e.page != nil {
		s.Chain = []string{"vmf_insert_page", "handle_mm_fault"}
	}
	return s.Splat("")
}
