package amdgpu_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/ttm"
)

// An app keeps a VRAM BO mapped and a job in flight while the GPU is hot-unplugged (v6):
// its mapping moves to the dummy page, its job's fence is force-signalled with -ENODEV,
// its ioctls fail with -ENODEV. After a replug the IGT health check passes on the new
// drm_device.
func Example() {
	sim := des.MustNew(des.Config{})
	pl, _ := amdgpu.NewPlatform(sim)
	g, _ := pl.AddGPU("gpu1", amdgpu.V6CompleteFirst)
	_ = pl.Boot()
	sim.Spawn("glxgears", des.Task, func(p *des.Proc) {
		_ = pl.ProbeAll(p)
		c, _ := g.Open(p, "glxgears", nil)
		bo, _ := c.CreateBO(p, "fb", 1, ttm.PlVRAM)
		v, _ := c.Mmap(p, bo)
		_ = c.Touch(p, v, 0)
		fmt.Println("mapped:", v.Target(v.Start))
		f, _ := c.Submit(p, des.Millisecond)

		g.Remove(p)
		fmt.Println("touch after unplug:", c.Touch(p, v, 0), "->", v.Target(v.Start))
		fmt.Println("wait:", c.Wait(p, f), "fence status", f.Status())
		_, err := c.Submit(p, des.Microsecond)
		fmt.Println("submit:", err)

		_ = g.Replug(p)
		fmt.Println("health check on incarnation", g.Generation(), "->", g.HealthCheck(p))
		c.Close(p)
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations))
	// Output:
	// mapped: pfn 0xc0000 (0000:03:00.0:bar0)
	// touch after unplug: <nil> -> dummy_page:glxgears@0x7f0000000000
	// wait: -ENODEV fence status -19
	// submit: -ENODEV
	// health check on incarnation 2 -> <nil>
	// violations: 0
}
