package fence

import (
	"fmt"
	"strings"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/rcu"
	"hotplugsim/model/splat"
)

// Trace event kinds, made once.
var (
	evSignal   = des.L("fence-signal")
	evSetError = des.L("fence-set-error")
	evAddCb    = des.L("fence-add-callback")
	evRemoveCb = des.L("fence-remove-callback")
	evCallback = des.L("fence-callback")
	evWait     = des.L("fence-wait")
	evTest     = des.L("fence-is-signaled")
	evPut      = des.L("fence-put")
	evPublish  = des.L("fence-publish")
	evGetRCU   = des.L("fence-get-rcu")
)

// Context is a fence timeline (dma_fence_context_alloc(1)): fences of one context signal in
// seqno order and are compared by seqno.
type Context struct {
	st      *state
	id      uint64
	name    string
	seqno   uint64
	lock    *lock.SpinLock
	retired bool // its owner is torn down (Retire)

	fencePrefix string   // "fence:<name>#", its fences' names without the seqno
	allocChain  []string // where its fences are allocated, innermost first (SetAllocChain)
}

// SetAllocChain names the call chain that allocates the context's fences, innermost first
// (drm_sched_fence_alloc's kmem_cache_zalloc under drm_sched_job_init), for the allocation
// site of KASAN's and kmemleak's reports; without it they print kmalloc. Pass a package-level
// slice: reports print it and nothing modifies it.
func (c *Context) SetAllocChain(chain []string) { c.allocChain = chain }

// NewContext allocates a fence context named name (the timeline name). Its fences share one
// irq-safe spinlock, fence->lock, of lock class "<name>.fence_lock": a class of its own. Use
// NewContextLock when several contexts' locks come from one spin_lock_init site.
func NewContext(sim *des.Sim, name string) *Context {
	return NewContextLock(sim, name, name+".fence_lock")
}

// NewContextLock is NewContext with the fence lock's lockdep class named by class: lockdep keys
// a class by the spin_lock_init site, so every ring of a driver shares one
// (&ring->fence_drv.lock), as every drm_sched fence does (&fence->lock).
func NewContextLock(sim *des.Sim, name, class string) *Context {
	if name == "" || class == "" {
		panic("fence: NewContext needs a timeline name and a lock class")
	}
	st := stateOf(sim)
	c := contexts.New(sim)
	c.st, c.id, c.name, c.lock = st, st.nextCtx, name, lock.NewSpinLock(sim, class)
	c.fencePrefix = des.Join(sim, des.Join(sim, "fence:", name), "#")
	st.nextCtx++
	return c
}

// Objects a sweep worker reuses run after run (des.SlabKey).
var (
	contexts  = des.NewSlabKey[Context]()
	fences    = des.NewSlabKey[Fence]()
	callbacks = des.NewSlabKey[Callback]()
	resvs     = des.NewSlabKey[Resv]()
)

// Recycle keeps a reused fence's callback list storage (des.Recycler).
func (f *Fence) Recycle() {
	clear(f.cbsBuf[:cap(f.cbsBuf)])
	*f = Fence{cbs: f.cbsBuf[:0], cbsBuf: f.cbsBuf[:0]}
}

// Recycle keeps a reused reservation object's fence list storage (des.Recycler).
func (r *Resv) Recycle() {
	clear(r.fences)
	*r = Resv{fences: r.fences[:0]}
}

// ID is the context number (dma_fence.context).
func (c *Context) ID() uint64 { return c.id }

// Name is the timeline name.
func (c *Context) Name() string { return c.name }

// NewFence initialises the next fence of the timeline (dma_fence_init with ++seqno); it has
// one reference, owned by the caller. p is the creating process (nil: set-up code).
func (c *Context) NewFence(p *des.Proc) *Fence {
	return c.NewFenceSeqno(p, c.seqno+1)
}

// NewFenceSeqno is dma_fence_init with an explicit seqno (drm_sched's scheduled and finished
// fences share one). Later NewFence calls continue after the largest seqno used.
func (c *Context) NewFenceSeqno(p *des.Proc, seqno uint64) *Fence {
	c.seqno = max(c.seqno, seqno)
	f := fences.New(c.st.sim)
	f.st, f.ctx, f.context, f.seqno, f.refs = c.st, c, c.id, seqno, 1
	f.AllocIn(c.st.sim, p, des.JoinN(c.st.sim, c.fencePrefix, seqno), c.allocChain...) // fence:<name>#<seqno>
	if c.st.leaks {
		c.st.track(f)
	}
	return f
}

// NewStub is dma_fence_allocate_private_stub: an already signalled fence of context 0.
func NewStub(sim *des.Sim, p *des.Proc) *Fence {
	st := stateOf(sim)
	stub := &Context{st: st, name: "stub", lock: lock.NewSpinLock(sim, "dma_fence_stub_lock")}
	f := &Fence{st: st, ctx: stub, refs: 1, signalled: true, timestamp: sim.Now()}
	f.Alloc(sim, p, "fence:stub")
	return f
}

// Fence is struct dma_fence. Signalling, callbacks, waits and the reference count follow
// drivers/dma-buf/dma-fence.c; a Fence is dead at its final Put and freed (kasan) a grace
// period later (kfree_rcu).
type Fence struct {
	kasan.Obj
	st          *state
	ctx         *Context
	context     uint64
	seqno       uint64
	refs        int
	signalled   bool
	published   bool
	publishedBy *des.Proc // nil: set-up code
	publishedAt des.Time  // metrics on only
	err         Errno
	timestamp   des.Time
	cbs         []*Callback
	cbsBuf      []*Callback // the storage cbs grew last, kept for recycling after a signal drops cbs
	release     func(p *des.Proc, f *Fence)
	wq          *des.WaitQueue
}

// Callback is struct dma_fence_cb: fn runs once, in the signaller's context (p is the
// signalling process, possibly an IRQ) with the fence lock held, so it may not sleep.
type Callback struct {
	fn    func(p *des.Proc, f *Fence)
	fence *Fence // nil once run or removed (list_empty(&cb->node))
}

// Context is the fence's context number.
func (f *Fence) Context() uint64 { return f.context }

// Seqno is the fence's sequence number in its context.
func (f *Fence) Seqno() uint64 { return f.seqno }

// Timeline is the fence's context.
func (f *Fence) Timeline() *Context { return f.ctx }

// Signalled reports the signalled bit without a scheduling point (for oracles and tests;
// model code that races on it uses IsSignaled).
func (f *Fence) Signalled() bool { return f.signalled }

// Error is the error set on the fence (0 or negative, unless SetError warned).
func (f *Fence) Error() Errno { return f.err }

// Timestamp is when the fence signalled (0 if it has not).
func (f *Fence) Timestamp() des.Time { return f.timestamp }

// Published reports whether the fence was handed to another party.
func (f *Fence) Published() bool { return f.published }

// IsLater is dma_fence_is_later: f is after g on their timeline. Fences of different
// contexts have no order: comparing them is a WARN_ON and false, as in the kernel.
func (f *Fence) IsLater(g *Fence) bool {
	if f.context != g.context {
		warn(f.st.sim, f.st.sim.Current(), f.Label(), hdr, "dma_fence_is_later", fmt.Sprintf(
			"dma_fence_is_later(%s, %s): fences of different contexts", f.Name(), g.Name()))
		return false
	}
	return f.seqno > g.seqno
}

// IsLaterOrSame is dma_fence_is_later_or_same.
func (f *Fence) IsLaterOrSame(g *Fence) bool { return f == g || f.IsLater(g) }

// Status is dma_fence_get_status: 0 if unsignalled, 1 if signalled without error, else the
// (negative) error.
func (f *Fence) Status() int {
	switch {
	case !f.signalled:
		return 0
	case f.err != 0:
		return int(f.err)
	default:
		return 1
	}
}

// IsSignaled is dma_fence_is_signaled: a read of the signalled bit, and a scheduling point.
func (f *Fence) IsSignaled(p *des.Proc) bool {
	p.Point(evTest, f.Label(), int64(f.context), int64(f.seqno))
	f.Use(p, "dma_fence_is_signaled")
	return f.signalled
}

// Get takes a reference (dma_fence_get). On a fence whose count already dropped to zero
// (dead, its memory not yet freed) it is refcount_warn_saturate's "refcount_t: addition on
// 0; use-after-free." WARNING, and the count stays at zero; on freed memory, KASAN's report.
func (f *Fence) Get(p *des.Proc) *Fence {
	if !f.Access(p, krefGet) {
		return f
	}
	if f.refs == 0 {
		f.refcountWarn(p, "refcount_t: addition on 0; use-after-free.", "dma_fence_get")
		return f
	}
	f.refs++
	return f
}

// GetRCU is dma_fence_get_rcu (kref_get_unless_zero): a reference, or nil if the count is
// already zero. It is how a reader inside an RCU read section (model/rcu) takes a fence it
// found without a reference: the fence's memory stays valid until a grace period after its
// final Put, so only a reader outside a read section can meet freed memory (KASAN).
func (f *Fence) GetRCU(p *des.Proc) *Fence {
	p.Point(evGetRCU, f.Label(), int64(f.refs), 0)
	if !f.Access(p, krefGetRCU) || f.refs == 0 {
		return nil
	}
	f.refs++
	return f
}

// maxGetRCURetries bounds GetRCUSafe's loop.
const maxGetRCURetries = 1 << 16

// GetRCUSafe is dma_fence_get_rcu_safe: load reads an RCU-protected fence pointer
// (rcu_dereference); the result is a reference to the fence the pointer still holds after
// the reference was taken, or nil if it holds none. p must be in an RCU read section, else
// it is rcu_dereference's lockdep-RCU WARNING.
func GetRCUSafe(p *des.Proc, load func() *Fence) *Fence {
	rcu.DereferenceCheck(p, hdr)
	for range maxGetRCURetries {
		f := load()
		if f == nil {
			return nil
		}
		if f.GetRCU(p) == nil {
			continue
		}
		if load() == f {
			return f
		}
		f.Put(p)
	}
	panic(fmt.Sprintf("fence: dma_fence_get_rcu_safe retried %d times", maxGetRCURetries))
}

// Refs is the reference count (kref_read), for oracles and tests.
func (f *Fence) Refs() int { return f.refs }

// Put drops a reference (dma_fence_put). The final Put releases the fence: releasing it
// unsignalled with callbacks pending is the kernel's "released with pending signals!" WARN,
// reported as fence-never-signalled; the fence is then signalled with -EDEADLK so the
// callbacks run, as dma_fence_release does. dma_fence_free frees it with kfree_rcu: the
// memory stays valid until an RCU grace period has passed (model/rcu). A Put on a count
// already at zero is refcount_warn_saturate's underflow WARNING.
func (f *Fence) Put(p *des.Proc) {
	if p != nil {
		p.Trace(evPut, f.Label(), int64(f.refs), 0)
	}
	if !f.Access(p, krefPut) {
		return
	}
	if f.refs == 0 {
		f.refcountWarn(p, "refcount_t: underflow; use-after-free.", "dma_fence_put")
		return
	}
	f.refs--
	if f.refs > 0 {
		return
	}
	f.releaseLast(p)
}

// releaseLast is dma_fence_release and dma_fence_free.
func (f *Fence) releaseLast(p *des.Proc) {
	if !f.signalled && len(f.cbs) > 0 {
		f.reportPendingRelease(p)
		f.lockIRQSave(p)
		f.err = -EDEADLK
		_ = f.signalLocked(p)
		f.unlockIRQRestore(p)
	}
	if f.release != nil {
		f.release(p, f)
	}
	rcu.KfreeRCU(f.st.sim, p, &f.Obj, freeChain...)
}

// refcountWarn is refcount_warn_saturate (lib/refcount.c): an operation on a dead fence's
// count. It prints as a WARNING and says "use-after-free" itself, so it is reported as one.
func (f *Fence) refcountWarn(p *des.Proc, msg, fn string) {
	s := oracle.Site(f.st.sim, p, "refcount_warn_saturate", fn)
	s.Seq = 0 // the report's own event is the WARN
	f.st.sim.Violate(p, oracle.UseAfterFree, f.Label(), splat.RefcountWarn(msg, f.Name(), s))
}

// The accesses of a reference count (kref_get, kref_put, kref_get_unless_zero on a 4-byte
// refcount_t) and the call chain that queues a fence's free (KASAN's "work creation").
var (
	krefGet    = kasan.Access{Func: "dma_fence_get", Size: 4, Write: true}
	krefPut    = kasan.Access{Func: "dma_fence_put", Size: 4, Write: true}
	krefGetRCU = kasan.Access{Func: "dma_fence_get_rcu", Size: 4, Write: true}
	freeChain  = []string{"kfree_rcu", "dma_fence_free", "dma_fence_release", "dma_fence_put"}
)

// SetRelease sets dma_fence_ops.release: fn runs at the final Put, before the fence is freed
// (a container fence drops the references it holds there).
func (f *Fence) SetRelease(fn func(p *des.Proc, f *Fence)) { f.release = fn }

// Publish marks f as handed to another party (a sync_file, a syncobj, another driver):
// from now on it must signal before the run quiesces, else fence-never-signalled.
// Resv.AddFence and Resv.ReplaceFences publish the fences they install.
func (f *Fence) Publish(p *des.Proc) {
	if f.published || !f.Use(p, "publish") {
		return
	}
	f.published = true
	f.publishedBy = p
	if f.st.rec.On() {
		f.publishedAt = f.st.sim.Now()
	}
	if p != nil {
		p.Trace(evPublish, f.Label(), int64(f.context), int64(f.seqno))
	}
	if !f.signalled {
		f.st.publish(f)
	}
}

// SetError is dma_fence_set_error: errno must be negative and the fence unsignalled. Both
// are WARN_ONs in the kernel, which stores the error anyway (include/linux/dma-fence.h), so
// a late error is what dma_fence_get_status reports afterwards.
func (f *Fence) SetError(p *des.Proc, errno Errno) {
	p.Point(evSetError, f.Label(), int64(errno), 0)
	if !f.Use(p, "dma_fence_set_error") {
		return
	}
	if f.signalled {
		warn(f.st.sim, p, f.Label(), hdr, "dma_fence_set_error",
			fmt.Sprintf("dma_fence_set_error(%s, %d) on a signalled fence", f.Name(), errno))
	}
	if errno >= 0 || errno < -maxErrno {
		warn(f.st.sim, p, f.Label(), hdr, "dma_fence_set_error",
			fmt.Sprintf("dma_fence_set_error(%s, %d): not a negative errno", f.Name(), errno))
	}
	f.err = errno
}

// reportPendingRelease is dma_fence_release's WARN: the driver name is the context name's
// first component (the model has no fence ops), the timeline name the context name.
func (f *Fence) reportPendingRelease(p *des.Proc) {
	driver, _, _ := strings.Cut(f.ctx.name, ".")
	msg := fmt.Sprintf("Fence %s:%s:%x:%x released with pending signals!\n%d callback(s) pending; allocated by %v",
		driver, f.ctx.name, f.context, f.seqno, len(f.cbs), f.AllocSite())
	s := oracle.Site(f.st.sim, p, "dma_fence_release", "dma_fence_put")
	s.Seq = 0
	f.st.sim.Violate(p, oracle.FenceNeverSignalled, f.Label(), splat.WARN("drivers/dma-buf/dma-fence.c", "dma_fence_release", msg, s))
}
