package xe

import (
	"fmt"
	"slices"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/iommu"
	"hotplugsim/model/mm"
)

// Userptr is a range of user memory bound into the GPU's address space (an xe userptr VMA):
// its pages are DMA-mapped through the device's IOMMU group until the VMA is destroyed (at
// the latest when the file closes) or, with ClearMappings, until remove.
type Userptr struct {
	x     *Device
	c     *Client
	pages []*mm.Page
	dma   *iommu.Mapping // nil once unmapped
	label des.Label
}

var evUserptrUnmap = des.L("xe_userptr_unmap")

// Mapped reports whether the userptr still holds its DMA mapping.
func (u *Userptr) Mapped() bool { return u.dma != nil }

// CreateUserptr is DRM_IOCTL_XE_VM_BIND of a userptr: pin pages user pages (capped at
// MaxBOPages) and DMA-map them.
func (c *Client) CreateUserptr(p *des.Proc, pages int) (*Userptr, error) {
	a := &userptrArgs{pages: min(max(pages, 1), MaxBOPages)}
	err := c.ioctl(p, IoctlUserptr, a)
	return a.out, err
}

type userptrArgs struct {
	pages int
	out   *Userptr
}

func (x *Device) ioctlUserptr(p *des.Proc, f *drm.File, arg any) error {
	c, a := f.Private.(*Client), arg.(*userptrArgs)
	if len(x.userptrs) >= MaxUserptrs {
		return drm.ErrInval
	}
	c.nbo++
	name := fmt.Sprintf("userptr:%s.%d@%s", c.name, c.nbo, x.label)
	u := &Userptr{x: x, c: c, label: des.L(name)}
	for i := 0; i < a.pages; i++ {
		u.pages = append(u.pages, mm.AllocPage(p.Sim(), p, fmt.Sprintf("%s.page%d", name, i)))
	}
	u.dma = iommu.DMAMap(p, x.pdev, uint64(a.pages)*mm.PageSize, name)
	if u.dma == nil { // the group is gone (reported)
		u.freePages(p)
		return drm.ErrNoDev
	}
	x.userptrs = append(x.userptrs, u)
	c.userptrs = append(c.userptrs, u)
	a.out = u
	return nil
}

// DestroyUserptr unbinds the userptr (VM unbind): unmap and release its pages.
func (c *Client) DestroyUserptr(p *des.Proc, u *Userptr) {
	if slices.Contains(c.userptrs, u) {
		u.destroy(p)
	}
}

// unmap is the per-userptr DMA unmap under the device's unmap mutex, so the remove path and a
// concurrent destroy never unmap twice and remove does not return while one is in progress.
func (u *Userptr) unmap(p *des.Proc) {
	u.x.upLock.Lock(p)
	if m := u.dma; m != nil {
		u.dma = nil
		p.Trace(evUserptrUnmap, u.label, 0, 0)
		m.Unmap(p)
	}
	u.x.upLock.Unlock(p)
}

// destroy is xe_userptr_remove + xe_userptr_destroy.
func (u *Userptr) destroy(p *des.Proc) {
	u.unmap(p)
	u.freePages(p)
	u.x.userptrs = slices.DeleteFunc(u.x.userptrs, func(v *Userptr) bool { return v == u })
	u.c.userptrs = slices.DeleteFunc(u.c.userptrs, func(v *Userptr) bool { return v == u })
}

func (u *Userptr) freePages(p *des.Proc) {
	for _, pg := range u.pages {
		pg.Free(p)
	}
	u.pages = nil
}
