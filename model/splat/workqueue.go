package splat

import (
	"fmt"
	"strings"
)

// WorkqueueLeakReport is a work function that returned with a lock held or in atomic context.
type WorkqueueLeakReport struct {
	Comm      string // the worker's name
	PID       int
	Preempt   int // preempt_count after the function (its atomic sections)
	LocksFrom int // lockdep depth before the function
	LocksTo   int // and after
	WorkFn    string
	HeldLocks string
}

// WorkqueueLeak prints process_one_work's report; the worker's pid moves from the title
// ("comm[pid]") to the line after it.
func WorkqueueLeak(r WorkqueueLeakReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BUG: workqueue leaked atomic, lock or RCU: %s\n"+
		"     pid=%d preempt=0x%08x lock=%d->%d RCU=0->0 workfn=%s\n",
		r.Comm, r.PID, r.Preempt, r.LocksFrom, r.LocksTo, r.WorkFn)
	b.WriteString(r.HeldLocks)
	return strings.TrimRight(b.String(), "\n")
}

// DrainIncomplete prints drain_workqueue's warning once flushing has not emptied wq after
// tries passes (the kernel goes on flushing; the model gives up there).
func DrainIncomplete(wq string, tries int, s Site) string {
	var b strings.Builder
	fmt.Fprintf(&b, "workqueue %s: drain_workqueue() isn't complete after %d tries\n", wq, tries)
	fmt.Fprintf(&b, "CPU: 0 PID: %d Comm: %s\n", s.PID, s.Task)
	s.write(&b)
	return strings.TrimRight(b.String(), "\n")
}

// DestroyBusy prints destroy_workqueue's WARN_ON(pwq_busy(pwq)) with its pr_warn and
// show_pwq: pending and in-flight are the works queued and running on wq.
func DestroyBusy(wq string, pending, inFlight []string, s Site) string {
	msg := fmt.Sprintf("destroy_workqueue: %s has the following busy pwq\n  pwq 0: cpus=0 active=%d",
		wq, len(pending)+len(inFlight))
	if len(inFlight) > 0 { // show_pwq prints each list only when it has works
		msg += "\n    in-flight: " + strings.Join(inFlight, ", ")
	}
	if len(pending) > 0 {
		msg += "\n    pending: " + strings.Join(pending, ", ")
	}
	return WARN("kernel/workqueue.c", "destroy_workqueue", msg, s)
}
