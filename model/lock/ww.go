package lock

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// ErrDeadlk is -EDEADLK from WWMutex.Lock: an older context holds or waits for the lock, so
// this (younger) context must unlock everything it holds and retry with LockSlow.
var ErrDeadlk = errors.New("-EDEADLK")

// ErrAlready is -EALREADY from WWMutex.Lock: the context already holds the lock.
var ErrAlready = errors.New("-EALREADY")

var (
	evWWLock     = des.L("ww_mutex_lock")
	evWWLocked   = des.L("ww_mutex_locked")
	evWWDeadlk   = des.L("ww_mutex_edeadlk")
	evWWUnlock   = des.L("ww_mutex_unlock")
	evWWTrylock  = des.L("ww_mutex_trylock")
	evWWInit     = des.L("ww_acquire_init")
	evWWFini     = des.L("ww_acquire_fini")
	evWWAcqDone  = des.L("ww_acquire_done")
	evWWLockSlow = des.L("ww_mutex_lock_slow")
)

// WWClass is struct ww_class (DEFINE_WW_CLASS): it hands out acquire-context stamps and
// names the two lockdep classes, <name>_acquire for contexts and <name>_mutex for locks.
type WWClass struct {
	sim        *des.Sim
	name       string
	stamp      uint64
	acquireDep *class
	mutexDep   *class
}

// NewWWClass makes a ww_class.
func NewWWClass(sim *des.Sim, name string) *WWClass {
	c := wwClasses.New(sim)
	*c = WWClass{sim: sim, name: name,
		acquireDep: classOf(sim, des.Join(sim, name, "_acquire")), mutexDep: classOf(sim, des.Join(sim, name, "_mutex"))}
	return c
}

// WWAcquireCtx is struct ww_acquire_ctx: one transaction taking several ww_mutexes. Its
// stamp orders it against other contexts (lower is older and wins).
type WWAcquireCtx struct {
	class      *WWClass
	p          *des.Proc
	label      des.Label
	stamp      uint64
	acquired   int
	done       bool
	contending *WWMutex // the lock that returned -EDEADLK, until retaken
}

// AcquireInit is ww_acquire_init: a new context, held (for lockdep) until Fini, and the
// nest lock of every ww_mutex taken with it.
func (c *WWClass) AcquireInit(p *des.Proc) *WWAcquireCtx {
	c.stamp++
	x := wwCtxs.New(c.sim)
	*x = WWAcquireCtx{class: c, p: p, label: c.acquireDep.label, stamp: c.stamp}
	p.Trace(evWWInit, x.label, int64(x.stamp), 0)
	acquire(p, c.acquireDep, instOf(x), readNone, 0)
	return x
}

// Stamp is the context's age (lower is older).
func (x *WWAcquireCtx) Stamp() uint64 { return x.stamp }

// Acquired is the number of ww_mutexes the context holds.
func (x *WWAcquireCtx) Acquired() int { return x.acquired }

// Done is ww_acquire_done: the context takes no more locks.
func (x *WWAcquireCtx) Done() {
	x.p.Trace(evWWAcqDone, x.label, int64(x.stamp), 0)
	x.done = true
}

// Fini is ww_acquire_fini: the context ends; it must hold no lock any more.
func (x *WWAcquireCtx) Fini() {
	x.p.Trace(evWWFini, x.label, int64(x.stamp), 0)
	release(x.p, x.class.acquireDep, instOf(x))
	if x.acquired > 0 {
		x.warn("fini", "ctx->acquired", wwMutexH, "ww_acquire_fini",
			fmt.Sprintf("ww_acquire_fini with %d ww_mutex(es) still held", x.acquired))
	}
}

// Files of the ww_mutex debug checks (DEBUG_WW_MUTEXES).
const (
	wwMutexH     = "include/linux/ww_mutex.h"  // ww_acquire_fini
	wwMutexLockH = "kernel/locking/ww_mutex.h" // ww_mutex_lock_acquired
)

// warn is the DEBUG_LOCKS_WARN_ON(cond) in fn of file that the misuse what trips; detail
// says what the context did.
func (x *WWAcquireCtx) warn(what, cond, file, fn, detail string) {
	g := graphOf(x.class.sim)
	s := oracle.Site(x.class.sim, x.p, fn)
	s.Seq = 0 // the report's own event is the WARN
	detail = fmt.Sprintf("%s (%s stamp %d)", detail, x.class.name, x.stamp)
	g.report(x.p, fmt.Sprintf("ww-%s:%s:%d", what, x.class.name, x.stamp), x.label,
		splat.DebugLocksWarnOn(cond, file, fn, detail, s, heldLocks(x.p, taskOf(x.p))))
}

// WWMutex is struct ww_mutex with the wait-die algorithm (kernel/locking/ww_mutex.h): a context that already holds locks and meets
// an older context (holding the lock, or waiting for it ahead of it) gets -EDEADLK instead
// of waiting. Without a context it is a plain mutex.
type WWMutex struct {
	class   *WWClass
	name    des.Label
	owner   *des.Proc
	ctx     *WWAcquireCtx
	waiters []*WWAcquireCtx // contexts waiting, at most one per blocked process
	wq      *des.WaitQueue
}

// Recycle keeps the waiter list's storage (des.Recycler).
func (m *WWMutex) Recycle() {
	clear(m.waiters[:cap(m.waiters)])
	*m = WWMutex{waiters: m.waiters[:0]}
}

// NewWWMutex makes a ww_mutex of class c (ww_mutex_init); name names the instance in traces.
func NewWWMutex(c *WWClass, name string) *WWMutex {
	if c == nil || name == "" {
		panic("lock: NewWWMutex needs a class and a name")
	}
	m := wwMutexes.New(c.sim)
	m.class, m.name, m.wq = c, des.L(name), des.NewWaitQueue(c.sim, name)
	m.wq.SetHolder(m)
	return m
}

// Owner is the holder, or nil.
func (m *WWMutex) Owner() *des.Proc { return m.owner }

// IsLocked is ww_mutex_is_locked.
func (m *WWMutex) IsLocked() bool { return m.owner != nil }

// AssertHeld is dma_resv_assert_held / lockdep_assert_held(&m->base): reported unless p
// holds m.
func (m *WWMutex) AssertHeld(p *des.Proc) { assertHeld(p, m.class.mutexDep, instOf(m)) }

// Lock is ww_mutex_lock. With a context it may return ErrDeadlk (back off: unlock every
// lock of ctx, then LockSlow this one) or ErrAlready.
func (m *WWMutex) Lock(p *des.Proc, ctx *WWAcquireCtx) error {
	mightSleep(p, "kernel/locking/mutex.c", "ww_mutex_lock", m.class.mutexDep)
	p.Point(evWWLock, m.name, ctxStamp(ctx), 0)
	return m.lock(p, ctx, false)
}

// LockSlow is ww_mutex_lock_slow: after backing off, wait for the contended lock. With no
// other lock held the context cannot be told to die; calling it with locks held is
// reported, and it then waits anyway.
func (m *WWMutex) LockSlow(p *des.Proc, ctx *WWAcquireCtx) {
	mightSleep(p, "kernel/locking/mutex.c", "ww_mutex_lock_slow", m.class.mutexDep)
	p.Point(evWWLockSlow, m.name, ctxStamp(ctx), 0)
	if ctx != nil && ctx.acquired > 0 {
		ctx.warn("slow", "ww_ctx->acquired > 0", wwMutexLockH, "ww_mutex_lock_acquired", fmt.Sprintf(
			"ww_mutex_lock_slow(%s) with %d ww_mutex(es) still held: back off first", m.name, ctx.acquired))
		ctx.contending = nil // reported once; the slow path then just waits
	}
	_ = m.lock(p, ctx, true)
}

// lock is __ww_mutex_lock; slow waits and never dies.
func (m *WWMutex) lock(p *des.Proc, ctx *WWAcquireCtx, slow bool) error {
	if ctx != nil && m.ctx == ctx {
		return ErrAlready
	}
	m.checkCtx(ctx)
	acquireNest(p, m.class.mutexDep, instOf(m), readNone, 0, ctx)
	if ctx != nil {
		m.addWaiter(ctx)
		defer m.removeWaiter(ctx)
	}
	die := false
	m.wq.Wait(p, func() bool {
		die = !slow && m.owner != nil && m.mustDie(ctx)
		return die || m.owner == nil
	})
	if die {
		release(p, m.class.mutexDep, instOf(m))
		ctx.contending = m
		p.Trace(evWWDeadlk, m.name, ctxStamp(ctx), ctxStamp(m.ctx))
		return ErrDeadlk
	}
	m.take(p, ctx)
	p.Trace(evWWLocked, m.name, ctxStamp(ctx), 0)
	return nil
}

// checkCtx is the debug checks of ww_mutex_lock_acquired.
func (m *WWMutex) checkCtx(ctx *WWAcquireCtx) {
	if ctx == nil {
		return
	}
	if ctx.done {
		ctx.warn("done", "ww_ctx->done_acquire", wwMutexLockH, "ww_mutex_lock_acquired",
			fmt.Sprintf("ww_mutex_lock(%s) after ww_acquire_done", m.name))
	}
	if ctx.contending == nil {
		return
	}
	if ctx.contending != m {
		ctx.warn("other", "ww_ctx->contending_lock != ww", wwMutexLockH, "ww_mutex_lock_acquired", fmt.Sprintf(
			"after -EDEADLK on %s you tried to acquire a different ww_mutex (%s)", ctx.contending.name, m.name))
	} else if ctx.acquired > 0 {
		ctx.warn("backoff", "ww_ctx->acquired > 0", wwMutexLockH, "ww_mutex_lock_acquired", fmt.Sprintf(
			"ww_mutex_lock(%s) after -EDEADLK without unlocking everything first", m.name))
	}
	ctx.contending = nil
}

// mustDie is __ww_mutex_check_kill for wait-die: a context holding locks dies if the
// holder's context or a waiting context is older.
func (m *WWMutex) mustDie(ctx *WWAcquireCtx) bool {
	if ctx == nil || ctx.acquired == 0 {
		return false
	}
	if m.ctx != nil && m.ctx.stamp < ctx.stamp {
		return true
	}
	for _, w := range m.waiters {
		if w.stamp < ctx.stamp {
			return true
		}
	}
	return false
}

// addWaiter queues ctx and wakes the waiters so that younger ones holding locks re-check
// and die (__ww_mutex_die).
func (m *WWMutex) addWaiter(ctx *WWAcquireCtx) {
	m.waiters = append(m.waiters, ctx)
	m.wq.WakeAll()
}

func (m *WWMutex) removeWaiter(ctx *WWAcquireCtx) {
	for i, w := range m.waiters {
		if w == ctx {
			m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
			return
		}
	}
}

func (m *WWMutex) take(p *des.Proc, ctx *WWAcquireCtx) {
	m.owner, m.ctx = p, ctx
	if ctx != nil {
		ctx.acquired++
		m.wq.WakeAll() // __ww_mutex_check_waiters: younger waiters may now have to die
	}
}

// TryLock is ww_mutex_trylock: take the lock if free, never wait and never die.
func (m *WWMutex) TryLock(p *des.Proc, ctx *WWAcquireCtx) bool {
	p.Point(evWWTrylock, m.name, ctxStamp(ctx), 0)
	if m.owner != nil {
		return false
	}
	acquireNest(p, m.class.mutexDep, instOf(m), readNone, flTrylock, ctx)
	m.take(p, ctx)
	return true
}

// Unlock is ww_mutex_unlock.
func (m *WWMutex) Unlock(p *des.Proc) {
	p.Point(evWWUnlock, m.name, ctxStamp(m.ctx), 0)
	release(p, m.class.mutexDep, instOf(m))
	if m.owner == nil {
		return
	}
	if m.ctx != nil {
		m.ctx.acquired--
	}
	m.owner, m.ctx = nil, nil
	m.wq.WakeAll()
}

func ctxStamp(ctx *WWAcquireCtx) int64 {
	if ctx == nil {
		return 0
	}
	return int64(ctx.stamp)
}
