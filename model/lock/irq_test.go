package lock_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
)

// An irq handler takes a spinlock that process context takes with irqs enabled: the
// handler can interrupt the holder on its CPU.
func TestIRQSafeLockTakenWithIRQsEnabled(t *testing.T) {
	sim := modeltest.Collect()
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
	sim := modeltest.Collect()
	l := lock.NewSpinLock(sim, "L")
	sim.Spawn("task", des.Task, func(p *des.Proc) { l.Lock(p); l.Unlock(p) })
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { p.Busy(5); l.Lock(p); l.Unlock(p) })
	onlyLockOrder(t, sim.Run(), "inconsistent {HARDIRQ-ON-W} -> {IN-HARDIRQ-W} usage.")
}

func TestIRQSafeLockWithIRQSaveIsFine(t *testing.T) {
	sim := modeltest.Collect()
	l := lock.NewSpinLock(sim, "dev->irq_lock")
	sim.Spawn("hda_irq", des.IRQ, func(p *des.Proc) { l.Lock(p); l.Unlock(p) })
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		l.LockIRQSave(p)
		p.Busy(3)
		l.UnlockIRQRestore(p)
	})
	modeltest.OK(t, sim.Run())
}

// safe: S is taken in an irq. unsafe: U is taken with irqs enabled. A task then takes U
// under S (irqs off): an irq taking S can interrupt a holder of U.
func TestHardirqSafeToUnsafeOrder(t *testing.T) {
	sim := modeltest.Collect()
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
	sim := modeltest.Collect()
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
	sim := modeltest.Collect()
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
	modeltest.OK(t, sim.Run())
}

// irqSafeOverRecursiveRead: S, taken in hard irq, is held while M is taken as a recursive
// read; then a task called name takes M with take, irqs on.
func irqSafeOverRecursiveRead(name string, take func(*lock.Map, *des.Proc)) des.Result {
	sim := modeltest.Collect()
	s, m := lock.NewSpinLock(sim, "S"), lock.NewMap(sim, "M")
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { s.Lock(p); s.Unlock(p) })
	sim.Spawn("nest", des.Task, func(p *des.Proc) {
		p.Sleep(5)
		s.LockIRQSave(p)
		m.AcquireRead(p)
		m.Release(p)
		s.UnlockIRQRestore(p)
	})
	sim.Spawn(name, des.Task, func(p *des.Proc) { p.Sleep(10); take(m, p); m.Release(p) })
	return sim.Run()
}

// The irq checks follow strong paths only (lockdep.c __bfs with usage_match): with M then
// read-held with irqs on, a recursive reader of M never waits for another reader, so no
// deadlock: no report.
func TestIRQSafeToRecursiveReadIsNoInversion(t *testing.T) {
	modeltest.OK(t, irqSafeOverRecursiveRead("reader", (*lock.Map).AcquireRead))
}

// The same with M then taken for write with irqs on is a real inversion.
func TestIRQSafeToWriteIsInversion(t *testing.T) {
	onlyLockOrder(t, irqSafeOverRecursiveRead("writer", (*lock.Map).Acquire),
		"possible irq lock inversion dependency detected",
		"writer#2 just changed the state of lock:\n (M)", "HARDIRQ-safe lock in the past:\n (S)")
}

// M -(SN)-> U with U HARDIRQ-unsafe, then S -(ER)-> M under a HARDIRQ-safe S: the path
// S -> M -> U is not strong (a recursive read, then a shared holder), so check_irq_usage
// finds no unsafe lock forwards of M.
func TestIRQSafeOrderThroughRecursiveReadIsFine(t *testing.T) {
	sim := modeltest.Collect()
	s, m, u := lock.NewSpinLock(sim, "S"), lock.NewMap(sim, "M"), lock.NewSpinLock(sim, "U")
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { s.Lock(p); s.Unlock(p) })
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		p.Sleep(5)
		m.AcquireRead(p)
		u.Lock(p)
		u.Unlock(p)
		m.Release(p)
	})
	sim.Spawn("nest", des.Task, func(p *des.Proc) {
		p.Sleep(10)
		s.LockIRQSave(p)
		m.AcquireRead(p)
		m.Release(p)
		s.UnlockIRQRestore(p)
	})
	modeltest.OK(t, sim.Run())
}

// irqReadCase is the read/read case of lockdep.c's exclusive_mask comment: L1 is read in
// hard irq (IN-HARDIRQ-R), L2 read with irqs on (HARDIRQ-ON-R), and a task with irqs off
// takes L2 under L1 for write. A writer of L2 waits for the reader an irq interrupted, and
// that irq's read of L1 waits for the writer holding it.
func irqReadCase(dependencyFirst bool) des.Result {
	sim := modeltest.Collect()
	irqOff := lock.NewSpinLock(sim, "irq_off")
	l1, l2 := lock.NewMap(sim, "L1"), lock.NewMap(sim, "L2")
	at := func(first bool) des.Duration {
		if first {
			return 0
		}
		return 10
	}
	sim.Spawn("writer", des.Task, func(p *des.Proc) {
		p.Sleep(at(dependencyFirst))
		irqOff.LockIRQSave(p)
		l1.Acquire(p)
		l2.Acquire(p)
		l2.Release(p)
		l1.Release(p)
		irqOff.UnlockIRQRestore(p)
	})
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) {
		p.Busy(at(!dependencyFirst) + 1)
		l1.AcquireRead(p)
		l1.Release(p)
	})
	sim.Spawn("reader", des.Task, func(p *des.Proc) {
		p.Sleep(at(!dependencyFirst) + 2)
		l2.AcquireShared(p)
		l2.Release(p)
	})
	return sim.Run()
}

func TestIRQReadSafeToReadUnsafe(t *testing.T) {
	t.Run("usage after the dependency", func(t *testing.T) {
		v := onlyLockOrder(t, irqReadCase(true), "possible irq lock inversion dependency detected",
			"just changed the state of lock:\n (L2)", "HARDIRQ-safe lock in the past:\n (L1){IN-HARDIRQ-R}")
		assert.Equal(t, "reader", v.Proc)
	})
	t.Run("dependency after the usage", func(t *testing.T) {
		v := onlyLockOrder(t, irqReadCase(false), "HARDIRQ-safe -> HARDIRQ-unsafe lock order detected",
			"(L1){IN-HARDIRQ-R}", "to a HARDIRQ-irq-unsafe lock:\n (L2){HARDIRQ-ON-R}")
		assert.Equal(t, "writer", v.Proc)
	})
}

// spin_unlock_irqrestore of an outer lock re-enables irqs while an inner HARDIRQ-safe lock
// is still held: trace_hardirqs_on marks the held locks HARDIRQ-ON (mark_held_locks).
func TestIRQRestoreWithSafeLockStillHeld(t *testing.T) {
	run := func(outOfOrder bool) des.Result {
		sim := modeltest.Collect()
		x, s := lock.NewSpinLock(sim, "X"), lock.NewSpinLock(sim, "S")
		sim.Spawn("irq", des.IRQ, func(p *des.Proc) { s.Lock(p); s.Unlock(p) })
		sim.Spawn("task", des.Task, func(p *des.Proc) {
			p.Sleep(5)
			x.LockIRQSave(p)
			s.Lock(p)
			if outOfOrder {
				x.UnlockIRQRestore(p)
				s.Unlock(p)
				return
			}
			s.Unlock(p)
			x.UnlockIRQRestore(p)
		})
		return sim.Run()
	}
	modeltest.OK(t, run(false))
	onlyLockOrder(t, run(true), "WARNING: inconsistent lock state",
		"inconsistent {IN-HARDIRQ-W} -> {HARDIRQ-ON-W} usage.", "task#1 [task] takes:\n (S){write}")
}
