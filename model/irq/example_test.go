package irq_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/irq"
)

// The device raises its line twice while the handler runs; the two raises coalesce into one
// replay (IRQS_PENDING); free_irq waits for the running handler, drops the replay, and a
// later raise finds no handler (spurious).
func Example() {
	sim := des.MustNew(des.Config{})
	line := irq.NewLine(sim, "gpu")
	_ = irq.RequestIRQ(nil, line, "amdgpu", func(p *des.Proc) irq.Return {
		p.Busy(10 * des.Microsecond)
		fmt.Println("handler at", p.Now(), "in", p.Kind())
		return irq.Handled
	})
	sim.Spawn("device", des.Task, func(p *des.Proc) {
		line.Raise(p)
		p.Sleep(des.Microsecond)
		line.Raise(p)
		line.Raise(p)
		p.Sleep(20 * des.Microsecond)
		line.Raise(p) // after free_irq: spurious
	})
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		p.Sleep(2 * des.Microsecond)
		irq.FreeIRQ(p, line)
		fmt.Println("free_irq returned at", p.Now())
	})
	r := sim.Run()
	fmt.Printf("%v %+v\n", r.OK(), line.Stats())
	// Output:
	// handler at @10us in irq
	// free_irq returned at @10us
	// true {Handled:1 Unhandled:0 Spurious:1}
}
