package mm_test

import (
	"fmt"
	"strings"

	"hotplugsim/des"
	"hotplugsim/model/mm"
)

// A BO in VRAM is mapped through the BAR. The BAR moves; the mover zaps the user mappings
// first (unmap_mapping_range), so the app's next access refaults at the new address.
func Example() {
	sim := des.MustNew(des.Config{})
	vram := &bar{base: 0xe000_0000, size: 16 * mm.PageSize}
	mapping := mm.NewMapping(sim, "card0")
	app := mm.NewMM(sim, "app", mm.Options{NoSIGBUS: true})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		vma, _ := app.Mmap(p, mapping, 0, 1, &iomemOps{bar: vram}, nil)
		_ = app.Write(p, vma.Start)
		fmt.Println("before:", vma.Target(vma.Start))
		p.Sleep(des.Millisecond)
		_ = app.Write(p, vma.Start)
		fmt.Println("after: ", vma.Target(vma.Start))
	})
	sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		mm.UnmapMappingRange(p, mapping, 0, 0)
		vram.base = 0xc000_0000
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations), "faults:", app.Stats().Faults)
	// Output:
	// before: pfn 0xe0000 (bar0)
	// after:  pfn 0xc0000 (bar0)
	// violations: 0 faults: 2
}

// A shrinker-like path in direct reclaim allocates: GFP_NOFS is allowed, GFP_KERNEL could
// recurse into fs reclaim and is reported.
func ExampleMightAlloc() {
	sim := des.MustNew(des.Config{CollectAll: true})
	sim.Spawn("kswapd0", des.Task, func(p *des.Proc) {
		mm.FSReclaimAcquire(p, mm.GFPKernel)
		mm.MightAlloc(p, mm.GFPNoFS)
		mm.MightAlloc(p, mm.GFPKernel)
		mm.FSReclaimRelease(p, mm.GFPKernel)
	})
	for _, v := range sim.Run().Violations {
		fmt.Println(v.Kind, strings.SplitN(v.Msg, "\n", 2)[0])
	}
	// Output:
	// lock-order WARNING: possible recursive locking detected
}
