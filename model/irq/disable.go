package irq

import (
	"fmt"

	"hotplugsim/des"
)

// DisableIRQNosync is disable_irq_nosync: the line is disabled (nesting), a running handler
// is not waited for. Allowed in any context.
func DisableIRQNosync(p *des.Proc, l *Line) {
	point(l, p, l.evDisable, int64(l.depth))
	l.depth++
}

// DisableIRQ is disable_irq: might_sleep (since v6.2, commit 17549b0f184d), then
// disable_irq_nosync and synchronize_irq. From atomic context, its own handler included, it
// is reported before it waits; while holding what the handler needs it deadlocks.
func DisableIRQ(p *des.Proc, l *Line) {
	mightSleep(l, p, "disable_irq")
	DisableIRQNosync(p, l)
	SynchronizeHardIRQ(p, l) // synchronize_irq; its might_sleep was just checked
}

// EnableIRQ is enable_irq: it undoes one disable; at depth 0 a pending raise is resent.
// An unbalanced enable is the kernel's WARN and panics here.
func EnableIRQ(p *des.Proc, l *Line) {
	point(l, p, l.evEnable, int64(l.depth))
	if l.depth == 0 {
		panic(fmt.Sprintf("WARNING: Unbalanced enable for IRQ %s", l.name))
	}
	l.depth--
	if l.depth == 0 && l.pending && !l.delivering {
		l.pending = false // check_irq_resend
		l.deliver()
	}
}

// SynchronizeHardIRQ is synchronize_hardirq: it spins until no handler of l is in progress.
// It may be called, with care, from atomic context.
func SynchronizeHardIRQ(p *des.Proc, l *Line) {
	point(l, p, l.evSync, 0)
	if p == nil {
		if l.running != nil {
			panic("irq: synchronize_irq outside any process while a handler runs")
		}
		return
	}
	l.idle.Spin(p, func() bool { return l.running == nil })
}

// SynchronizeIRQ is synchronize_irq: it waits until no handler of l is in progress. As in
// the kernel it spins first (__synchronize_hardirq), then may sleep (wait_event on the irq
// threads), so calling it from atomic context is reported even when no handler runs.
func SynchronizeIRQ(p *des.Proc, l *Line) {
	SynchronizeHardIRQ(p, l)
	mightSleep(l, p, "synchronize_irq")
}
