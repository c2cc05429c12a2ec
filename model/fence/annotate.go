package fence

import (
	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
)

// sigKey keys a process's signalling-annotation state.
var sigKey = des.NewProcKey[sigState]()

// sigState is what lock_is_held_type(&dma_fence_lockdep_map, 1) tells the kernel: whether
// this process holds the signalling pseudo-lock for reading.
type sigState struct{ readHeld bool }

func sigOf(p *des.Proc) *sigState {
	return sigKey.Get(p, func(p *des.Proc) *sigState { return sigStates.New(p.Sim()) })
}

// BeginSignalling is dma_fence_begin_signalling: it marks the start of code that must run
// for a published fence to signal. It takes the per-simulation lockdep pseudo-lock
// "dma_fence_map" as a successful non-recursive read trylock (lock_acquire with trylock=1,
// read=1, as dma-fence.c does in recent mainline; v6.12 still took a plain read lock:
// Map.TryAcquireShared), so lockdep sees every lock taken inside the section but records
// nothing from the locks held when it starts (a section may begin under any lock: the TDR
// signalling from a work item that cancel_delayed_work_sync flushes is fine), and returns
// the cookie EndSignalling needs: true if nothing was taken (already inside a section, or
// in atomic context, where might_sleep does the checking).
func BeginSignalling(p *des.Proc) bool {
	if p == nil {
		return true
	}
	s := sigOf(p)
	if s.readHeld || p.InAtomic() {
		return true
	}
	st := stateOf(p.Sim())
	st.prime(p)
	st.fenceMap.TryAcquireShared(p)
	s.readHeld = true
	return false
}

// EndSignalling is dma_fence_end_signalling.
func EndSignalling(p *des.Proc, cookie bool) {
	if cookie || p == nil {
		return
	}
	sigOf(p).readHeld = false
	stateOf(p.Sim()).fenceMap.Release(p)
}

// InSignalling reports whether p is inside a signalling section.
func InSignalling(p *des.Proc) bool { return p != nil && sigOf(p).readHeld }

// MightWait is __dma_fence_might_wait preceded by might_sleep: every fence wait calls it
// before blocking. It acquires and releases dma_fence_map for writing, so lockdep records
// "every lock held here -> dma_fence_map"; a lock also taken inside a signalling section
// (dma_fence_map -> lock) closes a cycle. As in the kernel, a read hold of this process is
// dropped around the write acquire. Waiting in atomic context is reported at once.
func MightWait(p *des.Proc, what des.Label) {
	if p.InAtomic() {
		p.Sim().Violate(p, oracle.LockOrder, what,
			des.MightSleepSplat(p, "drivers/dma-buf/dma-fence.c", "dma_fence_wait on "+what.String(), ""))
		return
	}
	st := stateOf(p.Sim())
	st.prime(p)
	s := sigOf(p)
	if s.readHeld {
		st.fenceMap.Release(p)
	}
	st.fenceMap.Acquire(p)
	st.fenceMap.Release(p)
	if s.readHeld {
		st.fenceMap.TryAcquireShared(p)
	}
}

// mmapLockClass is model/mm's lock class of mm->mmap_lock (lockdep classes are names).
const mmapLockClass = "&mm->mmap_lock"

// prime teaches lockdep the cross-driver order at "boot", as dma_resv_lockdep() does in
// drivers/dma-buf/dma-resv.c: mmap_lock -> reservation_ww_class_mutex (page faults lock
// buffers) -> fs_reclaim (buffers allocate under their lock) -> mmu notifier (reclaim
// invalidates mappings) -> dma_fence_map (fences are waited for under a resv lock, and by
// notifiers). Taking a resv lock inside a signalling section, mmap_lock under a resv lock,
// or allocating with GFP_KERNEL or GFP_NOFS inside a signalling section (mm.MightAlloc)
// then closes a cycle the first time it happens. It runs once per simulation, in the first process that reaches a
// fence wait, a signalling section or a resv lock while holding no lock, so it adds no
// false dependencies.
func (st *state) prime(p *des.Proc) {
	if st.primed || p.InAtomic() || len(lock.Held(p)) > 0 {
		return
	}
	st.primed = true
	mmapLock := lock.NewRWSem(st.sim, mmapLockClass)
	obj := lock.NewWWMutex(st.wwClass, "dma_resv_lockdep")
	mmapLock.DownRead(p)
	ctx := st.wwClass.AcquireInit(p)
	if obj.Lock(p, ctx) == lock.ErrDeadlk {
		obj.LockSlow(p, ctx)
	}
	mm.FSReclaimAcquire(p, mm.GFPKernel)
	notifier := mm.MMUNotifierMap(st.sim)
	notifier.Acquire(p)
	st.fenceMap.Acquire(p) // __dma_fence_might_wait
	st.fenceMap.Release(p)
	notifier.Release(p)
	mm.FSReclaimRelease(p, mm.GFPKernel)
	obj.Unlock(p)
	ctx.Fini()
	mmapLock.UpRead(p)
}
