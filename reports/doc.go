// Package reports turns simulation output into what a kernel developer reviews: latency plots
// (CDF, histogram, policy comparison), a swimlane timeline of one run, Chrome trace JSON that
// opens in Perfetto, a text timeline, the causal slice of a violation, and a self-contained
// HTML sweep report. It knows nothing about kernels: its inputs are des trace events, process
// names, violations and metrics histograms (package des/metrics, which the model imports).
//
// # Spans
//
// Spans are derived from trace events (see Spans):
//
//   - Model spans: an event whose Kind ends in ":begin" opens a span named by the text before
//     the colon; the next event of the same process with Kind "<name>:end" and the same Obj
//     closes it. Spans nest (a fault inside an ioctl). Model code emits, e.g.,
//     p.Trace(ioctlBegin, kindLabel, 0, 0) ... p.Trace(ioctlEnd, kindLabel, ret, 0).
//   - "block" on queue Q, then "wake" or "timeout" on Q of the same process: a wait span named
//     "wait" with Obj Q.
//   - "sleep", "busy" and "preempt" with A = duration: spans of that length from the event.
//
// A span still open when the events end is closed at the last event's time and marked Open.
//
// # Determinism
//
// Nothing here reads the wall clock or iterates a map into output: the same input gives
// byte-identical files (SVG, Chrome JSON, text, HTML). PNG output is deterministic for a given
// gonum/plot version.
package reports
