package des_test

import (
	"fmt"

	"hotplugsim/des"
)

// A producer completes a completion after 5 µs; the consumer waits for it.
func Example() {
	sim := des.MustNew(des.Config{Seed: 1})
	ready := des.NewCompletion(sim, "fw-loaded")
	sim.Spawn("probe", des.Task, func(p *des.Proc) {
		ready.Wait(p)
		fmt.Println("probe continues at", p.Now())
	})
	sim.Spawn("firmware", des.Worker, func(p *des.Proc) {
		p.Sleep(5 * des.Microsecond)
		ready.Complete()
	})
	r := sim.Run()
	fmt.Println("violations:", len(r.Violations), "end:", r.End)
	// Output:
	// probe continues at @5us
	// violations: 0 end: @5us
}

// Two tasks take two locks in opposite orders; the engine reports the wait-for chain.
func ExampleWaitQueue_SetOwner() {
	sim := des.MustNew(des.Config{})
	owner := map[string]*des.Proc{}
	lock := func(name string) func(p *des.Proc) {
		wq := des.NewWaitQueue(sim, name)
		wq.SetOwner(func() *des.Proc { return owner[name] })
		return func(p *des.Proc) {
			wq.Wait(p, func() bool { return owner[name] == nil })
			owner[name] = p
			p.Yield()
		}
	}
	lockA, lockB := lock("A"), lock("B")
	sim.Spawn("t1", des.Task, func(p *des.Proc) { lockA(p); lockB(p) })
	sim.Spawn("t2", des.Task, func(p *des.Proc) { lockB(p); lockA(p) })
	r := sim.Run()
	fmt.Println(r.First().Kind)
	fmt.Println(r.First().Msg)
	// Output:
	// deadlock
	// nothing runnable, nothing pending: t1#0 waits for B held by t2#1 waits for A held by t1#0 (cycle); t2#1 waits for A held by t1#0 waits for B held by t2#1 (cycle)
}

// Replaying a run's tape reproduces it exactly, whatever strategy recorded it.
func ExampleTape() {
	program := func(sim *des.Sim) {
		for _, name := range []string{"a", "b", "c"} {
			sim.Spawn(name, des.Task, func(p *des.Proc) {
				jitter := p.Sim().Stream(name)
				for i := 0; i < 3; i++ {
					p.Sleep(jitter.Between(1, 10))
					p.Yield()
				}
			})
		}
	}
	sim := des.MustNew(des.Config{Seed: 42, Strategy: "pct:3:100"})
	program(sim)
	first := sim.Run()

	again := des.MustNew(des.Config{Tape: first.Tape()})
	program(again)
	second := again.Run()
	fmt.Println(first.Fingerprint == second.Fingerprint, second.Strategy, second.TapeShort)
	// Output:
	// true replay 0
}

// An irq handler that sleeps is a lockdep-style violation.
func ExampleProc_Sleep() {
	sim := des.MustNew(des.Config{})
	sim.Spawn("hda_irq", des.IRQ, func(p *des.Proc) { p.Sleep(des.Millisecond) })
	r := sim.Run()
	fmt.Println(r.First().Kind)
	fmt.Println(r.First().Msg)
	// Output:
	// lock-order
	// BUG: sleeping function called from invalid context at include/linux/wait.h
	// in_atomic(): 1, irqs_disabled(): 1, non_block: 0, pid: 0, name: hda_irq
	// preempt_count: 1, expected: 0
	// context: irq, atomic depth 0
	// call: sleep
	//  at @0ns
}

// A sweep worker runs seed after seed on one Pool: the runs reuse the pool's coroutines, and
// Close ends them when the worker is done. Each run is the same as without the pool.
func ExamplePool() {
	pool := des.NewPool(0)
	defer pool.Close()
	violations := 0
	for seed := uint64(1); seed <= 100; seed++ {
		sim := des.MustNew(des.Config{Seed: seed, Strategy: "random", NoTape: true, Pool: pool})
		mapped := true
		sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
			p.Yield()
			if !mapped {
				p.Sim().Violate(p, "use-after-unmap", des.L("bar0"), "readl after iounmap")
			}
		})
		sim.Spawn("unplug", des.Task, func(p *des.Proc) { mapped = false })
		if r := sim.Run(); !r.OK() {
			violations++
		}
	}
	fmt.Println(violations > 0, pool.Idle() > 0)
	// Output:
	// true true
}

// depth is a model package's per-process state (here a drm_dev_enter nesting depth) and
// devices its per-simulation registry; each has its key, made once per package.
type depth struct{ n int }

var (
	depthKey   = des.NewProcKey[depth]()
	devicesKey = des.NewSimKey[[]string]()
)

func ExampleProcKey() {
	sim := des.MustNew(des.Config{})
	enter := func(p *des.Proc) int {
		d := depthKey.Get(p, func(p *des.Proc) *depth { return &depth{} })
		d.n++
		return d.n
	}
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		enter(p)
		fmt.Println("ioctl nested at depth", enter(p))
	})
	sim.Spawn("fault", des.Task, func(p *des.Proc) { fmt.Println("fault at depth", enter(p)) })
	devs := devicesKey.Get(sim, func(sim *des.Sim) *[]string { return new([]string) })
	*devs = append(*devs, "0000:03:00.0")
	sim.Run()
	fmt.Println(*devicesKey.Get(sim, nil)) // found: mk is not called again
	// Output:
	// ioctl nested at depth 2
	// fault at depth 1
	// [0000:03:00.0]
}

// A span marks the extent of a kernel function on the trace: here an ioctl that sleeps 2 µs.
func ExampleSpan() {
	ioctl := des.NewSpan("ioctl")
	sim := des.MustNew(des.Config{Seed: 1, TraceRing: 64})
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		obj := des.L("GEM_CREATE")
		ioctl.Begin(p, obj, 0, 0)
		p.Sleep(2 * des.Microsecond)
		ioctl.End(p, obj, 0, 0)
	})
	sim.Run()
	for _, e := range sim.Trace() {
		if e.Kind == ioctl.BeginLabel() || e.Kind == ioctl.EndLabel() {
			fmt.Println(e.At, e.Kind, e.Obj)
		}
	}
	// Output:
	// @0ns ioctl:begin GEM_CREATE
	// @2us ioctl:end GEM_CREATE
}

// lifo is a strategy of the caller's own: it runs the process that became runnable last.
type lifo struct{}

func (lifo) Name() string                              { return "lifo" }
func (lifo) Start(*des.Sim)                            {}
func (lifo) Spawned(*des.Sim, *des.Proc)               {}
func (lifo) Pick(_ *des.Sim, ready, _ []*des.Proc) int { return len(ready) - 1 }
func (lifo) Delays() bool                              { return false }
func (lifo) Delay(*des.Sim, *des.Proc) des.Duration    { return 0 }

// A strategy built in Go goes in Config.Scheduler. Its picks are on the tape, which replays
// them without it.
func ExampleStrategy() {
	program := func(sim *des.Sim) *[]string {
		var order []string
		for _, name := range []string{"a", "b", "c"} {
			sim.Spawn(name, des.Task, func(p *des.Proc) { order = append(order, name) })
		}
		return &order
	}
	sim := des.MustNew(des.Config{Scheduler: lifo{}})
	order := program(sim)
	first := sim.Run()
	fmt.Println(*order, first.Strategy)

	again := des.MustNew(des.Config{Tape: first.Tape()})
	order = program(again)
	second := again.Run()
	fmt.Println(*order, first.Tape().Strategy, first.Fingerprint == second.Fingerprint)
	// Output:
	// [c b a] lifo
	// [c b a] replay true
}

// A card pull lands within 200 ms, a reset ioctl within 2 ms, and the reset then sleeps 100 µs
// inside its critical section. Drawn uniformly (fifo), the pull lands in that section in
// 1 seed of 2000; an exploring strategy makes its moment a decision and tries the reset's
// sleep, among other waiting moments.
func ExampleProc_SleepRange() {
	firstHit := func(strategy string) (uint64, des.Time) {
		for seed := uint64(0); seed < 200; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy, NoTape: true})
			inside, hit := false, des.Time(-1)
			sim.Spawn("reset-ioctl", des.Task, func(p *des.Proc) {
				p.SleepRange(0, 2*des.Millisecond, p.Sim().Stream("reset"))
				inside = true
				p.Sleep(100 * des.Microsecond) // stopping the engine, inside drm_dev_enter
				inside = false
			})
			sim.Spawn("surprise-removal", des.Task, func(p *des.Proc) {
				p.SleepRange(0, 200*des.Millisecond, p.Sim().Stream("unplug"))
				if inside {
					hit = p.Now()
				}
			})
			sim.Run()
			if hit >= 0 {
				return seed, hit
			}
		}
		return 0, -1
	}
	for _, strategy := range []string{"fifo", "pct:3"} {
		if seed, at := firstHit(strategy); at >= 0 {
			fmt.Printf("%s: seed %d pulls the card inside the reset, at %v\n", strategy, seed, at)
		} else {
			fmt.Printf("%s: no seed of 200 pulls the card inside the reset\n", strategy)
		}
	}
	// Output:
	// fifo: no seed of 200 pulls the card inside the reset
	// pct:3: seed 56 pulls the card inside the reset, at @1.452ms
}
