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
