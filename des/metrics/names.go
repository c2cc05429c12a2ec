package metrics

// Metric names. See the package doc for what each measures.
const (
	// IoctlPrefix starts the per-kind ioctl latency metrics; use Ioctl.
	IoctlPrefix = "ioctl/"
	// Fault is page-fault latency from first entry to resolution, including RETRY loops.
	Fault = "fault"
	// FaultRetry is one VM_FAULT_RETRY round trip.
	FaultRetry = "fault-retry"
	// Fence is dma_fence latency from publication to signal.
	Fence = "fence"
	// FenceAfterUnplug is the time from the start of unplug to the signal of a fence that was
	// pending then (how long force-signalling takes).
	FenceAfterUnplug = "fence-after-unplug"
	// UnplugRemove is pci remove start to the remove callback's return.
	UnplugRemove = "unplug-remove"
	// UnplugRelease is pci remove start to the last drm_dev_put.
	UnplugRelease = "unplug-release"
	// BarMoveStallPrefix starts the per-device BAR-move stall metrics; use BarMoveStall.
	BarMoveStallPrefix = "barmove-stall/"
	// BarMoveBlocked is how long an app was blocked by a BAR move.
	BarMoveBlocked = "barmove-blocked"
	// IrqWork is the latency from an IRQ to the work item it queued starting.
	IrqWork = "irq-work"
)

// Ioctl names the latency metric of one ioctl kind, e.g. Ioctl("AMDGPU_CS").
func Ioctl(kind string) string { return IoctlPrefix + kind }

// BarMoveStall names the BAR-move stall metric of one device, e.g. BarMoveStall("0000:03:00.0").
func BarMoveStall(device string) string { return BarMoveStallPrefix + device }

// Describe returns a one-line description of a metric name (with its unit), for plot titles
// and report tables; unknown names describe themselves.
func Describe(name string) string {
	switch {
	case len(name) > len(IoctlPrefix) && name[:len(IoctlPrefix)] == IoctlPrefix:
		return "ioctl " + name[len(IoctlPrefix):] + " latency"
	case len(name) > len(BarMoveStallPrefix) && name[:len(BarMoveStallPrefix)] == BarMoveStallPrefix:
		return "BAR-move stall of " + name[len(BarMoveStallPrefix):] + " (rescan_prepare → rescan_done)"
	}
	switch name {
	case Fault:
		return "page-fault latency (incl. VM_FAULT_RETRY loops)"
	case FaultRetry:
		return "VM_FAULT_RETRY round trip"
	case Fence:
		return "fence latency (submit → signal)"
	case FenceAfterUnplug:
		return "fence signal after unplug"
	case UnplugRemove:
		return "unplug: remove start → remove return"
	case UnplugRelease:
		return "unplug: remove start → last drm_dev_put"
	case BarMoveBlocked:
		return "app blocked by BAR move"
	case IrqWork:
		return "IRQ → work item latency"
	}
	return name
}
