package splat

import (
	"fmt"
	"strings"
)

// DMADebugReport is a streaming DMA mapping left behind when its device's driver let go of the
// device, found when the mapping is unmapped late.
type DMADebugReport struct {
	Dev     string // the device, e.g. "0000:03:00.0"
	Entry   string // the mapping, as the model names it
	DevAddr uint64 // its IOVA
	Size    uint64
	Release Site // where the device (its IOMMU group) was released
	Map     Site // where the mapping was made
	Unmap   Site // the late dma_unmap
}

// DMADebugPendingAtRelease prints the WARN of CONFIG_DMA_API_DEBUG's err_printk for
// dma_debug_device_change (kernel/dma/debug.c): "device driver has pending DMA allocations
// while released from device" with the leaked entry, the task as the releasing one; then the
// model's late unmap and where the mapping was made. After the unbind the device has no driver,
// so dev_driver_string names its bus, "pci".
func DMADebugPendingAtRelease(r DMADebugReport) string {
	msg := fmt.Sprintf("DMA-API: pci %s: device driver has pending DMA allocations while released from device [count=1]\n"+
		"One of leaked entries details: [device address=0x%016x] [size=%d bytes]", r.Dev, r.DevAddr, r.Size)
	var b strings.Builder
	b.WriteString(WARN("kernel/dma/debug.c", "dma_debug_device_change", msg, r.Release))
	fmt.Fprintf(&b, "\n\nUnmapped (%s) after the release by task %d (%s):\n", r.Entry, r.Unmap.PID, r.Unmap.Task)
	r.Unmap.write(&b)
	fmt.Fprintf(&b, "\nMapped by task %d (%s):\n", r.Map.PID, r.Map.Task)
	r.Map.write(&b)
	return strings.TrimRight(b.String(), "\n")
}

// RuntimePMUnderflow prints rpm_drop_usage_count's dev_warn (drivers/base/power/runtime.c) for
// a runtime PM put (fn) on dev with usage count 0, then the task and where: the model names the
// device without its driver.
func RuntimePMUnderflow(dev, fn string, s Site) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: Runtime PM usage count underflow!\n", dev)
	fmt.Fprintf(&b, "%s with usage count 0 (a put without its get) by task %s\n", fn, s.task())
	s.write(&b)
	return strings.TrimRight(b.String(), "\n")
}
