package fence

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// Usage is enum dma_resv_usage: how the operation behind a fence uses the resource. Lower
// is stronger; a query for a usage returns the fences of that usage and all stronger ones.
type Usage uint8

// Usages, strongest first (include/linux/dma-resv.h).
const (
	UsageKernel   Usage = iota // kernel memory management (moves, clears): everyone waits
	UsageWrite                 // implicit-sync writers
	UsageRead                  // implicit-sync readers
	UsageBookkeep              // neither: only memory management waits for these
)

var usageNames = [...]string{"kernel", "write", "read", "bookkeep"}

func (u Usage) String() string {
	if int(u) < len(usageNames) {
		return usageNames[u]
	}
	return fmt.Sprintf("usage(%d)", int(u))
}

// UsageRW is dma_resv_usage_rw: the usage to wait for before a write (all readers too) or
// before a read (writers only).
func UsageRW(write bool) Usage {
	if write {
		return UsageRead
	}
	return UsageWrite
}

// Trace event kinds of Resv.
var (
	evResvReserve = des.L("resv-reserve")
	evResvAdd     = des.L("resv-add-fence")
	evResvReplace = des.L("resv-replace-fences")
	evResvGet     = des.L("resv-get-fences")
	evResvTest    = des.L("resv-test-signaled")
	evResvWait    = des.L("resv-wait")         // usage, fences on the list
	evResvWaitTO  = des.L("resv-wait-timeout") // usage, timeout
	evResvRestart = des.L("resv-iter-restart")
)

type entry struct {
	f     *Fence
	usage Usage
}

// Resv is struct dma_resv: a ww_mutex of reservation_ww_class and the fences of the
// operations using the resource. A legacy Resv (NewLegacyResv) behaves as before Linux 5.19:
// one exclusive fence plus shared fences, and adding an exclusive fence drops every shared
// one — the hole the dma-buf fence-replacement thread is about when the new exclusive fence does not wait for the readers.
type Resv struct {
	st        *state
	name      des.Label
	mu        *lock.WWMutex
	fences    []entry
	maxFences int // reserved slots (shared slots in legacy mode)
	legacy    bool
	seq       uint64 // obj->seq: every change of the list bumps it, so unlocked readers restart
}

// NewResv is dma_resv_init.
func NewResv(sim *des.Sim, name string) *Resv {
	if name == "" {
		panic("fence: NewResv needs a name")
	}
	st := stateOf(sim)
	r := resvs.New(sim)
	r.st, r.name, r.mu = st, des.L(name), lock.NewWWMutex(st.wwClass, name)
	return r
}

// NewLegacyResv is a pre-5.19 reservation object (fence_excl + shared list).
func NewLegacyResv(sim *des.Sim, name string) *Resv {
	r := NewResv(sim, name)
	r.legacy = true
	return r
}

// Name is the object's name.
func (r *Resv) Name() string { return r.name.String() }

// Legacy reports whether r has pre-5.19 exclusive/shared semantics.
func (r *Resv) Legacy() bool { return r.legacy }

// Class is reservation_ww_class of r's simulation, for AcquireInit.
func (r *Resv) Class() *lock.WWClass { return r.st.wwClass }

// AcquireInit is ww_acquire_init(ctx, &reservation_ww_class).
func AcquireInit(sim *des.Sim, p *des.Proc) *lock.WWAcquireCtx {
	return stateOf(sim).wwClass.AcquireInit(p)
}

// Lock is dma_resv_lock: ctx may be nil for a single lock; lock.ErrDeadlk means back off
// (drop every lock of ctx, then LockSlow), lock.ErrAlready that ctx holds it already.
func (r *Resv) Lock(p *des.Proc, ctx *lock.WWAcquireCtx) error {
	r.st.prime(p)
	return r.mu.Lock(p, ctx)
}

// LockSlow is dma_resv_lock_slow: after backing off, sleep until the contended lock is free.
func (r *Resv) LockSlow(p *des.Proc, ctx *lock.WWAcquireCtx) {
	r.st.prime(p)
	r.mu.LockSlow(p, ctx)
}

// TryLock is dma_resv_trylock.
func (r *Resv) TryLock(p *des.Proc) bool {
	return r.mu.TryLock(p, nil)
}

// Unlock is dma_resv_unlock. As with CONFIG_DEBUG_MUTEXES, it forgets unused reserved
// slots (dma_resv_reset_max_fences): slots must be reserved again after relocking.
func (r *Resv) Unlock(p *des.Proc) {
	r.assertHeld(p, "dma_resv_unlock")
	r.maxFences = r.slotsUsed()
	r.mu.Unlock(p)
}

// Holder is the process holding r's lock, or nil.
func (r *Resv) Holder() *des.Proc { return r.mu.Owner() }

// assertHeld is dma_resv_assert_held (lockdep_assert_held).
func (r *Resv) assertHeld(p *des.Proc, what string) {
	if r.mu.Owner() == p {
		return
	}
	s := oracle.Site(r.st.sim, p, what)
	s.Seq = 0 // the report's own event is the WARN
	r.st.sim.Violate(p, oracle.LockOrder, r.name, splat.LockdepAssertHeld(dmaResvC, what,
		"&"+r.name.String()+"->lock.base", s, lock.HeldLocks(p)))
}

// ReserveFences is dma_resv_reserve_fences: make room for n more fences. It must be called
// with r locked and before AddFence; n == 0 is a WARN and -EINVAL. Growing the table drops
// signalled fences, as the kernel's reallocation does.
func (r *Resv) ReserveFences(p *des.Proc, n int) error {
	p.Point(evResvReserve, r.name, int64(n), int64(len(r.fences)))
	r.assertHeld(p, "dma_resv_reserve_fences")
	if n <= 0 {
		warn(r.st.sim, p, r.name, dmaResvC, "dma_resv_reserve_fences", fmt.Sprintf("dma_resv_reserve_fences(%s, %d)", r.Name(), n))
		return ErrInval
	}
	used := r.slotsUsed()
	if used+n <= r.maxFences {
		return nil
	}
	if used+n > MaxResvFences {
		panic(fmt.Sprintf("fence: more than %d fences on %s", MaxResvFences, r.Name()))
	}
	r.maxFences = max(used+n, 2*r.maxFences, 4)
	r.dropSignalled(p)
	return nil
}

// slotsUsed is the number of entries that occupy a reserved slot.
func (r *Resv) slotsUsed() int {
	if !r.legacy {
		return len(r.fences)
	}
	n := 0
	for _, e := range r.fences {
		if e.usage >= UsageRead {
			n++
		}
	}
	return n
}

func (r *Resv) dropSignalled(p *des.Proc) {
	r.seq++
	keep := r.fences[:0]
	for _, e := range r.fences {
		if e.f.signalled {
			e.f.Put(p)
			continue
		}
		keep = append(keep, e)
	}
	clear(r.fences[len(keep):])
	r.fences = keep
}

// AddFence is dma_resv_add_fence: r must be locked and a slot reserved (adding without one
// is the kernel's BUG_ON). A fence of the same context and an equal or weaker usage that f
// supersedes, or any signalled fence, is replaced in place; otherwise f takes a new slot.
// r takes a reference to f and publishes it. On a legacy Resv, usage KERNEL or WRITE is
// dma_resv_add_excl_fence (every shared fence is dropped) and READ or BOOKKEEP is
// dma_resv_add_shared_fence.
func (r *Resv) AddFence(p *des.Proc, f *Fence, usage Usage) {
	p.Point(evResvAdd, f.Label(), int64(usage), int64(len(r.fences)))
	r.assertHeld(p, "dma_resv_add_fence")
	if usage > UsageBookkeep {
		panic(fmt.Sprintf("fence: AddFence with %v", usage))
	}
	f.Get(p)
	f.Publish(p)
	r.seq++ // write_seqcount_begin
	if r.legacy && usage <= UsageWrite {
		r.addExcl(p, f, usage)
		return
	}
	if r.replaceInPlace(p, f, usage) {
		return
	}
	if r.slotsUsed() >= r.maxFences {
		s := oracle.Site(r.st.sim, p, "dma_resv_add_fence")
		s.Seq = 0 // the report's own event is the BUG
		r.st.sim.Violate(p, oracle.Panic, r.name, splat.BUG(dmaResvC, "dma_resv_add_fence", fmt.Sprintf(
			"BUG_ON(fobj->num_fences >= fobj->max_fences): dma_resv_add_fence(%s, %s) without a reserved slot (%d used, %d reserved)",
			r.Name(), f.Name(), r.slotsUsed(), r.maxFences), s))
		f.Put(p)
		return
	}
	r.fences = append(r.fences, entry{f, usage})
}

// replaceInPlace reuses the slot of a fence f supersedes, or of a signalled fence.
func (r *Resv) replaceInPlace(p *des.Proc, f *Fence, usage Usage) bool {
	for i, e := range r.fences {
		if r.legacy && e.usage <= UsageWrite {
			continue // the exclusive slot is not a shared slot
		}
		if r.supersedes(f, usage, e) || e.f.signalled {
			r.fences[i] = entry{f, usage}
			e.f.Put(p)
			return true
		}
	}
	return false
}

// supersedes reports whether f may take e's slot. Since v5.19 (dma_resv_add_fence) it must
// be of e's context, of an equal or stronger usage, and not older; before, any shared fence
// of the same context was replaced (dma_resv_add_shared_fence), even a later one.
func (r *Resv) supersedes(f *Fence, usage Usage, e entry) bool {
	if e.f.context != f.context {
		return false
	}
	return r.legacy || (e.usage >= usage && f.IsLaterOrSame(e.f))
}

// addExcl is the legacy dma_resv_add_excl_fence: the new exclusive fence replaces the old
// one and every shared fence is dropped, whether or not it signalled.
func (r *Resv) addExcl(p *des.Proc, f *Fence, usage Usage) {
	old := r.fences
	r.fences = []entry{{f, usage}}
	for _, e := range old {
		e.f.Put(p)
	}
}

// ReplaceFences is dma_resv_replace_fences: every fence of context ctx is replaced by
// replacement with the given usage; if r holds none, replacement is not installed (nor
// published). Only valid if the replaced operations no longer touch
// the resource once replacement signals; if they still do, freeing the memory after waiting
// for r's fences is a gpu-use-after-free (see Backing).
func (r *Resv) ReplaceFences(p *des.Proc, ctx uint64, replacement *Fence, usage Usage) {
	p.Point(evResvReplace, replacement.Label(), int64(ctx), int64(usage))
	r.assertHeld(p, "dma_resv_replace_fences")
	for i, e := range r.fences {
		if e.f.context != ctx {
			continue
		}
		r.fences[i] = entry{replacement.Get(p), usage}
		r.seq++
		replacement.Publish(p) // installed: other parties may wait for it now
		e.f.Put(p)
	}
}

// Fini is dma_resv_fini: drop every fence reference.
func (r *Resv) Fini(p *des.Proc) {
	r.seq++
	for _, e := range r.fences {
		e.f.Put(p)
	}
	r.fences = nil
}
