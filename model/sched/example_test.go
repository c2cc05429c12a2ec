package sched_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/sched"
)

// A job runs on the ring; the device is unplugged while a second one runs; the remove path
// stops the scheduler and force-signals the hardware fences (the amdgpu hot-unplug v6 thread), so the app's wait
// ends with -ENODEV instead of hanging.
func Example() {
	sim := des.MustNew(des.Config{})
	ring := sched.NewRing(sim, "gfx")
	s := sched.Init(sim, sched.Config{Name: "gfx", Timeout: 10 * des.Millisecond}, sched.Ops{
		RunJob:      func(p *des.Proc, j *sched.Job) *fence.Fence { return ring.Submit(p, des.Millisecond, false) },
		TimedoutJob: func(*des.Proc, *sched.Job) sched.Stat { return sched.StatENODEV },
	})
	e := sched.NewEntity(sim, "glxgears", s)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		for i := 0; i < 2; i++ {
			j, _ := sched.JobInit(p, e, fmt.Sprint("draw", i))
			j.Arm(p)
			sched.PushJob(p, j)
			j.Finished().Wait(p)
			fmt.Println(j.Name(), "finished at", p.Now(), "status", j.Finished().Status())
		}
	})
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(1500 * des.Microsecond)
		ring.Unplug()
		sched.Fini(p, s)
		ring.ForceCompletion(p, -fence.ENODEV)
	})
	r := sim.Run()
	fmt.Println(r.OK())
	// Output:
	// draw0 finished at @1ms status 1
	// draw1 finished at @1.5ms status -19
	// true
}
