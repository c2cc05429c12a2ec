package mem_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/mem"
)

// A driver maps its BAR and reads a register; the BAR moves (a rescan released and reassigned
// it) and a work item still uses the old mapping.
func Example() {
	sim := des.MustNew(des.Config{})
	space := mem.SpaceOf(sim)
	bar := space.NewOwner("0000:09:00.0").NewRegion("bar5", 0x40000)
	_ = bar.Claim(0xfce0_0000)
	regs := space.Ioremap(nil, bar.Base(), bar.Size())
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		regs.Write32(p, 0x8, 0x1234)
		fmt.Printf("readl = %#x\n", regs.Read32(p, 0x8))
		bar.Release()
		_ = bar.Claim(0xf010_0000)
	})
	sim.Spawn("work", des.Worker, func(p *des.Proc) { p.Sleep(des.Microsecond); regs.Read32(p, 0x8) })
	r := sim.Run()
	fmt.Println(r.First().Kind)
	// Output:
	// readl = 0x1234
	// stale-mmio
}
