package fence_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/rcu"
)

// A render job's fence is installed in a buffer's reservation object; the GPU interrupt
// signals it; a page flip waits for the writers of the buffer.
func Example() {
	sim := des.MustNew(des.Config{})
	bo := fence.NewResv(sim, "bo:fb")
	gfx := fence.NewContext(sim, "gfx")
	job := gfx.NewFence(nil)
	sim.Spawn("execbuf", des.Task, func(p *des.Proc) {
		_ = bo.Lock(p, nil)
		_ = bo.ReserveFences(p, 1)
		bo.AddFence(p, job, fence.UsageWrite)
		bo.Unlock(p)
	})
	sim.Spawn("gfx_irq", des.IRQ, func(p *des.Proc) {
		p.Busy(16 * des.Microsecond)
		_ = job.Signal(p)
	})
	sim.Spawn("page_flip", des.Task, func(p *des.Proc) {
		p.Sleep(des.Microsecond) // after the submission
		bo.Wait(p, fence.UsageWrite)
		fmt.Println("flip at", p.Now())
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations))
	// Output:
	// flip at @16us
	// violations: 0
}

// The pre-5.19 reservation object drops the readers' fences when an exclusive fence is
// added; freeing the memory after waiting for the remaining fences frees it under a
// running shader (the dma-buf fence-replacement thread).
func ExampleNewLegacyResv() {
	sim := des.MustNew(des.Config{})
	buf := fence.NewLegacyResv(sim, "dmabuf:3")
	mem := fence.NewBacking(sim, nil, "vram:dmabuf:3")
	shader := fence.NewContext(sim, "gfx").NewFence(nil)
	write := fence.NewContext(sim, "importer").NewFence(nil)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		_ = buf.Lock(p, nil)
		_ = buf.ReserveFences(p, 1)
		mem.Access(p, shader, false)
		buf.AddFence(p, shader, fence.UsageRead)
		buf.AddFence(p, write, fence.UsageWrite) // replaces the exclusive fence
		buf.Unlock(p)
		_ = write.Signal(p)
		buf.Wait(p, fence.UsageBookkeep)
		mem.Free(p)
	})
	r := sim.Run()
	fmt.Println(r.First().Kind)
	// Output: gpu-use-after-free
}

// The job-completion worker must run for the fence to signal, so it is a signalling
// section; taking a buffer's reservation lock there can deadlock against a thread that
// waits for the fence under that lock. Lockdep reports it the first time it happens.
func ExampleBeginSignalling() {
	sim := des.MustNew(des.Config{})
	bo := fence.NewResv(sim, "bo:1")
	job := fence.NewContext(sim, "ring").NewFence(nil)
	sim.Spawn("job_done", des.Worker, func(p *des.Proc) {
		cookie := fence.BeginSignalling(p)
		_ = bo.Lock(p, nil) // not allowed here
		bo.Unlock(p)
		_ = job.Signal(p)
		fence.EndSignalling(p, cookie)
	})
	r := sim.Run()
	fmt.Println(r.First().Kind)
	// Output: lock-order
}

// A reader keeps a ring's last fence pointer without a reference and takes it inside an RCU
// read section; after the writer's final Put the fence is dead (GetRCU returns nil) but its
// memory stays valid until a grace period has passed (kfree_rcu).
func ExampleFence_GetRCU() {
	sim := des.MustNew(des.Config{})
	f := fence.NewContext(sim, "gfx").NewFence(nil)
	_ = f.Signal(nil)
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		rcu.ReadLock(p)
		if g := f.GetRCU(p); g != nil {
			fmt.Println("got a reference, count", g.Refs())
			g.Put(p)
		}
		rcu.ReadUnlock(p)
		p.Sleep(des.Microsecond)
		rcu.ReadLock(p)
		fmt.Println("after the final put:", f.GetRCU(p), "freed:", f.Freed())
		rcu.ReadUnlock(p)
	})
	sim.Spawn("writer", des.Task, func(p *des.Proc) { p.Sleep(des.Nanosecond); f.Put(p) })
	r := sim.Run()
	fmt.Println(r.OK(), "freed:", f.Freed(), "at", sim.Now())
	// Output:
	// got a reference, count 2
	// after the final put: <nil> freed: false
	// true freed: true at @1ms
}
