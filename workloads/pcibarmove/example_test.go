package pcibarmove_test

import (
	"fmt"
	"strings"

	"hotplugsim/des"
	"hotplugsim/model/drivers/pcibars"
	"hotplugsim/model/mm"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
	"hotplugsim/workloads"
	"hotplugsim/workloads/pcibarmove"
)

// The scenario under each policy, seed 1, default Spec and strategy.
func Example() {
	sc, _ := workloads.Lookup(pcibarmove.Name)
	for _, pol := range sc.Policies {
		o, _ := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: 2})
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%-16s %-9s %s", pol.Name, o.Verdict, o.Kind())))
	}
	// Output:
	// no-lock          violation use-after-unmap
	// per-device-lock  violation lock-order
	// global-rwsem     pass
	// no-zap           violation stale-pte
}

// A GPU driver under the PCI-level rw-lock follows its BARs through a rescan: an app's
// access during the move faults, waits (VM_FAULT_RETRY) and maps the new address.
func ExampleCore_Rescan() {
	sim := des.MustNew(des.Config{})
	host, _ := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	core := pcibars.NewCore(host)
	pol, _ := pcibars.ParsePolicy(pcibars.GlobalRWSem)
	gpu := pcibars.NewGPU(core, "gpu0", pol)
	_, _ = host.AddDevice(host.Root(), "0000:00:01.0", pcibars.NewNVMe(core, "nvme0", pol, false), pcibars.NVMeBARs()...)
	_, _ = host.AddDevice(host.Root(), "0000:00:02.0", gpu, pcibars.GPUBARs()...)
	_ = host.Boot()
	app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		_ = host.ProbeAll(p)
		c, _ := gpu.Open(p, app, "app")
		_, _ = c.NewBO(p, 1, ttm.PlVRAM)
		_ = c.Touch(p, 0, 0, true)
		_, vma := c.BO(0)
		fmt.Println("before:", vma.Target(vma.Start))
		p.Sleep(10 * des.Microsecond) // the rescan started at 5us
		_ = c.Touch(p, 0, 0, false)
		fmt.Printf("after:  %s (at %v, %d retry)\n", vma.Target(vma.Start), p.Now(), app.Stats().Retries)
	})
	sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(5 * des.Microsecond)
		_ = core.Rescan(p)
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations))
	// Output:
	// before: pfn 0xc0201 (0000:00:02.0:bar0)
	// after:  pfn 0xffe01 (0000:00:02.0:bar0) (at @31us, 1 retry)
	// violations: 0
}
