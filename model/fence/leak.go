package fence

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// fenceSize is sizeof(struct dma_fence) on x86-64, the size a leak report gives.
const fenceSize = 64

// CheckLeaks turns the fence leak check (fence-leak) on for sim; a scenario calls it while it
// builds, before any fence is made. When the run quiesces, every fence of a retired timeline
// (Context.Retire) that still holds references is reported as kmemleak reports an
// unreferenced object: its device and every file on it are gone, so nothing that remains can
// reach it. A scenario turns it on only when its fixed designs drop every reference.
func CheckLeaks(sim *des.Sim) {
	st := stateOf(sim)
	if st.leaks {
		return
	}
	st.leaks = true
	if st.checkLeakFn == nil {
		st.checkLeakFn = st.checkLeaks
	}
	sim.AtQuiesce(st.checkLeakFn)
}

// Retire marks the timeline's owner torn down (the driver's ring or scheduler entity freed
// with its device, after every file on the device closed): with CheckLeaks on, a fence of c
// that still holds references when the run quiesces is a leak.
func (c *Context) Retire() { c.retired = true }

// Retired reports whether Retire was called.
func (c *Context) Retired() bool { return c.retired }

// track records a fence made while the leak check is on.
func (st *state) track(f *Fence) {
	st.tracked = appendBounded(st.tracked, f, MaxTracked, unreferenced, "referenced fences tracked for leaks")
}

// unreferenced reports whether f's last reference is gone: it no longer needs tracking.
func unreferenced(f *Fence) bool { return f.refs == 0 }

// checkLeaks is the quiesce oracle. It first moves itself after every other quiesce hook
// (they report what went wrong first, and may let the run go on), then reports the fences
// of retired timelines still referenced, in the order they were made.
func (st *state) checkLeaks() {
	if !st.leakLast {
		st.leakLast = true
		st.sim.AtQuiesce(st.checkLeakFn)
		return
	}
	var objs []splat.LeakObject
	var first *Fence
	for _, f := range st.tracked {
		if f.refs == 0 || !f.ctx.retired {
			continue
		}
		if first == nil {
			first = f
		}
		objs = append(objs, leakObject(f))
	}
	if first != nil {
		st.sim.Violate(nil, oracle.FenceLeak, first.Label(), splat.Kmemleak(objs))
	}
}

// leakObject is f as a leak report prints it.
func leakObject(f *Fence) splat.LeakObject {
	a := f.AllocSite()
	state := "unsignalled"
	if f.signalled {
		state = "signalled"
		if f.err != 0 {
			state = fmt.Sprintf("signalled with error %d", f.err)
		}
	}
	return splat.LeakObject{Object: f.Name(), Addr: splat.SlabAddr(f.Name()), Size: fenceSize,
		Alloc: a.Splat("kmalloc"), Jiffies: splat.Jiffies(int64(a.At)),
		State: fmt.Sprintf("dma_fence context %d seqno %d, %s, refcount %d", f.context, f.seqno, state, f.refs)}
}
