package xe

import (
	"fmt"
	"strings"
)

// Policy names one design of the xe remove path (see the package doc).
type Policy string

// Policies.
const (
	// DrmmMigrate: xe_migrate_fini is a drmm action (runs at the final drm_dev_put). It and
	// DevmMigrate keep the ioctl guard of ClearMappingsDevEnter, so each shows its own bug.
	DrmmMigrate Policy = "drmm-migrate"
	// DevmMigrate: xe_migrate_fini is a devm action; nothing else is torn down at remove.
	DevmMigrate Policy = "devm-migrate"
	// ClearMappings: devm migrate, and remove clears every DMA mapping (pinned BOs, userptrs,
	// imported attachments) and evicts exported VRAM after move_notify and a wait for idle;
	// ioctls run as mainline's xe_drm_ioctl runs them, outside drm_dev_enter.
	ClearMappings Policy = "clear-mappings"
	// ClearMappingsDevEnter: ClearMappings, and every ioctl handler runs inside
	// drm_dev_enter, so drm_dev_unplug's synchronize_srcu waits for the ioctls in flight
	// before remove tears the mappings down.
	ClearMappingsDevEnter Policy = "clear-mappings-dev-enter"
)

// Policies lists every policy, the buggy ones first.
var Policies = []Policy{DrmmMigrate, DevmMigrate, ClearMappings, ClearMappingsDevEnter}

// DefaultPolicy is the fixed design.
const DefaultPolicy = ClearMappingsDevEnter

// ParsePolicy checks a policy name ("" is DefaultPolicy).
func ParsePolicy(s string) (Policy, error) {
	if s == "" {
		return DefaultPolicy, nil
	}
	for _, p := range Policies {
		if string(p) == s {
			return p, nil
		}
	}
	names := make([]string, len(Policies))
	for i, p := range Policies {
		names[i] = string(p)
	}
	return "", fmt.Errorf("xe: no policy %q (have %s)", s, strings.Join(names, ", "))
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

// Options returns the switches of pol.
func (pol Policy) Options() Options {
	switch pol {
	case DrmmMigrate:
		return Options{IoctlDevEnter: true}
	case DevmMigrate:
		return Options{MigrateDevm: true, IoctlDevEnter: true}
	case ClearMappings:
		return Options{MigrateDevm: true, ClearMappings: true, EvictExported: true, WaitIdle: true}
	default:
		return Options{MigrateDevm: true, ClearMappings: true, EvictExported: true, WaitIdle: true,
			IoctlDevEnter: true}
	}
}
