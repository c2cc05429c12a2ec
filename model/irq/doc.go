// Package irq models a Linux interrupt line: request_irq/free_irq of a handler, raising the
// line from device code, and disable_irq/enable_irq/synchronize_irq.
//
// A Raise delivers the interrupt by spawning the line's handler as a des.IRQ process (hard
// interrupt context: it may not sleep). One handler instance runs per line at a time: a raise
// while the handler runs, or while the line is disabled, sets the line pending (IRQS_PENDING);
// the running handler replays it when it returns (the handle_edge_irq loop) and EnableIRQ
// resends it (check_irq_resend). SynchronizeIRQ spins until no handler is in progress, as
// __synchronize_hardirq does, so a caller that holds what the handler needs deadlocks and the
// engine reports the wait-for chain. A raise that finds no handler (after FreeIRQ) is a
// spurious interrupt: it is counted and traced ("nobody cared" in note_interrupt).
//
// Kernel sources read: kernel/irq/manage.c (__synchronize_hardirq, synchronize_irq,
// disable_irq_nosync, disable_irq, enable_irq, __free_irq, request_threaded_irq),
// kernel/irq/handle.c (handle_irq_event, __handle_irq_event_percpu), kernel/irq/chip.c
// (handle_edge_irq: IRQS_PENDING when in progress or disabled, replay loop).
//
// Simplified:
//   - one action per line (no IRQF_SHARED): the model's devices each own their line;
//   - no threaded handlers (request_threaded_irq's thread_fn): drivers in the seeds queue work;
//   - edge semantics only: raises while pending coalesce into one replay, as edge irqs do;
//   - a raise becomes a handler process; a raise whose process has not started yet is not
//     "in progress" (synchronize_irq does not wait for it), as with an irq still in flight
//     to a CPU; the handler re-checks disabled/action when it starts, as the flow handler does;
//   - free_irq clears a pending replay and does not shut the line down, so a later raise is
//     visible as spurious instead of being masked;
//   - an unbalanced EnableIRQ (the kernel's WARN) panics, which the engine reports as "panic".
package irq
