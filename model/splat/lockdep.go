package splat

import (
	"fmt"
	"strings"
)

const dashes = "------------------------------------------------------"

// Lock is a held or wanted lock as lockdep prints it: "(class){usage}, at: site".
type Lock struct {
	Class string
	State string // the read/usage letters between braces
	Site  string // where it was taken: task, time and trace #
}

// Link is one step of an existing dependency chain: Class was taken while holding Prev.
type Link struct {
	Class, Prev, Site string
}

// CircularReport is a new dependency Held -> Want that closes a cycle through Chain.
type CircularReport struct {
	Task       string // NAME/PID
	Want, Held Lock
	Chain      []Link // the existing chain, in reverse order (#N first, #1 last)
	// Source, Parent and Target name print_circular_lock_scenario's three classes.
	Source, Parent, Target string
	HeldLocks              string // lockdep_print_held_locks
}

// CircularBug prints print_circular_bug.
func CircularBug(r CircularReport) string {
	var b strings.Builder
	b.WriteString("WARNING: possible circular locking dependency detected\n" + dashes + "\n")
	fmt.Fprintf(&b, "%s is trying to acquire lock:\n (%s){%s}, at: %s\n\n"+
		"but task is already holding lock:\n (%s){%s}, at: %s\n\n"+
		"which lock already depends on the new lock.\n\n"+
		"the existing dependency chain (in reverse order) is:\n",
		r.Task, r.Want.Class, r.Want.State, r.Want.Site, r.Held.Class, r.Held.State, r.Held.Site)
	for i, l := range r.Chain {
		fmt.Fprintf(&b, "\n-> #%d (%s):\n       taken while holding (%s) by %s\n", len(r.Chain)-i, l.Class, l.Prev, l.Site)
	}
	fmt.Fprintf(&b, "\n-> #0 (%s):\n       taken now while holding (%s) by %s\n", r.Want.Class, r.Held.Class, r.Want.Site)
	b.WriteString("\nother info that might help us debug this:\n\n")
	if r.Parent != r.Source {
		fmt.Fprintf(&b, "Chain exists of:\n  %s --> %s --> %s\n\n", r.Source, r.Parent, r.Target)
	}
	fmt.Fprintf(&b, " Possible unsafe locking scenario:\n\n"+
		"       CPU0                    CPU1\n"+
		"       ----                    ----\n"+
		"  lock(%s);\n"+
		"                               lock(%s);\n"+
		"                               lock(%s);\n"+
		"  lock(%s);\n\n *** DEADLOCK ***\n\n", r.Target, r.Parent, r.Target, r.Source)
	b.WriteString(r.HeldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// UsageReport is a lock class used in two incompatible irq states.
type UsageReport struct {
	Old, New  string // usage names, e.g. "HARDIRQ-ON-W", "IN-HARDIRQ-W"
	Task      string // NAME/PID
	Context   string // task, irq, ...
	Lock      Lock
	OldSite   string // where Old was registered
	HeldLocks string
}

// UsageBug prints print_usage_bug ("inconsistent lock state").
func UsageBug(r UsageReport) string {
	var b strings.Builder
	b.WriteString("WARNING: inconsistent lock state\n" + dashes + "\n")
	fmt.Fprintf(&b, "inconsistent {%s} -> {%s} usage.\n"+
		"%s [%s] takes:\n (%s){%s}, at: %s\n{%s} state was registered at:\n  %s\n"+
		"\nother info that might help us debug this:\n"+
		" Possible unsafe locking scenario:\n\n       CPU0\n       ----\n  lock(%s);\n"+
		"  <Interrupt>\n    lock(%s);\n\n *** DEADLOCK ***\n\n",
		r.Old, r.New, r.Task, r.Context, r.Lock.Class, r.Lock.State, r.Lock.Site, r.Old, r.OldSite,
		r.Lock.Class, r.Lock.Class)
	b.WriteString(r.HeldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// BadIRQReport is a new dependency Held -> Want joining a HARDIRQ-safe class to a
// HARDIRQ-unsafe one.
type BadIRQReport struct {
	Task         string // NAME/PID
	Want, Held   Lock
	Safe, Unsafe Lock // Site: where the class became irq-safe / irq-unsafe
	HeldLocks    string
}

// BadIRQDependency prints print_bad_irq_dependency.
func BadIRQDependency(r BadIRQReport) string {
	var b strings.Builder
	b.WriteString("WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected\n" + dashes + "\n")
	fmt.Fprintf(&b, "%s is trying to acquire:\n (%s){%s}, at: %s\n\nand this task is already holding:\n (%s){%s}\n"+
		"which would create a new lock dependency:\n (%s) -> (%s)\n\n"+
		"but this new dependency connects a HARDIRQ-irq-safe lock:\n (%s){%s}\n"+
		"... which became HARDIRQ-irq-safe at:\n  %s\n\nto a HARDIRQ-irq-unsafe lock:\n (%s){%s}\n"+
		"... which became HARDIRQ-irq-unsafe at:\n  %s\n\n"+
		"other info that might help us debug this:\n\n"+
		" Possible interrupt unsafe locking scenario:\n\n"+
		"       CPU0                    CPU1\n       ----                    ----\n"+
		"  lock(%s);\n                               local_irq_disable();\n"+
		"                               lock(%s);\n                               lock(%s);\n"+
		"  <Interrupt>\n    lock(%s);\n\n *** DEADLOCK ***\n\n",
		r.Task, r.Want.Class, r.Want.State, r.Want.Site, r.Held.Class, r.Held.State,
		r.Held.Class, r.Want.Class,
		r.Safe.Class, r.Safe.State, r.Safe.Site, r.Unsafe.Class, r.Unsafe.State, r.Unsafe.Site,
		r.Unsafe.Class, r.Safe.Class, r.Unsafe.Class, r.Safe.Class)
	b.WriteString(r.HeldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// HeldLocks prints lockdep_print_held_locks: the locks task holds, outermost first.
func HeldLocks(task string, locks []Lock) string {
	if len(locks) == 0 {
		return fmt.Sprintf("no locks held by %s.", task)
	}
	var b strings.Builder
	s := "s"
	if len(locks) == 1 {
		s = ""
	}
	fmt.Fprintf(&b, "%d lock%s held by %s:", len(locks), s, task)
	for i, l := range locks {
		fmt.Fprintf(&b, "\n #%d: (%s){%s}, at: %s", i, l.Class, l.State, l.Site)
	}
	return b.String()
}

// DeadlockReport is a lock class taken again while the task holds it (AA).
type DeadlockReport struct {
	Task       string // NAME/PID
	Want, Held Lock
	HeldLocks  string
}

// DeadlockBug prints print_deadlock_bug ("possible recursive locking detected") with
// print_deadlock_scenario.
func DeadlockBug(r DeadlockReport) string {
	var b strings.Builder
	b.WriteString("WARNING: possible recursive locking detected\n" + dashes[:44] + "\n")
	fmt.Fprintf(&b, "%s is trying to acquire lock:\n (%s){%s}, at: %s\n\n"+
		"but task is already holding lock:\n (%s){%s}, at: %s\n\n"+
		"other info that might help us debug this:\n"+
		" Possible unsafe locking scenario:\n\n       CPU0\n       ----\n  lock(%s);\n  lock(%s);\n"+
		"\n *** DEADLOCK ***\n\n May be due to missing lock nesting notation\n\n",
		r.Task, r.Want.Class, r.Want.State, r.Want.Site, r.Held.Class, r.Held.State, r.Held.Site,
		r.Held.Class, r.Want.Class)
	b.WriteString(r.HeldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// UnlockImbalanceBug prints print_unlock_imbalance_bug: task releases a lock of class it
// does not hold; at is where.
func UnlockImbalanceBug(task, class, at, heldLocks string) string {
	var b strings.Builder
	b.WriteString("WARNING: bad unlock balance detected!\n" + dashes[:37] + "\n")
	fmt.Fprintf(&b, "%s is trying to release lock (%s) at:\n  %s\n"+
		"but there are no more locks to release!\n\nother info that might help us debug this:\n",
		task, class, at)
	b.WriteString(heldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// NestedLockNotHeld prints print_lock_nested_lock_not_held: want is taken under the nest
// lock nest, which the task does not hold.
func NestedLockNotHeld(task string, want Lock, nest, heldLocks string) string {
	var b strings.Builder
	b.WriteString("WARNING: Nested lock was not taken\n" + dashes[:34] + "\n")
	fmt.Fprintf(&b, "%s is trying to lock:\n (%s){%s}, at: %s\n\nbut this task is not holding:\n%s\n"+
		"\nother info that might help us debug this:\n",
		task, want.Class, want.State, want.Site, nest)
	b.WriteString(heldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// MaxLockDepth prints __lock_acquire's held-lock overflow: print_lockdep_off's title, the
// depth and the bound, the lock being taken, and the locks held.
func MaxLockDepth(task string, depth, max int, want Lock, heldLocks string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BUG: MAX_LOCK_DEPTH too low!\nturning off the locking correctness validator.\n"+
		"depth: %d  max: %d!\n%s is trying to acquire lock:\n (%s){%s}, at: %s\n\n",
		depth, max, task, want.Class, want.State, want.Site)
	b.WriteString(heldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// HeldLocksBug prints print_held_locks_bug (debug_check_no_locks_held at do_exit): comm is
// the task's name, in the title without its pid; task is NAME/PID.
func HeldLocksBug(comm, task, heldLocks string) string {
	return fmt.Sprintf("WARNING: %s still has locks held!\n%s\n%s is exiting with locks still held!\n%s",
		comm, dashes[:36], task, heldLocks)
}

// InversionReport is a lock class whose new irq usage inverts, through the dependency graph,
// the order of another class used in the opposite irq state.
type InversionReport struct {
	Task      string // NAME/PID
	Lock      Lock   // the class whose state changed
	Other     Lock   // the class it took (Forwards), or that took it, in the past
	Forwards  bool   // Lock is HARDIRQ-safe and took the HARDIRQ-unsafe Other
	HeldLocks string
}

// IRQInversionBug prints print_irq_inversion_bug with print_irq_lock_scenario (the direct
// case: the model does not print the middle of a longer chain).
func IRQInversionBug(r InversionReport) string {
	var b strings.Builder
	b.WriteString("WARNING: possible irq lock inversion dependency detected\n" + strings.Repeat("-", 56) + "\n")
	fmt.Fprintf(&b, "%s just changed the state of lock:\n (%s){%s}, at: %s\n", r.Task, r.Lock.Class, r.Lock.State, r.Lock.Site)
	safe, unsafe := r.Lock, r.Other
	if r.Forwards {
		b.WriteString("but this lock took another, HARDIRQ-unsafe lock in the past:\n")
	} else {
		b.WriteString("but this lock was taken by another, HARDIRQ-safe lock in the past:\n")
		safe, unsafe = r.Other, r.Lock
	}
	fmt.Fprintf(&b, " (%s){%s}\n\nand interrupts could create inverse lock ordering between them.\n\n"+
		"\nother info that might help us debug this:\n"+
		" Possible interrupt unsafe locking scenario:\n\n"+
		"       CPU0                    CPU1\n       ----                    ----\n"+
		"  lock(%s);\n                               local_irq_disable();\n"+
		"                               lock(%s);\n                               lock(%s);\n"+
		"  <Interrupt>\n    lock(%s);\n\n *** DEADLOCK ***\n\n",
		r.Other.Class, r.Other.State, unsafe.Class, safe.Class, unsafe.Class, safe.Class)
	b.WriteString(r.HeldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// LockHeldReturningToUser prints lockdep_sys_exit's report: task returns from a system call
// with locks still held.
func LockHeldReturningToUser(task, heldLocks string) string {
	return fmt.Sprintf("WARNING: lock held when returning to user space!\n%s\n%s is leaving the kernel with locks still held!\n%s",
		strings.Repeat("-", 48), task, heldLocks)
}
