// Package microtest holds scenario-free micro tests that combine model/pci, model/mem,
// model/irq and model/workqueue: small hand-built stories from the seed threads, checked both
// ways (the buggy driver fires the oracle, the fixed one does not) without any workload.
package microtest
