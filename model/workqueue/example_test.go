package workqueue_test

import (
	"fmt"

	"hotplugsim/des"
	wqm "hotplugsim/model/workqueue"
)

// An interrupt-style producer queues a work item twice: the worker took the first instance off
// the worklist (clearing PENDING) before the second queue_work, which queues it again; removal
// cancels that second instance off the worklist and waits for the first, then frees it.
func Example() {
	sim := des.MustNew(des.Config{})
	wq := wqm.AllocOrderedWorkqueue(sim, "hda-unsol")
	w := wqm.InitWork(sim, "unsol_event", func(p *des.Proc, _ *wqm.Work) {
		p.Sleep(5 * des.Microsecond)
		fmt.Println("work ran at", p.Now(), "in", p.Kind())
	})
	sim.Spawn("irq-ish", des.Task, func(p *des.Proc) {
		fmt.Println(wqm.QueueWork(p, wq, w), wqm.QueueWork(p, wq, w))
	})
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond)
		wqm.CancelWorkSync(p, w)
		fmt.Println("cancel_work_sync returned at", p.Now())
		w.Free(p)
		wqm.DestroyWorkqueue(p, wq)
	})
	r := sim.Run()
	fmt.Println(r.OK())
	// Output:
	// true true
	// work ran at @5us in worker
	// cancel_work_sync returned at @5us
	// true
}
