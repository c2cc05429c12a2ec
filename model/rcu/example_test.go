package rcu_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/rcu"
)

// A reader finds an object inside a read section; the writer unpublishes it and frees it with
// kfree_rcu. The memory stays valid until the reader has left and a grace period has passed.
func Example() {
	sim := des.MustNew(des.Config{})
	var obj kasan.Obj
	obj.Alloc(sim, nil, "obj")
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		rcu.ReadLock(p)
		p.Busy(2 * des.Millisecond)
		fmt.Println("reader still sees live memory:", obj.Use(p, "read"))
		rcu.ReadUnlock(p)
	})
	sim.Spawn("writer", des.Task, func(p *des.Proc) {
		rcu.KfreeRCU(sim, p, &obj, "obj_release")
		fmt.Println("after kfree_rcu, freed:", obj.Freed())
		rcu.Barrier(p)
		fmt.Println("rcu_barrier returned at", p.Now(), "freed:", obj.Freed())
		rcu.Synchronize(p) // no reader left: one grace period, its lower bound
		fmt.Println("synchronize_rcu returned at", p.Now())
	})
	r := sim.Run()
	fmt.Println(r.OK())
	// Output:
	// after kfree_rcu, freed: false
	// reader still sees live memory: true
	// rcu_barrier returned at @2ms freed: true
	// synchronize_rcu returned at @3ms
	// true
}
