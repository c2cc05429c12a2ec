package ttm_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/ttm"
)

// Seed 002: an app keeps a VRAM BO mapped while the GPU is unplugged. drm_dev_unplug zaps
// the mapping; the next fault finds drm_dev_enter failing and maps a dummy page instead of
// SIGBUS, so the app runs on until it exits. The dummy page is freed with the drm_device.
func Example() {
	sim := des.MustNew(des.Config{})
	vram := mem.SpaceOf(sim).NewOwner("gpu").NewRegion("bar0", 16*mm.PageSize)
	_ = vram.Claim(0xe000_0000)
	ddev := drm.DevAlloc(sim, nil, "card0", nil)
	tdev, _ := ttm.NewDevice(sim, ddev, vram, ttm.Options{})
	bo, _ := tdev.NewBO(nil, "fb", 2, ttm.PlVRAM)
	app := mm.NewMM(sim, "glxgears", mm.Options{NoSIGBUS: true})
	sim.Spawn("glxgears", des.Task, func(p *des.Proc) {
		vma, _ := bo.Mmap(p, app, nil)
		_ = app.Write(p, vma.Start)
		fmt.Println("mapped:", vma.Target(vma.Start))
		p.Sleep(des.Millisecond)
		_ = app.Write(p, vma.Start)
		fmt.Println("after unplug:", vma.Target(vma.Start))
		app.Exit(p)
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		ddev.DevUnplug(p)
		bo.Put(p)
		ddev.DevPut(p)
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations), "drm_device freed:", ddev.Freed())
	// Output:
	// mapped: pfn 0xe0000 (gpu:bar0)
	// after unplug: dummy_page:glxgears@0x7f0000000000
	// violations: 0 drm_device freed: true
}
