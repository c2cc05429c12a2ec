// Package metrics records latencies in virtual time as exact, mergeable histograms.
//
// It lives under des (not reports) because the kernel model records metrics and imports only
// downward; it imports nothing but des. Model code holds a *Recorder (or finds the one attached to its Sim with Of) and calls Observe. A nil
// *Recorder is valid and records nothing, so metrics are off by default and cost one nil check.
// Recording never yields, draws randomness or emits trace events: a run behaves the same with
// metrics on or off.
//
// # Metrics
//
// Every value is a des.Duration (ns of virtual time). Names are constants, or built by a
// helper when they carry a key (an ioctl kind, a device); build those once, at construction.
//
//	name                      from → to                                          recorded by
//	ioctl/<kind>              ioctl entry → return (any result, incl. -ENODEV)   drm ioctl dispatch
//	fault                     first fault entry → PTE installed, SIGBUS/OOM      mm user fault (the
//	                          or SIGSEGV, including every VM_FAULT_RETRY loop    ttm/driver handler
//	fault-retry               one VM_FAULT_RETRY round trip: entry of the        runs inside it)
//	                          attempt that returned it → fault re-entered
//	fence                     dma_fence published → signalled                    fence (any signaller)
//	fence-after-unplug        unplug start → signal of a fence pending then      fence, from MarkUnplug
//	unplug-remove             pci remove start → remove callback returns         pci
//	unplug-release            pci remove start → last drm_dev_put (release)      drm
//	barmove-stall/<device>    rescan_prepare → rescan_done, per device           pci (movable BARs)
//	barmove-blocked           a fault that retried during a BAR move: the        mm, from BeginMove
//	                          blocked attempt's entry → the fault resolved
//	irq-work                  IRQ raised → work item starts running              irq / workqueue
//
// Where the start and the end of a span are seen by packages that do not import each other,
// marks carry the start (marks.go): pci's remove start (BeginUnplug, per process, and
// MarkUnplug, per simulation) reaches drm and fence; a BAR move in progress (BeginMove) reaches
// mm; an IRQ's raise (SetIRQRaise, on the handler's process) reaches workqueue.
//
// # Quantiles
//
// A Histogram keeps every distinct value with its count, so quantiles are exact: Quantile(q)
// is the nearest-rank value, the smallest v with at least ceil(q·n) observations ≤ v (q given
// to 6 decimal places). Merge adds counts, so it is associative and commutative, and a sweep's
// shards merge to the same figures whatever the order.
//
// # File format
//
// A Recorder encodes as one JSON object (see Format); a Histogram as
// {"count": n, "ns": [[value, count], ...]} with values strictly increasing. Encoding is
// byte-identical for the same observations, whatever order they came in.
package metrics
