package cli

import (
	"os"
	"runtime/debug"
)

// The collector during a sweep. A sweep's live heap is small and flat (each worker's reused
// run objects and coroutines, the batches waiting to be committed) while its workers allocate
// steadily, so with the default GOGC=100 the heap goal stays at the runtime's 4 MB minimum and
// the collector runs every few hundred runs, scanning every worker's coroutine stacks each
// time: its work grows with workers × allocation rate. Measured on the default scenario at
// -j 2 (GODEBUG=gctrace=1), in cycles per 10,000 runs: at ~46 KB allocated per run, GOGC=100
// ~190 and GOGC=800 ~15; at ~24 KB per run (100,000 seeds), a 64 MiB + 8 MiB per worker limit
// with GOGC off 3.8, and the setting below 1.9 (2.0 over 1,000,000 seeds), with a peak RSS
// of 147 MB for 100,000 and for 1,000,000 seeds.
//
// So a sweep turns the proportional collector off and bounds the heap by a memory limit that
// grows with the workers instead: the collector runs when the limit is reached, and the
// runtime's limit handling (at most ~50% of CPU for GC) still applies if a sweep's live heap
// ever approached it. GOGC or GOMEMLIMIT in the environment leave the runtime's settings
// alone.
const (
	sweepMemBase      = 128 << 20 // bytes of heap limit for the sweep itself
	sweepMemPerWorker = 8 << 20   // and per worker
)

// sweepGC sets the collector up for a sweep with workers workers; restore puts it back.
func sweepGC(workers int) (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := debug.SetMemoryLimit(int64(sweepMemBase + workers*sweepMemPerWorker))
	pct := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	}
}
