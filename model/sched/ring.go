package sched

import (
	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/irq"
)

// Bounds of the ring model.
const (
	MaxRingJobs  = 1 << 12 // jobs in flight on one ring
	maxRingSteps = 1 << 24 // jobs one ring executes in a run
)

type hwJob struct {
	f    *fence.Fence
	dur  des.Duration
	hang bool
}

// Ring is a hardware ring: it executes submitted jobs in order and signals their fences from
// an interrupt.
type Ring struct {
	engineFn func(p *des.Proc) // r.engine, kept by a recycled Ring
	sim      *des.Sim
	name     string
	ctx      *fence.Context
	queue    []hwJob        // submitted, not yet completed
	done     []*fence.Fence // completed, waiting for the interrupt
	// queueBuf and doneBuf are the storage queue and done grew last, kept for recycling after
	// a forced completion drops them.
	queueBuf  []hwJob
	doneBuf   []*fence.Fence
	stalled   bool // the head job hangs
	unplugged bool
	hw        Hardware // nil: the ring's engine is not tied to a device (AttachHW)
	ch        Channel  // hw as a Channel, if it is one
	hwGen     int      // hw's generation at AttachHW: a replug is another incarnation
	kick      *des.WaitQueue
	line      *irq.Line // nil: the ring raises its own interrupt process
	evIRQ     des.Label
	irqFn     func(*des.Proc) // the interrupt process's body, made once per Ring
}

// NewRing makes a ring named name and starts its engine (a daemon process). Its hardware
// fences' lock is a lockdep class of its own; see NewRingClass.
func NewRing(sim *des.Sim, name string) *Ring {
	return NewRingClass(sim, name, name+".fence_lock")
}

// NewRingClass is NewRing with the fence lock's lockdep class named: a driver's rings share
// the class of the one spin_lock_init that sets their fence locks up (amdgpu:
// &ring->fence_drv.lock, for the gfx and sdma rings of every device alike).
func NewRingClass(sim *des.Sim, name, fenceLockClass string) *Ring {
	if sim == nil || name == "" {
		panic("sched: NewRing needs a sim and a name")
	}
	r := rings.New(sim)
	r.sim, r.name, r.ctx = sim, name, fence.NewContextLock(sim, name, fenceLockClass)
	r.ctx.SetAllocChain(ringFenceAlloc)
	r.kick = des.NewWaitQueue(sim, des.Join(sim, "ring:", name))
	r.evIRQ = des.L(des.Join(sim, "ring-irq:", name))
	if r.irqFn == nil {
		r.irqFn = func(q *des.Proc) { r.FenceProcess(q) }
	}
	if r.engineFn == nil {
		r.engineFn = r.engine
	}
	sim.Spawn(des.Join(sim, "gpu:", name), des.Task, r.engineFn).SetDaemon().SetHard()
	return r
}

// Name is the ring's name.
func (r *Ring) Name() string { return r.name }

// Outstanding is the number of emitted fences not yet signalled by the hardware.
func (r *Ring) Outstanding() int { return len(r.queue) + len(r.done) }

// Submit emits a job that runs for d (or hangs) and returns its hardware fence
// (amdgpu_ib_schedule + amdgpu_fence_emit). It is what a driver's RunJob calls. The caller
// owns the returned reference; the ring holds one more until it signals the fence, as
// amdgpu_fence_emit stores dma_fence_get(fence) in fence_drv.fences and amdgpu_fence_process
// puts it after dma_fence_signal.
func (r *Ring) Submit(p *des.Proc, d des.Duration, hang bool) *fence.Fence {
	if len(r.queue) >= MaxRingJobs {
		panic("sched: ring " + r.name + " overflow")
	}
	f := r.ctx.NewFence(p)
	f.Get(p) // fence_drv.fences[seq & num_fences_mask]
	r.queue = append(r.queue, hwJob{f: f, dur: d, hang: hang})
	r.queueBuf = r.queue
	r.kick.WakeAll()
	return f
}

// AttachIRQ routes the ring's completion interrupt through l, the device's interrupt line:
// the engine raises l when a job completes, and the driver's handler (requested on l) calls
// FenceProcess. free_irq (irq.FreeIRQ) then stops further completions from being processed
// and waits for a handler in progress, as the kernel's fini_hw relies on. Without a line the
// ring spawns an interrupt process of its own per completion, tied to no driver lifetime.
func (r *Ring) AttachIRQ(l *irq.Line) { r.line = l }

// Hardware is the device the ring's engine is part of: model/mem's Owner (pci.Dev.HW).
type Hardware interface {
	Present() bool   // false once the device is physically gone (surprise removal)
	Generation() int // bumped at each replug
}

// AttachHW ties the ring's engine to the device's hardware: once the device is physically
// gone (surprise removal: the link is down) or replugged as another incarnation, the engine
// completes no job and raises no interrupt, exactly as if Unplug had been called, but without
// the driver knowing. A job in flight then finishes only by the driver's remove path
// (ForceCompletion: amdgpu_fence_driver_force_completion, xe's wedge) or never (its published
// fence is fence-never-signalled). A job that completed before the link went down and whose
// interrupt is pending is still processed (FenceProcess).
//
// If hw is a Channel (pci.Dev.Link), the engine also stops while the channel is isolated:
// an uncorrectable error froze it (pci_channel_io_frozen: the port blocks the device's DMA
// and MMIO until the slot reset) or the device is disconnected (perm_failure); a reset that
// ends the isolation resumes it, with the job that was running started again.
func (r *Ring) AttachHW(hw Hardware) {
	r.hw, r.hwGen = hw, hw.Generation()
	r.ch, _ = hw.(Channel)
}

// Channel is Hardware behind a PCIe link that error recovery can isolate (pci.Dev.Link).
type Channel interface {
	Hardware
	Isolated() bool             // frozen or disconnected: no DMA
	ResetQueue() *des.WaitQueue // woken when a reset ends the isolation
}

// gone reports whether the attached hardware is physically gone.
func (r *Ring) gone() bool { return r.hw != nil && (!r.hw.Present() || r.hw.Generation() != r.hwGen) }

// isolated reports whether the attached channel blocks the engine's DMA now.
func (r *Ring) isolated() bool { return r.ch != nil && r.ch.Isolated() }

// awaitReset parks the engine until the channel is no longer isolated (or the ring is dead).
func (r *Ring) awaitReset(p *des.Proc) {
	r.ch.ResetQueue().Wait(p, func() bool { return !r.isolated() || r.unplugged || r.gone() })
}

// Unplug is the device going away: the ring executes nothing more and raises no interrupt.
func (r *Ring) Unplug() {
	r.unplugged = true
	r.kick.WakeAll()
}

// ForceCompletion is amdgpu_fence_driver_force_completion: signal every emitted fence, with
// errno (negative, e.g. -fence.ENODEV) if non-zero. It returns how many it signalled.
func (r *Ring) ForceCompletion(p *des.Proc, errno fence.Errno) int {
	return r.forceCompletion(p, errno, errno)
}

// Fini is amdgpu_fence_driver_sw_fini's part for the ring: the references the ring still
// holds on emitted fences (fence_drv.fences) are put, and its timeline ends with the device
// (fence.Context.Retire). Call it after the ring is halted, when the device is torn down.
func (r *Ring) Fini(p *des.Proc) {
	for _, j := range r.queue {
		j.f.Put(p)
	}
	for _, f := range r.done {
		f.Put(p)
	}
	clear(r.queue)
	clear(r.done)
	r.queue, r.done = r.queue[:0], r.done[:0]
	r.ctx.Retire()
}

// Ban is a timed-out queue's cleanup (xe's guc_exec_queue_timedout_job marks the pending jobs
// bad): the oldest emitted fence signals with head (-fence.ETIME), every later one with rest
// (-fence.ECANCELED). It returns how many it signalled.
func (r *Ring) Ban(p *des.Proc, head, rest fence.Errno) int {
	return r.forceCompletion(p, head, rest)
}

// forceCompletion signals every emitted fence, oldest first: the first one not yet signalled
// with errno first, the others with rest (0: no error).
func (r *Ring) forceCompletion(p *des.Proc, first, rest fence.Errno) int {
	fb := fenceBufs.New(r.sim) // this call's list, kept for the next run
	fs := append(fb.s[:0], r.done...)
	for _, j := range r.queue {
		fs = append(fs, j.f)
	}
	fb.s = fs
	clear(r.done)
	clear(r.queue)
	r.done, r.queue, r.stalled = r.done[:0], r.queue[:0], false // fs is a copy: keep the storage
	n := 0
	for _, f := range fs {
		if f.Signalled() {
			continue
		}
		errno := rest
		if n == 0 {
			errno = first
		}
		if errno != 0 {
			f.SetError(p, errno)
		}
		if f.Signal(p) == nil {
			n++
		}
	}
	for _, f := range fs {
		f.Put(p) // the ring's reference (amdgpu_fence_process after the forced seqno write)
	}
	return n
}

// fenceBuf is the storage of one forced completion's fence list.
type fenceBuf struct{ s []*fence.Fence }

var fenceBufs = des.NewSlabKey[fenceBuf]()

// Recycle keeps the storage (des.Recycler).
func (b *fenceBuf) Recycle() { clear(b.s[:cap(b.s)]); b.s = b.s[:0] }

// engine executes the head job, then raises the fence interrupt.
func (r *Ring) engine(p *des.Proc) {
	for i := 0; i < maxRingSteps; i++ {
		if r.kick.WaitStop(p, func() bool { return len(r.queue) > 0 && !r.stalled && !r.unplugged && !r.gone() }) {
			return
		}
		if r.isolated() {
			r.awaitReset(p)
			continue
		}
		head := r.queue[0]
		if head.hang {
			r.stalled = true
			continue
		}
		p.Sleep(head.dur)
		if r.unplugged || r.gone() || r.isolated() || len(r.queue) == 0 || r.queue[0].f != head.f {
			continue // unplugged, gone, isolated or force-completed meanwhile
		}
		r.queue = popFront(r.queue)
		r.done = append(r.done, head.f)
		r.doneBuf = r.done
		if r.line != nil {
			r.line.Raise(p)
			continue
		}
		r.sim.Spawn(des.Join(r.sim, "irq/", r.name), des.IRQ, r.irqFn) // r.FenceProcess
	}
}

// FenceProcess is amdgpu_fence_process: signal every completed fence, in order. A driver
// whose ring has a line (AttachIRQ) calls it from its interrupt handler.
func (r *Ring) FenceProcess(p *des.Proc) {
	p.Point(r.evIRQ, des.Label{}, int64(len(r.done)), 0)
	for len(r.done) > 0 {
		f := r.done[0]
		r.done = popFront(r.done)
		if !f.Signalled() {
			_ = f.Signal(p)
		}
		f.Put(p) // RCU_INIT_POINTER(*ptr, NULL); dma_fence_put(fence)
	}
}

// ringFenceAlloc is where amdgpu_fence_emit allocates a ring fence (amdgpu_fence_slab).
var ringFenceAlloc = []string{"kmem_cache_alloc", "amdgpu_fence_emit", "amdgpu_ib_schedule"}
