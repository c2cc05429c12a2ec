package workqueue_test

import (
	"fmt"

	"hotplugsim/des"
	wqm "hotplugsim/model/workqueue"
)

// An interrupt-style producer queues a work item twice before it runs (the second queue_work
// finds it pending); removal cancels it synchronously, then frees it.
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
	// true false
	// work ran at @5us in worker
	// cancel_work_sync returned at @5us
	// true
}
