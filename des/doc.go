// Package des is hotplugsim's engine: a deterministic discrete-event simulator whose
// processes are ordinary sequential Go functions run as coroutines (iter.Pull), exactly one at
// a time, in virtual time.
//
// # Time, processes and scheduling points
//
// Time is int64 virtual nanoseconds; nothing here reads the wall clock. A process (Task, IRQ,
// Worker or Timer) runs until it reaches a scheduling point: Yield, Point, Sleep, Busy, or a
// wait. Among the processes enabled at the current instant a Strategy picks who runs the next
// step (fifo, random, random:<max delay>, pct:D[:K], pct:D:K@P/C, mix, replay) and may
// deschedule the pick for a while (a preemption delay). Time advances only when nothing is
// enabled. The moment of an external event bounded to a range (Proc.SleepRange, usleep_range
// for a card pull or an unbind) is drawn uniformly under fifo and explored by the other
// strategies, which try the waiting moments in the range. Config.Strategy names a shipped
// strategy (ParseStrategy, what the command line and tapes spell); a Go caller may instead
// pass a Strategy value, its own type included, as Config.Scheduler.
//
// # Randomness and the choice tape
//
// One seed, split into named Streams (Sim.Stream), is the only source of randomness. Every
// decision — strategy picks, preemption delays, every draw model or workload code makes — is
// recorded on the run's Tape. Replaying a tape (Config.Tape) reproduces the run exactly; a tape
// that ends early or holds values that do not fit yields the default 0 and the Result says so,
// so a shrinker may cut and zero tapes freely. See TapeFormat for the file format. A stream
// keeps consecutive draws of one kind as a counted run and regenerates their values from its
// seed, so recording costs a counter increment per draw; Result.Tape expands the tape on
// first use.
//
// # Blocking, liveness and violations
//
// WaitQueue (wait_event, wait_event_timeout, wake_up) and Completion (complete, complete_all,
// wait_for_completion) know who waits for what. When nothing can run and nothing is pending
// while a non-daemon process waits, the run ends with a "deadlock" violation carrying the
// wait-for chain; a wait without timeout that outlives Config.HangTimeout is a "hang". Sleeping
// or blocking in IRQ or Timer context or inside an atomic section is reported as lockdep would
// ("lock-order", with model/splat's might_sleep report, MightSleepSplat). A panic in a process body is a
// "panic" violation with the process name and stack. Model code reports its own oracles with
// Sim.Violate. A run stops at the first violation unless Config.CollectAll is set, and budgets
// (Config.MaxEvents, Config.MaxTime) end it with Result.Budget naming which ran out. When Run
// returns, every process body has ended (suspended ones are unwound, running their defers; a
// kernel thread blocked at its top-level WaitStop or WaitIdleStop, as kthread_should_stop
// would, returns from it and leaves its body itself, which is cheaper than the unwinding),
// however the run ended, and no goroutine of the Sim is left: the coroutines bodies run on end
// with the run, unless Config.Pool lends them, in which case they wait idle in the Pool for
// the next run until Pool.Close (a sweep worker keeps one Pool for all its runs).
//
// # Trace and fingerprint
//
// Every engine and model event is a structured Event (time, seq, process, kind, object, two
// arguments). The last Config.TraceRing events are kept; Config.Sink receives all of them. A
// 64-bit fingerprint of the whole stream is always computed: same inputs and seed give the same
// fingerprint whatever GOMAXPROCS is and whatever else the process runs.
//
// # Kernel semantics followed
//
//   - include/linux/wait.h: wait_event / wait_event_timeout re-check the condition after every
//     wake-up; wake_up wakes waiters in FIFO order.
//   - kernel/sched/completion.c: complete() lets exactly one waiter through (or the next wait);
//     complete_all() lets everyone through until reinit_completion().
//   - kernel/sched/core.c (__might_sleep): "BUG: sleeping function called from invalid context".
//   - kernel/hung_task.c: khungtaskd reports tasks in uninterruptible sleep longer than
//     hung_task_timeout_secs (120 s by default). Simplified: the check is exact (at
//     blockedAt+HangTimeout) instead of periodic, because virtual time makes that free.
//
// # How the dispatcher stays fast
//
// Logically there is one loop (pick, run one step, advance time). Physically it runs in the
// coroutine that parks: a process picked again continues with no switch, and a hand-over to
// another process resumes it directly, nested under the current coroutine; an ancestor in that
// chain is reached by unwinding. Tests check this is observably identical to a central loop.
// Waits and sleeps park with as few frames as possible between the process body and the
// switch, because every return after a stack switch is mispredicted (~6.5 ns each): a
// completion or wait-queue wait is a loop around one call to the dispatcher, inlined into the
// body, so a hand-off returns through iter.Pull's closure, the dispatcher and the body. A
// trace event is recorded by a leaf function (no frame), the ring keeps 40-byte slots (label
// ids; the seq is the position), the timer queue is intrusive (a
// process knows its slot), and a coroutine's stack is grown once before the first body runs
// rather than copied at each doubling; with a Pool, coroutines carry one body after another.
// A model names its objects with the same strings run after run, so L and Join look a string
// up by its address in a direct-mapped cache before hashing its text, and PCT keeps each
// priority on its Proc.
package des
