// Package irq models a Linux interrupt line: request_irq/free_irq of a handler, raising the
// line from device code, and disable_irq/enable_irq/synchronize_irq.
//
// A Raise delivers the interrupt by spawning the line's handler as a des.IRQ process (hard
// interrupt context: it may not sleep). One handler instance runs per line at a time: a raise
// while the handler runs, or while the line is disabled, sets the line pending (IRQS_PENDING);
// the running handler replays it when it returns (the handle_edge_irq loop) and EnableIRQ
// resends it (check_irq_resend). SynchronizeIRQ spins until no handler is in progress, as
// __synchronize_hardirq does (IRQD_IRQ_INPROGRESS stays set across a replay), so a caller that
// holds what the handler needs deadlocks and the engine reports the wait-for chain. DisableIRQ,
// SynchronizeIRQ, RequestIRQ and FreeIRQ report sleeping in atomic context (might_sleep). A
// raise that finds no handler (after FreeIRQ) is counted and traced as spurious.
//
// Kernel sources read (linux-6.18.y; disable_irq's might_sleep is commit 17549b0f184d, v6.2):
// kernel/irq/manage.c (__synchronize_hardirq, synchronize_irq, disable_irq_nosync,
// disable_irq, enable_irq, __free_irq, request_threaded_irq, irq_thread), kernel/irq/handle.c
// (handle_irq_event, __handle_irq_event_percpu), kernel/irq/chip.c (handle_edge_irq: IRQS_PENDING
// when in progress or disabled, replay loop; irq_shutdown), kernel/irq/spurious.c (note_interrupt).
//
// Simplified:
//   - one action per line (no IRQF_SHARED): the model's devices each own their line;
//   - no threaded handlers, so no IRQ_WAKE_THREAD (manage.c irq_thread): drivers in the seeds
//     queue work from the hard handler instead;
//   - edge semantics only: raises while pending coalesce into one replay, as edge irqs do;
//   - a raise becomes a handler process; a raise whose process has not started yet is not
//     "in progress" (synchronize_irq does not wait for it), as with an irq still in flight
//     to a CPU on a chip without IRQCHIP_STATE_ACTIVE; the handler re-checks disabled/action
//     when it starts, as the flow handler does;
//   - free_irq sets depth 1 as irq_shutdown (chip.c) does, but clears a pending replay and
//     does not mask the line, so a later raise is visible as spurious, not replayed at the
//     next request_irq;
//   - no note_interrupt (spurious.c): IRQ_NONE is counted, but the line is never disabled
//     as "nobody cared" (99,900 unhandled of 100,000); runs raise far fewer;
//   - the kernel's WARNs (unbalanced EnableIRQ, FreeIRQ of a free line) panic, which the
//     engine reports as "panic".
package irq
