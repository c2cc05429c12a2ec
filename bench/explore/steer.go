package explore

import (
	"runtime"
	"sync"

	"hotplugsim/workloads"
)

// SteerStrategies are the strategies also measured under coverage steering, as rows named
// "<strategy>+steer" (workloads.SteerStrategy, what desrun sweep --steer runs).
var SteerStrategies = []string{"pct:2", "pct:3", "mix"}

// SteerSuffix names a steered row.
const SteerSuffix = "+steer"

// steered is one run of a generation.
type steered struct {
	fail bool
	n    int
	kind string
	cov  *workloads.Coverage
	pct  string // the PCT schedule it ran ("" if none)
}

// MeasureSteered is Measure under coverage steering: seeds run in generations of
// opt.Generation (0: workloads.DefaultGeneration); a run whose trace reached a new
// conflicting-operation order or event kind joins the corpus, in seed order, and the next
// generations steer from it. The result does not depend on the number of workers.
func MeasureSteered(prog Program, strategy string, k uint64, depth int, opt Options) Row {
	gen := opt.Generation
	if gen <= 0 {
		gen = workloads.DefaultGeneration
	}
	row := Row{Program: prog.Name, Depth: depth, K: k, Strategy: strategy + SteerSuffix}
	cov := workloads.NewCoverage()
	var corpus []workloads.CorpusEntry
	for lo := 1; lo <= opt.Seeds; lo += gen {
		hi := min(lo+gen-1, opt.Seeds)
		runs := runGeneration(prog, strategy, k, lo, hi, corpus[max(0, len(corpus)-workloads.MaxCorpus):], opt.Workers)
		for i, r := range runs {
			row.Runs++
			row.N = max(row.N, r.n)
			if r.fail {
				row.Fails++
				if row.First == 0 {
					row.First, row.Kind = lo+i, r.kind
				}
			}
			if r.pct != "" && cov.AddsOrder(r.cov) {
				corpus = append(corpus, workloads.CorpusEntry{Seed: uint64(lo + i), Schedule: r.pct})
			}
			cov.Merge(r.cov)
		}
		if opt.StopFirst && row.First > 0 {
			break
		}
	}
	row.Rate = float64(row.Fails) / float64(row.Runs)
	return row
}

// runGeneration runs seeds lo..hi steered by corpus, in parallel; the results are by seed.
func runGeneration(prog Program, strategy string, k uint64, lo, hi int, corpus []workloads.CorpusEntry, workers int) []steered {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]steered, hi-lo+1)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range next {
				st := workloads.SteerStrategy(strategy, uint64(seed), corpus)
				cfg := prog.Config(uint64(seed), st, k)
				c := workloads.NewCoverage()
				cfg.Sink = c.Sink()
				r := prog.Run(cfg)
				s := steered{fail: !r.OK(), n: r.N, cov: c, pct: r.PCT.String()}
				if v := r.First(); v != nil {
					s.kind = string(v.Kind)
				}
				out[seed-lo] = s
			}
		}()
	}
	for seed := lo; seed <= hi; seed++ {
		next <- seed
	}
	close(next)
	wg.Wait()
	return out
}
