package pm_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/pm"
)

// An ioctl takes a runtime PM reference around its hardware access and lets the device
// autosuspend 1ms after the last one; a stray extra put is the kernel's underflow warning.
func Example() {
	sim := des.MustNew(des.Config{})
	rpm := pm.Init(sim, "0000:03:00.0", pm.Callbacks{
		Suspend: func(p *des.Proc) error { fmt.Println("runtime_suspend at", p.Now()); return nil },
		Resume:  func(p *des.Proc) error { fmt.Println("runtime_resume at", p.Now()); return nil },
	})
	_ = rpm.SetActive(nil)
	rpm.Enable(nil)
	rpm.UseAutosuspend(nil, des.Millisecond)
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		for range 2 {
			_ = rpm.ResumeAndGet(p)
			p.Sleep(100 * des.Microsecond) // MMIO here
			_ = rpm.PutAutosuspend(p)
			p.Sleep(2 * des.Millisecond)
		}
		_ = rpm.PutAutosuspend(p) // one put too many
	})
	r := sim.Run()
	fmt.Println(r.First().Kind+":", r.First().Msg)
	// Output:
	// runtime_suspend at @1.1ms
	// runtime_resume at @2.1ms
	// runtime_suspend at @3.2ms
	// rpm-underflow: 0000:03:00.0: Runtime PM usage count underflow!
	// pm_runtime_put_autosuspend with usage count 0 (a put without its get) by task ioctl/1
	//  rpm_drop_usage_count
	//  pm_runtime_put_autosuspend
	//  at @4.2ms (trace #66)
}
