package splat

import (
	"fmt"
	"strings"
)

// withHeld appends lockdep_print_held_locks' list to a report.
func withHeld(report, heldLocks string) string {
	if heldLocks == "" {
		return report
	}
	return report + "\n" + strings.TrimRight(heldLocks, "\n")
}

// LockdepAssertHeld prints lockdep_assert_held's WARN_ON (include/linux/lockdep.h): a WARN at
// the asserting function fn of file, for the lock of class, with the locks the task does hold.
func LockdepAssertHeld(file, fn, class string, s Site, heldLocks string) string {
	return withHeld(WARN(file, fn, fmt.Sprintf("lockdep_assert_held(%s)", class), s), heldLocks)
}

// DebugLocksWarnOn prints DEBUG_LOCKS_WARN_ON(cond) (include/linux/debug_locks.h), which is
// WARN(1, "DEBUG_LOCKS_WARN_ON(%s)", #c): the message, first and free of run details, then
// __warn's lines for fn of file; detail says what the model saw, heldLocks what the task holds.
func DebugLocksWarnOn(cond, file, fn, detail string, s Site, heldLocks string) string {
	return withHeld(fmt.Sprintf("DEBUG_LOCKS_WARN_ON(%s)\n%s", cond, WARN(file, fn, detail, s)), heldLocks)
}

// SRCUReadUnlock prints srcu_read_unlock's WARN_ON_ONCE(idx & ~0x1) (include/linux/srcu.h)
// for an index that is none of the task's read sections of srcu (entered: their indexes,
// outermost first). An unlock with no read section at all is lockdep's bad unlock balance.
func SRCUReadUnlock(srcu string, idx int, entered []int, s Site, heldLocks string) string {
	in := make([]string, len(entered))
	for i, e := range entered {
		in[i] = fmt.Sprint(e)
	}
	msg := fmt.Sprintf("WARN_ON_ONCE(idx & ~0x1)\nsrcu_read_unlock(&%s, %d): the task's read sections of it hold idx %s",
		srcu, idx, strings.Join(in, ", "))
	return withHeld(WARN("include/linux/srcu.h", "srcu_read_unlock", msg, s), heldLocks)
}

// SuspiciousRCU prints lockdep_rcu_suspicious (kernel/locking/lockdep.c), the report of an
// RCU_LOCKDEP_WARN: the file and message of the check, the task, then the locks it holds.
func SuspiciousRCU(file, msg string, s Site, heldLocks string) string {
	var b strings.Builder
	b.WriteString("WARNING: suspicious RCU usage\n-----------------------------\n")
	fmt.Fprintf(&b, "%s %s!\n\nother info that might help us debug this:\n\n", file, msg)
	b.WriteString("rcu_scheduler_active = 2, debug_locks = 1\n")
	fmt.Fprintf(&b, "CPU: 0 PID: %d Comm: %s\n", s.PID, s.Task)
	s.write(&b)
	return withHeld(strings.TrimRight(b.String(), "\n"), heldLocks)
}

// RefcountWarn prints refcount_warn_saturate's WARN (lib/refcount.c) for an operation on
// a refcount_t of the object obj: msg is its line, "refcount_t: addition on 0;
// use-after-free." or "refcount_t: underflow; use-after-free.".
func RefcountWarn(msg, obj string, s Site) string {
	return WARN("lib/refcount.c", "refcount_warn_saturate", msg+"\nobject: "+obj, s)
}
