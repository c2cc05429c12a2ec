package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"hotplugsim/cmd/desrun/cli"
)

// sweepSeeds is how many seeds one benchmark op sweeps.
const sweepSeeds = 4000

// runsPerSecOne is -j 1's rate, the base of every other -j's efficiency.
var runsPerSecOne float64

// BenchmarkSweep runs 'desrun sweep' of the default scenario at -j 1, 2, 4, ... up to the
// machine's cores, as a user runs it (the sweep's own collector setting included), and
// reports runs/s, the efficiency per worker (runs/s over j × the -j 1 rate), allocations and
// bytes per run and collector cycles per 10,000 runs. Wall-clock figures are only comparable
// within one invocation on an otherwise idle machine; the allocation and GC figures are not
// sensitive to load.
func BenchmarkSweep(b *testing.B) {
	cores := runtime.NumCPU()
	if phys := physicalCores(); phys > 0 && phys < cores {
		b.Logf("%d logical CPUs on %d physical cores: workers beyond %d share a core's front end and "+
			"caches (SMT), so their efficiency per worker measures the cores, not the sweep", cores, phys, phys)
	}
	for j := 1; j <= cores; j *= 2 {
		b.Run("j="+strconv.Itoa(j), func(b *testing.B) { benchSweep(b, j) })
		if j < cores && 2*j > cores {
			j = cores / 2 // end with -j cores
		}
	}
}

func benchSweep(b *testing.B, j int) {
	args := []string{"sweep", "--seeds", fmt.Sprintf("1:%d", sweepSeeds), "-j", strconv.Itoa(j), "--json"}
	sweep := func() {
		if code := cli.Main(args, io.Discard, io.Discard); code != 0 {
			b.Fatalf("desrun %v: exit %d", args, code)
		}
	}
	sweep() // warm up: the first runs build each worker's pool
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		sweep()
	}
	b.StopTimer()
	elapsed := time.Since(start).Seconds()
	runtime.ReadMemStats(&after)
	runs := float64(b.N * sweepSeeds)
	rate := runs / elapsed
	if j == 1 {
		runsPerSecOne = rate
	}
	b.ReportMetric(rate, "runs/s")
	if runsPerSecOne > 0 {
		b.ReportMetric(rate/(float64(j)*runsPerSecOne), "eff/worker")
	}
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/runs, "allocs/run")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/runs, "B/run")
	b.ReportMetric(float64(after.NumGC-before.NumGC)*10000/runs, "GC/10k-runs")
}

// physicalCores counts the distinct cores of the online CPUs (Linux sysfs topology), or
// returns 0 where that is not known.
func physicalCores() int {
	lists, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/topology/core_cpus_list")
	if len(lists) == 0 {
		lists, _ = filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/topology/thread_siblings_list")
	}
	cores := map[string]bool{}
	for _, f := range lists {
		if b, err := os.ReadFile(f); err == nil {
			cores[strings.TrimSpace(string(b))] = true
		}
	}
	return len(cores)
}
