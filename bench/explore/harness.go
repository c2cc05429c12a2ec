package explore

import (
	"strings"

	"fmt"
	"math"
	"runtime"
	"sync"

	"hotplugsim/des"
)

// Program is one benchmark program.
type Program struct {
	Name string
	// Depth is the bug depth: the number of ordering constraints the bug needs (0: found by
	// the base schedule). 0 with Measured set means it is taken from the systematic search.
	Depth int
	// Measured: Depth is unknown a priori and reported as the smallest search bound that finds
	// the bug.
	Measured   bool
	DelayBound des.Duration // Config.DelayBound of its runs
	Search     bool         // small enough for the delay-bounded search row
	Build      func(*des.Sim)
}

// Programs returns every benchmark program in table order.
func Programs() []Program {
	cs := func(name string, build func(*des.Sim)) Program {
		return Program{Name: name, Measured: true, Search: true, Build: build}
	}
	k := func(name string, d int, build func(*des.Sim)) Program {
		return Program{Name: name, Depth: d, DelayBound: period, Search: true, Build: build}
	}
	return []Program{
		cs("account", account),
		cs("arithmetic_prog", arithmeticProg),
		cs("bluetooth_driver", bluetoothDriver),
		cs("carter01", carter01),
		cs("circular_buffer", circularBuffer),
		cs("deadlock01", deadlock01),
		cs("lazy01", lazy01),
		cs("phase01", phase01),
		cs("queue", queue),
		cs("reorder_3", reorder(2, 1)),
		cs("reorder_4", reorder(3, 1)),
		cs("reorder_5", reorder(4, 1)),
		cs("reorder_10", reorder(9, 1)),
		cs("reorder_20", reorder(10, 10)),
		cs("stack", stack),
		cs("sync01", syncPC(1, 1)),
		cs("sync02", syncPC(2, 2)),
		cs("token_ring", tokenRing),
		cs("twostage", twostage(1, 1)),
		{Name: "twostage_100", Measured: true, Build: twostage(99, 1)}, // too large for the delay search
		cs("wronglock", wronglock(1, 7)),
		cs("wronglock_3", wronglock(1, 3)),
		k("kernel_order_1e-3", 1, orderingBug(period/1000)),
		k("kernel_order_1e-5", 1, orderingBug(period/100000)),
		k("kernel_window_1e-3", 2, windowRace(period/1000)),
		k("kernel_window_1e-5", 2, windowRace(period/100000)),
		k("kernel_reset_window_1e-3", 3, resetWindowRace(period/1000)),
		k("kernel_reset_window_1e-5", 3, resetWindowRace(period/100000)),
	}
}

// Strategies are the strategies the harness measures, in row order. A name ending in
// NoBound runs that strategy without the program's delay bound: random:2us/nobound orders only
// processes runnable at the same instant (plus preemption delays of at most 2µs), which is
// what exploration was before strategies could order events across virtual time.
var Strategies = []string{"fifo", "random:2us" + NoBound, "random:2us", "random", "pct:1", "pct:2", "pct:3", "mix"}

// NoBound marks a strategy run without the program's delay bound.
const NoBound = "/nobound"

// Config builds the des.Config of one run of prog.
func (prog Program) Config(seed uint64, strategy string, k uint64) des.Config {
	bound := prog.DelayBound
	if s, ok := strings.CutSuffix(strategy, NoBound); ok {
		strategy, bound = s, 0
	}
	return des.Config{Seed: seed, Strategy: strategy, DelayBound: bound, StepsHint: k,
		NoTape: true, TraceRing: -1}
}

// Run runs prog once.
func (prog Program) Run(cfg des.Config) des.Result {
	s := des.MustNew(cfg)
	prog.Build(s)
	return s.Run()
}

// EstimateSteps is PCT's k for prog: the most steps of fifo runs of seeds 1-3, plus a
// quarter (the rule of workloads.EstimateSteps).
func (prog Program) EstimateSteps() uint64 {
	var most uint64
	for seed := uint64(1); seed <= 3; seed++ {
		most = max(most, prog.Run(prog.Config(seed, "fifo", 0)).K)
	}
	return max(most+most/4, 1)
}

// Row is one measurement: a program under one strategy.
type Row struct {
	Program  string  `json:"program"`
	Depth    int     `json:"depth"`
	N        int     `json:"n"`
	K        uint64  `json:"k"`
	Strategy string  `json:"strategy"`
	Runs     int     `json:"runs"`               // runs (or schedules) done
	Fails    int     `json:"fails"`              // failing runs
	First    int     `json:"first"`              // runs to the first failure (1-based), 0: none
	Rate     float64 `json:"rate"`               // Fails / Runs
	Bound    float64 `json:"pct_bound,omitzero"` // PCT's guarantee 1/(n·k^(D−1)), pct rows with D ≥ depth
	Kind     string  `json:"kind,omitempty"`     // violation kind of the first failure
}

// Options control a measurement.
type Options struct {
	Seeds     int  // seeds 1..Seeds per strategy
	StopFirst bool // stop a strategy at the chunk holding its first failure
	Workers   int  // parallel runs (0: GOMAXPROCS); results do not depend on it
	// SearchBound is the systematic search's bound (0: no search row), MaxSchedules its cap.
	SearchBound  int
	MaxSchedules int
	// DevBound is the bound of the search that counts deviations (des.CostDeviations) instead
	// of delays (0: no such row); it runs on every program, MaxSchedules caps it too.
	DevBound int
	// Steer adds a row under coverage steering for each of SteerStrategies (MeasureSteered),
	// with generations of Generation seeds (0: workloads.DefaultGeneration).
	Steer      bool
	Generation int
}

const chunk = 512

// Measure runs prog under strategy over seeds 1..opt.Seeds. Runs are independent and their
// outcomes are kept per seed, so the result is the same for any number of workers.
func Measure(prog Program, strategy string, k uint64, depth int, opt Options) Row {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	row := Row{Program: prog.Name, Depth: depth, K: k, Strategy: strategy}
	fail := make([]bool, chunk)
	kinds := make([]string, chunk)
	ns := make([]int, chunk)
	for lo := 1; lo <= opt.Seeds; lo += chunk {
		hi := min(lo+chunk-1, opt.Seeds)
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for seed := range next {
					r := prog.Run(prog.Config(uint64(seed), strategy, k))
					i := seed - lo
					fail[i], ns[i], kinds[i] = !r.OK(), r.N, ""
					if v := r.First(); v != nil {
						kinds[i] = string(v.Kind)
					}
				}
			}()
		}
		for seed := lo; seed <= hi; seed++ {
			next <- seed
		}
		close(next)
		wg.Wait()
		for i := 0; i <= hi-lo; i++ {
			row.Runs++
			row.N = max(row.N, ns[i])
			if fail[i] {
				row.Fails++
				if row.First == 0 {
					row.First, row.Kind = lo+i, kinds[i]
				}
			}
		}
		if opt.StopFirst && row.First > 0 {
			break
		}
	}
	row.Rate = float64(row.Fails) / float64(row.Runs)
	if d := pctDepth(strategy); d > 0 && d >= depth {
		row.Bound = 1 / (float64(row.N) * math.Pow(float64(k), float64(d-1)))
	}
	return row
}

func pctDepth(strategy string) int {
	var d int
	if _, err := fmt.Sscanf(strategy, "pct:%d", &d); err != nil {
		return 0
	}
	return d
}

// SearchRow runs the systematic search on prog up to bound delays (seed 1). Depth is the
// failing schedule's delays when found.
func SearchRow(prog Program, bound, maxSchedules int) (Row, error) {
	return SearchRowCost(prog, des.CostDelays, bound, maxSchedules)
}

// SearchRowCost is SearchRow with the search's cost model; its strategy is named search:B
// for delays and search-dev:B for deviations.
func SearchRowCost(prog Program, cost des.SearchCost, bound, maxSchedules int) (Row, error) {
	res, err := des.Search(des.SearchConfig{
		Config:       des.Config{Seed: 1, DelayBound: prog.DelayBound, NoTape: true, TraceRing: -1},
		Bound:        bound,
		Cost:         cost,
		MaxSchedules: maxSchedules,
	}, func(s *des.Sim) error { prog.Build(s); return nil })
	name := "search"
	if cost == des.CostDeviations {
		name = "search-dev"
	}
	row := Row{Program: prog.Name, Depth: -1, Strategy: fmt.Sprintf("%s:%d", name, bound), Runs: res.Schedules}
	if err != nil {
		return row, err
	}
	if f := res.Failure; f != nil {
		row.Fails, row.First, row.Depth, row.N, row.K = 1, res.Schedules, res.FailureDelays, f.N, f.K
		row.Kind = string(f.First().Kind)
	}
	if row.Runs > 0 {
		row.Rate = float64(row.Fails) / float64(row.Runs)
	}
	return row, nil
}

// MeasureProgram measures prog under the delay-bounded search (first, when asked: it gives
// the measured depth), the deviation-bounded search and every strategy.
func MeasureProgram(prog Program, opt Options) ([]Row, error) {
	var rows []Row
	depth := prog.Depth
	if prog.Measured {
		depth = -1
	}
	if opt.SearchBound > 0 && prog.Search {
		r, err := SearchRow(prog, opt.SearchBound, opt.MaxSchedules)
		if err != nil {
			return nil, err
		}
		if prog.Measured {
			depth = r.Depth
		}
		r.Depth = depth
		rows = append(rows, r)
	}
	if opt.DevBound > 0 {
		r, err := SearchRowCost(prog, des.CostDeviations, opt.DevBound, opt.MaxSchedules)
		if err != nil {
			return nil, err
		}
		r.Depth = depth
		rows = append(rows, r)
	}
	k := prog.EstimateSteps()
	for _, st := range Strategies {
		rows = append(rows, Measure(prog, st, k, depth, opt))
	}
	if opt.Steer {
		for _, st := range SteerStrategies {
			rows = append(rows, MeasureSteered(prog, st, k, depth, opt))
		}
	}
	return rows, nil
}
