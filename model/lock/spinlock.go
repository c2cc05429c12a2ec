package lock

import "hotplugsim/des"

var (
	evSpinLock   = des.L("spin_lock")
	evSpinUnlock = des.L("spin_unlock")
	evSpinLocked = des.L("spin_locked")
)

// SpinLock is spinlock_t (include/linux/spinlock_api_smp.h): taking it disables preemption
// (p.EnterAtomic, so sleeping under it is reported by des) and a contended taker spins.
// LockIRQSave also disables hard irqs, which lockdep's irq-safety checks see.
type SpinLock struct {
	name  des.Label
	dep   *class
	owner *des.Proc
	wq    *des.WaitQueue
}

// NewSpinLock makes a spinlock of lock class class (spin_lock_init).
func NewSpinLock(sim *des.Sim, class string) *SpinLock {
	l := spinLocks.New(sim)
	l.dep = classOf(sim, class)
	l.name, l.wq = l.dep.label, des.NewWaitQueueLabel(sim, l.dep.label)
	l.wq.SetHolder(l)
	return l
}

// Lock is spin_lock: preempt_disable, lockdep, spin.
func (l *SpinLock) Lock(p *des.Proc) {
	p.Point(evSpinLock, l.name, 0, 0)
	p.EnterAtomic()
	l.lock(p)
}

// LockIRQSave is spin_lock_irqsave: local_irq_save, preempt_disable, lockdep, spin.
func (l *SpinLock) LockIRQSave(p *des.Proc) {
	p.Point(evSpinLock, l.name, 1, 0)
	p.EnterAtomic()
	taskOf(p).irqOff++
	l.lock(p)
}

func (l *SpinLock) lock(p *des.Proc) {
	acquire(p, l.dep, instOf(l), readNone, 0)
	l.wq.Spin(p, func() bool { return l.owner == nil })
	l.owner = p
	p.Trace(evSpinLocked, l.name, 0, 0)
}

// Unlock is spin_unlock.
func (l *SpinLock) Unlock(p *des.Proc) {
	p.Point(evSpinUnlock, l.name, 0, 0)
	if l.unlock(p) {
		p.ExitAtomic()
	}
}

// UnlockIRQRestore is spin_unlock_irqrestore.
func (l *SpinLock) UnlockIRQRestore(p *des.Proc) {
	p.Point(evSpinUnlock, l.name, 1, 0)
	if !l.unlock(p) {
		return
	}
	if t := taskOf(p); t.irqOff > 0 {
		t.irqOff--
		if t.irqOff == 0 && p.Kind() != des.IRQ {
			l.dep.g.markHeldLocks(p, t)
		}
	}
	p.ExitAtomic()
}

// unlock releases the lock if p holds it; otherwise lockdep reports the bad unlock and
// nothing changes.
func (l *SpinLock) unlock(p *des.Proc) bool {
	if !release(p, l.dep, instOf(l)) || l.owner != p {
		return false
	}
	l.owner = nil
	l.wq.WakeOne()
	return true
}

// Owner is the holder, or nil.
func (l *SpinLock) Owner() *des.Proc { return l.owner }

// IsLocked is spin_is_locked.
func (l *SpinLock) IsLocked() bool { return l.owner != nil }

// AssertHeld is lockdep_assert_held(&lock): reported unless p holds l.
func (l *SpinLock) AssertHeld(p *des.Proc) { assertHeld(p, l.dep, instOf(l)) }
