package xe

import "hotplugsim/model/drivers/policy"

// Policy is one design of the xe remove path (see the package doc): its name, a one-line doc
// and the switches it sets.
type Policy struct {
	Name    string
	Doc     string // one line
	Options Options
}

// Decl returns the policy's name and doc.
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// Policy names.
const (
	// DrmmMigrate: xe_migrate_fini is a drmm action (runs at the final drm_dev_put). It and
	// DevmMigrate keep the ioctl guard of ClearMappingsDevEnter, so each shows its own bug.
	DrmmMigrate = "drmm-migrate"
	// DevmMigrate: xe_migrate_fini is a devm action; nothing else is torn down at remove.
	DevmMigrate = "devm-migrate"
	// ClearMappings: devm migrate, and remove clears every DMA mapping (pinned BOs, userptrs,
	// imported attachments) and evicts exported VRAM after move_notify and a wait for idle;
	// ioctls run as mainline's xe_drm_ioctl runs them, outside drm_dev_enter.
	ClearMappings = "clear-mappings"
	// ClearMappingsDevEnter: ClearMappings, and every ioctl handler runs inside
	// drm_dev_enter, so drm_dev_unplug's synchronize_srcu waits for the ioctls in flight
	// before remove tears the mappings down.
	ClearMappingsDevEnter = "clear-mappings-dev-enter"
)

// Policies lists every policy, the buggy ones first.
var Policies = []Policy{
	{Name: DrmmMigrate, Options: Options{IoctlDevEnter: true},
		Doc: "xe_migrate_fini is a drmm action: the page-table BO is DMA-unmapped at the last drm_dev_put, after the IOMMU group is gone"},
	{Name: DevmMigrate, Options: Options{MigrateDevm: true, IoctlDevEnter: true},
		Doc: "migrate fini is devm, but app BOs, userptrs and imports keep their DMA mappings until a late close, after the group is gone"},
	{Name: ClearMappings, Options: Options{MigrateDevm: true, ClearMappings: true, EvictExported: true, WaitIdle: true},
		Doc: "devm migrate; remove clears every DMA mapping (pinned too), userptrs and imports, and evicts exported VRAM after move_notify and wait idle; ioctls outside drm_dev_enter as mainline xe_drm_ioctl: an ioctl past drm_ioctl's unplugged check runs on through remove (ioctl after unplug, dma_map on the freed IOMMU group, doorbell write after iounmap)"},
	{Name: ClearMappingsDevEnter, Options: Options{MigrateDevm: true, ClearMappings: true, EvictExported: true,
		WaitIdle: true, IoctlDevEnter: true},
		Doc: "clear-mappings, and every ioctl handler inside drm_dev_enter, so drm_dev_unplug waits for the ioctls in flight"},
}

// DefaultPolicy is the fixed design.
const DefaultPolicy = ClearMappingsDevEnter

// ParsePolicy returns the policy named s ("" is DefaultPolicy).
func ParsePolicy(s string) (Policy, error) {
	if s == "" {
		s = DefaultPolicy
	}
	return policy.Parse("xe", Policies, s)
}

// Options are the switches a policy sets. Tests may build Options directly to take one step
// of the fix out (for example EvictExported without WaitIdle).
type Options struct {
	// MigrateDevm registers xe_migrate_fini with devm (else drmm).
	MigrateDevm bool
	// ClearMappings makes remove call ttm_device_clear_dma_mappings (pinned BOs included),
	// unmap every userptr and every attachment the device imported.
	ClearMappings bool
	// EvictExported makes remove send move_notify to the importers of every exported VRAM BO
	// and move it to system memory (xe_bo_pci_dev_remove_all).
	EvictExported bool
	// WaitIdle makes that eviction wait for the importers' jobs first.
	WaitIdle bool
	// IoctlDevEnter runs every ioctl handler inside drm_dev_enter/drm_dev_exit (mainline's
	// xe_drm_ioctl does not: drm_ioctl only refuses an unplugged device at entry).
	IoctlDevEnter bool
}
