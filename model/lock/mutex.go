package lock

import (
	"hotplugsim/des"
)

var (
	evMutexLock    = des.L("mutex_lock")
	evMutexLocked  = des.L("mutex_locked")
	evMutexUnlock  = des.L("mutex_unlock")
	evMutexTrylock = des.L("mutex_trylock")
)

// Mutex is struct mutex (kernel/locking/mutex.c): a sleeping lock with one owner. Waiters
// sleep on a wait queue whose owner is the holder, so a deadlock report shows who holds
// what. As in the kernel, a newcomer may take a just-released mutex before the woken
// waiter runs (no handoff).
type Mutex struct {
	name  des.Label
	dep   *class
	owner *des.Proc
	wq    *des.WaitQueue
}

// NewMutex makes a mutex of lock class class (mutex_init; the class name is the key).
func NewMutex(sim *des.Sim, class string) *Mutex {
	m := mutexes.New(sim)
	m.dep = classOf(sim, class)
	m.name, m.wq = m.dep.label, des.NewWaitQueueLabel(sim, m.dep.label)
	m.wq.SetHolder(m)
	return m
}

// Lock is mutex_lock: might_sleep, lockdep, then wait until the mutex is free.
func (m *Mutex) Lock(p *des.Proc) {
	mightSleep(p, "kernel/locking/mutex.c", "mutex_lock", m.dep)
	p.Point(evMutexLock, m.name, 0, 0)
	acquire(p, m.dep, instOf(m), readNone, 0)
	m.wq.Wait(p, func() bool { return m.owner == nil })
	m.owner = p
	p.Trace(evMutexLocked, m.name, 0, 0)
}

// TryLock is mutex_trylock: it takes the mutex if it is free and never sleeps.
func (m *Mutex) TryLock(p *des.Proc) bool {
	p.Point(evMutexTrylock, m.name, 0, 0)
	if m.owner != nil {
		return false
	}
	m.owner = p
	acquire(p, m.dep, instOf(m), readNone, flTrylock)
	return true
}

// Unlock is mutex_unlock. Unlocking a mutex p does not hold is "bad unlock balance"; like
// the kernel, the mutex is released anyway if someone holds it.
func (m *Mutex) Unlock(p *des.Proc) {
	p.Point(evMutexUnlock, m.name, 0, 0)
	release(p, m.dep, instOf(m))
	if m.owner == nil {
		return
	}
	m.owner = nil
	m.wq.WakeOne()
}

// Owner is the holder, or nil (__mutex_owner).
func (m *Mutex) Owner() *des.Proc { return m.owner }

// IsLocked is mutex_is_locked.
func (m *Mutex) IsLocked() bool { return m.owner != nil }

// AssertHeld is lockdep_assert_held(&m): reported unless p holds m.
func (m *Mutex) AssertHeld(p *des.Proc) { assertHeld(p, m.dep, instOf(m)) }

// Name is the lock class name.
func (m *Mutex) Name() string { return m.dep.name }

// MightSleep is might_sleep() at an operation that is not a lock but may block (might_alloc
// of a blocking gfp mask, ...): reported against on's class if p is in atomic context.
// The report names include/linux/sched/mm.h, where might_alloc is.
func MightSleep(p *des.Proc, what string, on *Map) {
	mightSleep(p, "include/linux/sched/mm.h", what, on.dep)
}

// mightSleep is might_sleep() (kernel/sched/core.c __might_sleep): a sleeping lock called
// from atomic or irq context is a bug even when it would not block.
func mightSleep(p *des.Proc, file, what string, c *class) {
	if !p.InAtomic() {
		return
	}
	graphOf(p.Sim()).report(p, "sleep:"+what+":"+c.name+":"+p.String(), c.label,
		des.MightSleepSplat(p, file, what+" on "+c.name, heldLocks(p, taskOf(p))))
}
