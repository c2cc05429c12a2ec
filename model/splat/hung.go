package splat

import (
	"fmt"
	"strings"
)

// JobTimeoutReport is a published fence that never signalled: the run went quiet with it
// pending, so its job's timeout is the first thing that would fire.
type JobTimeoutReport struct {
	Ring              string // the fence's timeline (the scheduler's name)
	Signaled, Emitted uint64 // the timeline's last seqno in order signalled, and the last one handed out
	Fence             string
	Context, Seqno    uint64
	Publisher         Site         // who published it (Task "" for set-up code)
	At                fmt.Stringer // when the run quiesced
}

// JobTimedout prints drm_sched_job_timedout's report through amdgpu_job_timedout's
// (drivers/gpu/drm/amd/amdgpu/amdgpu_job.c) "ring %s timeout, signaled seq=%u, emitted
// seq=%u" and its process information, the only mainline timedout_job that prints the
// timeline's seqnos; the seqnos move from the title to the line after it.
func JobTimedout(r JobTimeoutReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[drm:drm_sched_job_timedout] *ERROR* ring %s timeout\n", r.Ring)
	fmt.Fprintf(&b, "signaled seq=%d, emitted seq=%d\n", r.Signaled, r.Emitted)
	fmt.Fprintf(&b, "fence %s (context %d seqno %d) published, never signalled\n", r.Fence, r.Context, r.Seqno)
	if r.Publisher.Task == "" {
		b.WriteString("Process information: published by set-up code\n")
	} else {
		fmt.Fprintf(&b, "Process information: process %s pid %d thread %s pid %d\n",
			r.Publisher.Task, r.Publisher.PID, r.Publisher.Task, r.Publisher.PID)
	}
	if r.At != nil {
		fmt.Fprintf(&b, " at %v, the run quiesced\n", r.At)
	}
	return strings.TrimRight(b.String(), "\n")
}

// softLockupSecs is what the soft-lockup report says a CPU was stuck for: the threshold,
// 2 * watchdog_thresh (10 s by default), since the model's spin never ends.
const softLockupSecs = 20

// SoftLockup prints watchdog_timer_fn's report (kernel/watchdog.c, pr_fmt "watchdog: "): the
// task at s spins and never schedules; detail says on what. The task ("[comm:pid]") moves
// from the title to the line after it.
func SoftLockup(detail string, s Site) string {
	var b strings.Builder
	fmt.Fprintf(&b, "watchdog: BUG: soft lockup - CPU#0 stuck for %ds!\n", softLockupSecs)
	fmt.Fprintf(&b, "[%s:%d]\n", s.Task, s.PID)
	fmt.Fprintf(&b, "CPU: 0 PID: %d Comm: %s\n", s.PID, s.Task)
	b.WriteString(detail + "\n")
	s.write(&b)
	return strings.TrimRight(b.String(), "\n")
}

// wqWatchdogSecs is wq_watchdog_thresh's default: a pool with pending work and no progress
// for this long is a lockup.
const wqWatchdogSecs = 30

// pool is pr_cont_pool_info for the model's one pool.
const pool = "cpus=0 node=0 flags=0x0 nice=0"

// WorkqueueLockup prints wq_watchdog_timer_fn's report with show_all_workqueues' entry for
// wq (kernel/workqueue.c): pending and inFlight are the works queued and running on it
// ("pid:fn"), detail the work the model found stuck and how.
func WorkqueueLockup(wq string, pending, inFlight []string, detail string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BUG: workqueue lockup - pool %s stuck for %ds!\n", pool, wqWatchdogSecs)
	fmt.Fprintf(&b, "Showing busy workqueues and worker pools:\nworkqueue %s: flags=0x0\n", wq)
	fmt.Fprintf(&b, "  pwq 0: %s active=%d\n", pool, len(pending)+len(inFlight))
	if len(inFlight) > 0 {
		fmt.Fprintf(&b, "    in-flight: %s\n", strings.Join(inFlight, " "))
	}
	if len(pending) > 0 {
		fmt.Fprintf(&b, "    pending: %s\n", strings.Join(pending, ", "))
	}
	b.WriteString(detail)
	return b.String()
}

// hungTaskSecs is hung_task_timeout_secs' default.
const hungTaskSecs = 120

// HungTask prints check_hung_task's report (kernel/hung_task.c) with sched_show_task's task
// line and print_worker_info's "Workqueue:" line (work: the function, "" if not a worker):
// the task at s is blocked and nothing will wake it. The pid moves from the title to the
// task line; detail says what the model found.
func HungTask(work, detail string, s Site, heldLocks string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INFO: task %s blocked for more than %d seconds.\n", s.Task, hungTaskSecs)
	fmt.Fprintf(&b, "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n")
	fmt.Fprintf(&b, "task:%-15.15s state:D stack:0     pid:%d\n", s.Task, s.PID)
	if work != "" {
		fmt.Fprintf(&b, "Workqueue: %s\n", work)
	}
	b.WriteString(detail + "\n")
	s.write(&b)
	return withHeld(strings.TrimRight(b.String(), "\n"), heldLocks)
}
