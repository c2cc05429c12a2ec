package lock_test

import (
	"fmt"
	"strings"

	"hotplugsim/des"
	"hotplugsim/model/lock"
)

// Two paths take the same two locks in opposite orders, a millisecond apart. Nothing
// deadlocks, but lockdep reports the inversion from the orders alone.
func Example() {
	sim := des.MustNew(des.Config{})
	devLock := lock.NewMutex(sim, "dev->lock")
	resetSem := lock.NewRWSem(sim, "reset_sem")
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		devLock.Lock(p)
		resetSem.DownRead(p)
		resetSem.UpRead(p)
		devLock.Unlock(p)
	})
	sim.Spawn("gpu_reset", des.Worker, func(p *des.Proc) {
		p.Sleep(des.Millisecond)
		resetSem.DownWrite(p)
		devLock.Lock(p)
		devLock.Unlock(p)
		resetSem.UpWrite(p)
	})
	r := sim.Run()
	v := r.First()
	fmt.Println(v.Kind, "in", v.Proc, "at", v.At)
	fmt.Println(strings.Join(strings.Split(v.Msg, "\n")[:9], "\n"))
	// Output:
	// lock-order in gpu_reset at @1ms
	// WARNING: possible circular locking dependency detected
	// ------------------------------------------------------
	// gpu_reset#1 is trying to acquire lock:
	//  (dev->lock){write}, at: gpu_reset#1 at @1ms (trace #13)
	//
	// but task is already holding lock:
	//  (reset_sem){write}, at: gpu_reset#1 at @1ms (trace #11)
	//
	// which lock already depends on the new lock.
	//
}

// The amdgpu hot-unplug hazard: a fence wait inside drm_dev_enter/exit (an SRCU read
// section) against an unplug path that calls synchronize_srcu inside a fence-signalling
// section. The run finishes; lockdep flags the cycle.
func ExampleSRCU() {
	sim := des.MustNew(des.Config{})
	unplugSRCU := lock.NewSRCU(sim, "drm_unplug_srcu")
	fenceMap := lock.NewMap(sim, "dma_fence_map")
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		idx := unplugSRCU.ReadLock(p) // drm_dev_enter
		fenceMap.Acquire(p)           // dma_fence_wait
		fenceMap.Release(p)
		unplugSRCU.ReadUnlock(p, idx) // drm_dev_exit
	})
	sim.Spawn("unplug", des.Task, func(p *des.Proc) {
		p.Sleep(des.Millisecond)
		fenceMap.AcquireRead(p)   // dma_fence_begin_signalling
		unplugSRCU.Synchronize(p) // drm_dev_unplug
		fenceMap.Release(p)       // dma_fence_end_signalling
	})
	r := sim.Run()
	fmt.Println(strings.Split(r.First().Msg, "\n")[0])
	// Output:
	// WARNING: possible circular locking dependency detected
}
