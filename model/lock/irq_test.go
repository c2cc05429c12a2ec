package lock_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"hotplugsim/des"
	"hotplugsim/model/lock"
)

// An irq handler takes a spinlock that process context takes with irqs enabled: the
// handler can interrupt the holder on its CPU.
func TestIRQSafeLockTakenWithIRQsEnabled(t *testing.T) {
	sim := collect()
	l := lock.NewSpinLock(sim, "dev->irq_lock")
	sim.Spawn("hda_irq", des.IRQ, func(p *des.Proc) { l.Lock(p); l.Unlock(p) })
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) { p.Sleep(5); l.Lock(p); l.Unlock(p) })
	onlyLockOrder(t, sim.Run(), "WARNING: inconsistent lock state",
		"inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.",
		"ioctl#1 [task] takes:\n (dev->irq_lock){write}",
		"{IN-HARDIRQ-W} state was registered at:\n  hda_irq#0 at @0ns",
		"<Interrupt>")
}

// The reverse order of events reports the same inconsistency.
func TestIRQUnsafeLockThenTakenInIRQ(t *testing.T) {
	sim := collect()
	l := lock.NewSpinLock(sim, "L")
	sim.Spawn("task", des.Task, func(p *des.Proc) { l.Lock(p); l.Unlock(p) })
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { p.Busy(5); l.Lock(p); l.Unlock(p) })
	onlyLockOrder(t, sim.Run(), "inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.")
}

func TestIRQSafeLockWithIRQSaveIsFine(t *testing.T) {
	sim := collect()
	l := lock.NewSpinLock(sim, "dev->irq_lock")
	sim.Spawn("hda_irq", des.IRQ, func(p *des.Proc) { l.Lock(p); l.Unlock(p) })
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		l.LockIRQSave(p)
		p.Busy(3)
		l.UnlockIRQRestore(p)
	})
	requireOK(t, sim.Run())
}

// safe: S is taken in an irq. unsafe: U is taken with irqs enabled. A task then takes U
// under S (irqs off): an irq taking S can interrupt a holder of U.
func TestHardirqSafeToUnsafeOrder(t *testing.T) {
	sim := collect()
	s, u := lock.NewSpinLock(sim, "S"), lock.NewSpinLock(sim, "U")
	sim.Spawn("plain", des.Task, func(p *des.Proc) { u.Lock(p); u.Unlock(p) })
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { p.Busy(5); s.Lock(p); s.Unlock(p) })
	sim.Spawn("nest", des.Task, func(p *des.Proc) {
		p.Sleep(10)
		s.LockIRQSave(p)
		u.Lock(p)
		u.Unlock(p)
		s.UnlockIRQRestore(p)
	})
	onlyLockOrder(t, sim.Run(), "WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
		"which would create a new lock dependency:\n (S) -> (U)",
		"but this new dependency connects a HARDIRQ-irq-safe lock:\n (S){IN-HARDIRQ-W}",
		"to a HARDIRQ-irq-unsafe lock:\n (U){HARDIRQ-ON-W}")
}

// The same dependency first, the usage after: marking U unsafe finds S behind it.
func TestIRQLockInversionOnUsageChange(t *testing.T) {
	sim := collect()
	s, u := lock.NewSpinLock(sim, "S"), lock.NewSpinLock(sim, "U")
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { s.Lock(p); s.Unlock(p) })
	sim.Spawn("nest", des.Task, func(p *des.Proc) {
		p.Sleep(5)
		s.LockIRQSave(p)
		u.Lock(p)
		u.Unlock(p)
		s.UnlockIRQRestore(p)
	})
	sim.Spawn("plain", des.Task, func(p *des.Proc) { p.Sleep(10); u.Lock(p); u.Unlock(p) })
	v := onlyLockOrder(t, sim.Run(), "WARNING: possible irq lock inversion dependency detected",
		"plain#2 just changed the state of lock:\n (U)",
		"but this lock was taken by another, HARDIRQ-safe lock in the past:\n (S){IN-HARDIRQ-W}")
	assert.Equal(t, "plain", v.Proc)
}

func TestIRQSafeChainWithIRQsOffEverywhereIsFine(t *testing.T) {
	sim := collect()
	s, u := lock.NewSpinLock(sim, "S"), lock.NewSpinLock(sim, "U")
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { s.Lock(p); u.Lock(p); u.Unlock(p); s.Unlock(p) })
	sim.Spawn("task", des.Task, func(p *des.Proc) {
		p.Sleep(5)
		u.LockIRQSave(p)
		u.UnlockIRQRestore(p)
		s.LockIRQSave(p)
		u.Lock(p)
		u.Unlock(p)
		s.UnlockIRQRestore(p)
	})
	requireOK(t, sim.Run())
}
