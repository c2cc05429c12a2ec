package iommu_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/iommu"
	"hotplugsim/model/pci"
)

// The xe hot-unplug bug: a DMA mapping made at probe is torn down by a drmm release after the
// PCI remove released the device's IOMMU group.
func Example() {
	sim := des.MustNew(des.Config{})
	host, _ := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	dev, _ := host.AddDevice(host.Root(), "0000:03:00.0", nil, pci.BARSpec{Index: 0, Size: 16 << 20})
	_ = host.Boot()
	_, _ = iommu.Attach(host)
	var bo *iommu.Mapping
	sim.Spawn("probe", des.Task, func(p *des.Proc) { bo = iommu.DMAMap(p, dev, 4096, "migrate-bo") })
	sim.Spawn("unplug", des.Task, func(p *des.Proc) { p.Sleep(10); host.Remove(p, dev) })
	sim.Spawn("drm_dev_put", des.Task, func(p *des.Proc) { p.Sleep(20); bo.Unmap(p) })
	r := sim.Run()
	fmt.Println(r.First().Kind)
	// Output: use-after-free
}
