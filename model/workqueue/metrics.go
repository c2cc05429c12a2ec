package workqueue

import (
	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// Metrics: irq-work, from the raise of the IRQ whose handler queued a work item (model/irq
// sets it on the handler's process) to the worker starting the item, before its scheduling
// point (process_one_work's entry). Counted once per queueing instance; delayed work queued
// from an IRQ counts its delay too. Only with metrics on.

// noteIRQ remembers, for the instance just made pending by p, the raise of the IRQ p handles.
func (w *Work) noteIRQ(p *des.Proc, wq *Workqueue) {
	if !wq.rec.On() {
		return
	}
	w.irqGen = 0
	if t, ok := metrics.IRQRaise(p); ok {
		w.irqAt, w.irqGen = t, w.gen
	}
}

// observeIRQWork records irq-work when a worker starts an instance queued from an IRQ.
func (wq *Workqueue) observeIRQWork(w *Work) {
	if !wq.rec.On() || w.irqGen == 0 || w.irqGen != w.runGen {
		return
	}
	w.irqGen = 0
	wq.rec.ObserveSpan(metrics.IrqWork, w.irqAt, wq.sim.Now())
}
