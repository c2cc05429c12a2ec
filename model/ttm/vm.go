package ttm

import (
	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/mm"
)

// VMOps is ttm_bo_vm_ops: Fault is ttm_bo_vm_fault, Close drops the VMA's BO and device
// references. Drivers that wrap the fault (amdgpu_gem_fault) build on VMReserve,
// FaultReserved and DummyPage.
type VMOps struct{}

var (
	_ mm.VMOps    = VMOps{}
	_ mm.VMCloser = VMOps{}
)

// Mmap is ttm_bo_mmap_obj after drm_gem_mmap found the BO: map the BO's range of the
// device mapping into m. The VMA holds a BO reference and, standing for vm_file's drm_file,
// a drm_device reference, both dropped when the VMA goes. ops nil means VMOps{}.
func (bo *BO) Mmap(p *des.Proc, m *mm.MM, ops mm.VMOps) (*mm.VMA, error) {
	if !bo.Use(p, "ttm_bo_mmap_obj") {
		return nil, ErrInval
	}
	if bo.dev.drm.IsUnplugged(p) { // drm_gem_mmap
		return nil, drm.ErrNoDev
	}
	if ops == nil {
		ops = VMOps{}
	}
	bo.Get(p)
	bo.dev.drm.DevGet(p)
	v, err := m.Mmap(p, bo.dev.drm.Mapping(), bo.node, bo.Pages, ops, bo)
	if err != nil {
		bo.dev.drm.DevPut(p)
		bo.Put(p)
	}
	return v, err
}

// Close is ttm_bo_vm_close (and the fput of vm_file).
func (VMOps) Close(p *des.Proc, vma *mm.VMA) {
	bo := vma.Private.(*BO)
	ddev := bo.dev.drm
	bo.Put(p)
	ddev.DevPut(p)
}

// Fault is ttm_bo_vm_fault.
func (VMOps) Fault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	return VMFault(p, vmf)
}

// VMFault is ttm_bo_vm_fault: reserve the BO, then fill PTEs under drm_dev_enter, or map
// the dummy page when the device is unplugged. The resv stays unlocked after
// VM_FAULT_RETRY (the retry paths already dropped it).
func VMFault(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	bo := vmf.VMA.Private.(*BO)
	if !bo.Use(p, "ttm_bo_vm_fault") {
		return mm.VMFaultSIGBUS
	}
	if r := VMReserve(p, bo, vmf); r != 0 {
		return r
	}
	var r mm.FaultResult
	if idx, ok := bo.dev.drm.DevEnter(p); ok {
		r = FaultReserved(p, vmf, bo.dev.opts.NumPrefault)
		drm.DevExit(p, idx)
	} else if bo.dev.opts.SIGBUSAfterUnplug {
		r = mm.VMFaultSIGBUS
	} else {
		r = DummyPage(p, vmf)
	}
	if r == mm.VMFaultRetry {
		return r
	}
	bo.Resv.Unlock(p)
	return r
}

// VMReserve is ttm_bo_vm_reserve: 0 with the resv locked, or VM_FAULT_RETRY after
// dropping mmap_lock and waiting for the resv (first attempt), or VM_FAULT_NOPAGE.
func VMReserve(p *des.Proc, bo *BO, vmf *mm.VMFault) mm.FaultResult {
	if bo.Resv.TryLock(p) {
		return 0
	}
	if vmf.AllowRetryFirst() {
		bo.Get(p)
		vmf.MmapReadUnlock(p)
		if bo.Resv.Lock(p, nil) == nil {
			bo.Resv.Unlock(p)
		}
		bo.Put(p)
		return mm.VMFaultRetry
	}
	if bo.Resv.Lock(p, nil) != nil {
		return mm.VMFaultNoPage
	}
	return 0
}

// faultIdle is ttm_bo_vm_fault_idle: wait for the KERNEL fences (a pipelined move), with
// mmap_lock dropped and VM_FAULT_RETRY on the first attempt. The wait fails only when a
// signal interrupts it (VM_FAULT_NOPAGE), never for a fence that signalled with an error:
// the fault then maps the new placement.
func faultIdle(p *des.Proc, bo *BO, vmf *mm.VMFault) mm.FaultResult {
	if bo.Resv.TestSignaled(p, fence.UsageKernel) {
		return 0
	}
	if vmf.AllowRetryFirst() {
		bo.Get(p)
		vmf.MmapReadUnlock(p)
		bo.Resv.Wait(p, fence.UsageKernel)
		bo.Resv.Unlock(p)
		bo.Put(p)
		return mm.VMFaultRetry
	}
	for _, f := range bo.Resv.GetFences(p, fence.UsageKernel) {
		f.Wait(p) // dma_resv_wait_timeout: a fence's error is not the wait's
		f.Put(p)
	}
	return 0
}

// FaultReserved is ttm_bo_vm_fault_reserved (resv held): wait idle, then insert up to
// numPrefault PTEs from the faulting page: VRAM at aper_base + offset, TT pages populated
// (a population that fails, e.g. a DMA mapping, is VM_FAULT_SIGBUS).
func FaultReserved(p *des.Proc, vmf *mm.VMFault, numPrefault int) mm.FaultResult {
	vma := vmf.VMA
	bo := vma.Private.(*BO)
	if r := faultIdle(p, bo, vmf); r != 0 {
		return r
	}
	off := vmf.PgOff - bo.node
	if vmf.PgOff < bo.node || off >= uint64(bo.Pages) {
		return mm.VMFaultSIGBUS
	}
	var tt []*mm.Page // the pages this fault maps, even if unpopulated meanwhile
	if bo.place != PlVRAM {
		if err := bo.populate(p); err != nil {
			return mm.VMFaultSIGBUS // since v6.4 no VM_FAULT_OOM: it confused the core mm
		}
		tt = bo.tt
	}
	last := vma.PgOff + uint64(vma.Pages) - bo.node // page_last
	addr := vmf.Address
	r := mm.VMFaultNoPage
	for i := 0; i < numPrefault && off < last && off < uint64(bo.Pages); i++ {
		r = bo.insert(p, vma, addr, off, tt)
		if r != mm.VMFaultNoPage {
			if i == 0 {
				return mm.VMFaultNoPage
			}
			break
		}
		addr += mm.PageSize
		off++
	}
	return r
}

// insert fills one PTE with page off of the BO (of tt, its pages when the fault populated
// them). A PTE already present stays as it is: vmf_insert_pfn_prot (insert_pfn in
// mm/memory.c) returns VM_FAULT_NOPAGE without replacing it, stale or not.
func (bo *BO) insert(p *des.Proc, vma *mm.VMA, addr, off uint64, tt []*mm.Page) mm.FaultResult {
	if vma.Present(addr) {
		return mm.VMFaultNoPage
	}
	if bo.place == PlVRAM {
		phys := bo.dev.aperBase + (uint64(bo.vram)+off)*mm.PageSize
		return vma.InsertPFN(p, addr, phys, mm.RegionOwner(bo.dev.vram))
	}
	return vma.InsertPage(p, addr, tt[off])
}

// DummyPage is ttm_bo_vm_dummy_page: a zeroed page, freed by a drmm action at the final
// drm_dev_put, mapped over the whole VMA so the app keeps running on an unplugged device.
func DummyPage(p *des.Proc, vmf *mm.VMFault) mm.FaultResult {
	vma := vmf.VMA
	bo := vma.Private.(*BO)
	ddev := bo.dev.drm
	sim := bo.dev.sim
	page := mm.AllocPage(sim, p, des.JoinX(sim, des.Join(sim, des.Join(sim, "dummy_page:", vma.MM().Name()), "@"), vma.Start))
	if err := ddev.DrmmAddAction(p, "ttm_bo_release_dummy_page", page.FreeFunc()); err != nil {
		page.Free(p) // drmm_add_action_or_reset
		return mm.VMFaultOOM
	}
	r := mm.VMFaultNoPage
	for i := 0; i < vma.Pages; i++ {
		if vma.Present(vma.Addr(i)) {
			r = mm.VMFaultNoPage // insert_pfn leaves a present PTE alone
			continue
		}
		r = vma.InsertPage(p, vma.Addr(i), page)
	}
	return r
}
