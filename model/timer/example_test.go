package timer_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/timer"
)

// A fence-fallback timer fires in softirq context; teardown stops it with del_timer_sync,
// which waits for the running callback.
func Example() {
	sim := des.MustNew(des.Config{})
	fallback := timer.TimerSetup(sim, "fence_fallback", func(p *des.Proc, _ *timer.Timer) {
		fmt.Println("callback at", p.Now(), "in", p.Kind())
		p.Busy(5 * des.Microsecond)
	})
	sim.Spawn("fini", des.Task, func(p *des.Proc) {
		timer.ModTimer(p, fallback, p.Now().Add(10*des.Microsecond))
		p.Sleep(12 * des.Microsecond)
		timer.DelTimerSync(p, fallback)
		fmt.Println("del_timer_sync returned at", p.Now())
	})
	r := sim.Run()
	fmt.Println(r.OK(), fallback.Fired())
	// Output:
	// callback at @10us in timer
	// del_timer_sync returned at @15us
	// true 1
}
