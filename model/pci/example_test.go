package pci_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/mem"
	"hotplugsim/model/pci"
)

// nvmeDrv supports movable BARs: it iounmaps in RescanPrepare and ioremaps in RescanDone.
type nvmeDrv struct{ regs *mem.IOMem }

func (n *nvmeDrv) Name() string { return "nvme" }
func (n *nvmeDrv) Probe(p *des.Proc, d *pci.Dev) error {
	n.regs = d.Iomap(p, 0)
	return nil
}
func (n *nvmeDrv) Remove(p *des.Proc, d *pci.Dev)        { n.regs.Iounmap(p) }
func (n *nvmeDrv) RescanPrepare(p *des.Proc, d *pci.Dev) { n.regs.Iounmap(p) }
func (n *nvmeDrv) RescanDone(p *des.Proc, d *pci.Dev)    { n.regs = d.Iomap(p, 0) }

// A sysfs rescan moves the NVMe BAR although nothing changed; the driver follows it.
func Example() {
	sim := des.MustNew(des.Config{})
	host, _ := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30, FixedOrder: true})
	nvme, _ := host.AddDevice(host.Root(), "0000:0c:00.0", &nvmeDrv{}, pci.BARSpec{Index: 0, Size: 16 << 10})
	_, _ = host.AddDevice(host.Root(), "0000:09:00.0", nil, pci.BARSpec{Index: 0, Size: 256 << 20})
	_ = host.Boot()
	sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		_ = host.ProbeAll(p)
		before := nvme.BAR(0).Start()
		_ = host.Rescan(p)
		fmt.Printf("nvme BAR 0 updated: %#x -> %#x\n", uint64(before), uint64(nvme.BAR(0).Start()))
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations))
	// Output:
	// nvme BAR 0 updated: 0xc0000000 -> 0xd0000000
	// violations: 0
}
