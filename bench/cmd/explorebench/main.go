// Command explorebench measures every exploration strategy on the benchmark programs of
// hotplugsim/bench/explore (SCTBench ports and kernel-style races across virtual time) and
// prints a table: runs to the first bug, failure rate, and PCT's bound beside the pct rows.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"hotplugsim/bench/explore"
)

func main() {
	seeds := flag.Int("seeds", 10000, "seeds 1..N per program and strategy")
	stop := flag.Bool("stop", false, "stop a strategy early once it has found the bug")
	asJSON := flag.Bool("json", false, "print JSONL rows instead of the table")
	searchBound := flag.Int("search", 3, "delay-bounded search bound (0: no such rows)")
	devBound := flag.Int("search-dev", 3, "deviation-bounded search bound (0: no such rows)")
	maxSched := flag.Int("max-schedules", 20000, "cap on the schedules of one search")
	workers := flag.Int("workers", 0, "parallel runs (0: GOMAXPROCS); results do not depend on it")
	only := flag.String("only", "", "run only programs whose name contains this")
	steer := flag.Bool("steer", false, "also measure pct:2, pct:3 and mix under coverage steering (rows <strategy>+steer)")
	generation := flag.Int("generation", 0, "seeds per generation of the steered rows (0: desrun's default)")
	flag.Parse()

	opt := explore.Options{Seeds: *seeds, StopFirst: *stop, Workers: *workers,
		SearchBound: *searchBound, MaxSchedules: *maxSched, DevBound: *devBound,
		Steer: *steer, Generation: *generation}
	found := map[string]int{}
	var order []string
	enc := json.NewEncoder(os.Stdout)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "program\tdepth\tn\tk\tstrategy\truns\tfirst bug\tfail rate\tpct bound\t")
	}
	nprog := 0
	for _, prog := range explore.Programs() {
		if !strings.Contains(prog.Name, *only) {
			continue
		}
		nprog++
		rows, err := explore.MeasureProgram(prog, opt)
		if err != nil {
			fmt.Fprintln(os.Stderr, "explorebench:", err)
			os.Exit(2)
		}
		for _, r := range rows {
			st := r.Strategy
			if name, _, ok := strings.Cut(st, ":"); ok && strings.HasPrefix(name, "search") {
				st = name
			}
			if _, ok := found[st]; !ok {
				order = append(order, st)
				found[st] = 0
			}
			if r.First > 0 && r.First <= 10000 {
				found[st]++
			}
			if *asJSON {
				if err := enc.Encode(r); err != nil {
					fmt.Fprintln(os.Stderr, "explorebench:", err)
					os.Exit(2)
				}
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t\n", r.Program, depth(r.Depth), r.N, r.K,
				r.Strategy, r.Runs, first(r.First), fmt.Sprintf("%.4g", r.Rate), bound(r))
		}
	}
	if *asJSON {
		return
	}
	tw.Flush()
	var parts []string
	for _, st := range order {
		parts = append(parts, fmt.Sprintf("%s %d", st, found[st]))
	}
	fmt.Printf("\nprograms found within 10,000 runs (search, search-dev: schedules) of %d: %s\n", nprog, strings.Join(parts, ", "))
	fmt.Println("kernel_* programs run with DelayBound = their period (100µs); SCTBench ports with none.")
	fmt.Println("depth of SCTBench ports: the smallest search bound (delays) that found the bug; '?': not found.")
	fmt.Println("search-dev: every decision that differs from the base schedule costs 1, whatever its rank.")
}

func depth(d int) string {
	if d < 0 {
		return "?"
	}
	return fmt.Sprint(d)
}

func first(n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func bound(r explore.Row) string {
	if r.Bound == 0 {
		return ""
	}
	return fmt.Sprintf("%.3g", r.Bound)
}
