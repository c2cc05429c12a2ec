package properties

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

// ZooSeeds is how many seeds the bug zoo sweeps per policy: a buggy policy's race must be
// found within this many seeds of the scenario's default strategy, and a fixed policy must
// survive all of them.
const ZooSeeds = 2000

// ZooRow is one policy's line in the bug zoo.
type ZooRow struct {
	Scenario string
	Policy   string
	Buggy    bool
	Expect   string // the kind a buggy policy must produce
	Strategy string
	Seeds    uint64 // seeds run
	// FirstSeed is the first seed whose run produced Expect (buggy) or any violation
	// (fixed); 0 if none did.
	FirstSeed uint64
	// Kinds counts the violation kinds seen, by kind.
	Kinds map[string]int
}

// OK reports whether the row is what the zoo requires (Err is nil).
func (r ZooRow) OK() bool { return r.Err() == nil }

// Err is the bug zoo's one rule: a buggy policy found its expected kind within the seeds run,
// a fixed policy found nothing. It says which half of the rule the row breaks, or nil.
func (r ZooRow) Err() error {
	switch {
	case r.Buggy && r.FirstSeed == 0:
		return fmt.Errorf("%s/%s: expected %s within %d seeds, saw %v", r.Scenario, r.Policy, r.Expect, r.Seeds, r.Kinds)
	case !r.Buggy && len(r.Kinds) > 0:
		return fmt.Errorf("%s/%s is a fixed policy; first violating seed %d of %d: %s", r.Scenario, r.Policy,
			r.FirstSeed, r.Seeds, kindList(r.Kinds))
	}
	return nil
}

// Zoo sweeps seeds 1..seeds of one policy with the scenario's default Spec and strategy. A
// buggy policy stops at the first seed that produces its expected kind; a fixed one runs them
// all.
func Zoo(sc *workloads.Scenario, pol workloads.Policy, seeds uint64) (ZooRow, error) {
	return ZooWith(sc, pol, seeds, ZooOptions{})
}

// ZooOptions change what a zoo sweep runs: zero values are the scenario's defaults.
type ZooOptions struct {
	Spec         *workloads.Spec // nil: the scenario's default Spec
	Strategy     string          // "": the scenario's strategy
	NoDelayBound bool            // workloads.RunConfig.NoDelayBound
	// AllSeeds: a buggy policy runs every seed too, so that Kinds counts what each seed
	// found (how usual the expected kind is, which other kinds the bug shows as).
	AllSeeds bool
	// Each, if set, sees every seed's outcome, for a test's checks beyond the zoo's rule.
	Each func(seed uint64, out *workloads.Outcome)
}

// ZooWith is Zoo with another Spec or strategy.
func ZooWith(sc *workloads.Scenario, pol workloads.Policy, seeds uint64, opt ZooOptions) (ZooRow, error) {
	row := ZooRow{Scenario: sc.Name, Policy: pol.Name, Buggy: pol.Buggy, Expect: string(pol.Expect),
		Strategy: sc.Strategy, Kinds: map[string]int{}}
	if opt.Strategy != "" {
		row.Strategy = opt.Strategy
	}
	pool := des.NewPool(0)
	defer pool.Close()
	for seed := uint64(1); seed <= seeds; seed++ {
		out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Spec: opt.Spec, Seed: seed,
			Strategy: opt.Strategy, NoDelayBound: opt.NoDelayBound, NoTape: true, TraceRing: -1, Pool: pool})
		if err != nil {
			return row, fmt.Errorf("%s/%s seed %d: %w", sc.Name, pol.Name, seed, err)
		}
		if opt.Each != nil {
			opt.Each(seed, out)
		}
		row.Seeds = seed
		row.Strategy = out.Strategy
		kind := out.Kind()
		if kind == "" {
			continue
		}
		row.Kinds[kind]++
		if (!pol.Buggy || kind == string(pol.Expect)) && row.FirstSeed == 0 {
			row.FirstSeed = seed
		}
		if pol.Buggy && row.FirstSeed != 0 && !opt.AllSeeds {
			return row, nil
		}
	}
	return row, nil
}

// ZooStrategy is one column of the per-strategy zoo table.
type ZooStrategy struct {
	Name         string // the column's heading
	Strategy     string
	NoDelayBound bool
}

// ZooStrategies are the per-strategy table's columns: no exploration, exploration as it was
// before timing was explorable (random:2us without the delay bound), the two strategies
// that order events across virtual time, and mix (pct:3 or random per seed).
var ZooStrategies = []ZooStrategy{
	{Name: "fifo", Strategy: "fifo"},
	{Name: "random:2us, no bound", Strategy: "random:2us", NoDelayBound: true},
	{Name: "random", Strategy: "random"},
	{Name: "pct:3", Strategy: "pct:3"},
	{Name: "mix", Strategy: "mix"},
}

// ZooStrategyRow is one policy's line of the per-strategy table: a ZooRow per column.
type ZooStrategyRow struct {
	Scenario, Policy string
	Buggy            bool
	Expect           string
	Cells            []ZooRow // one per ZooStrategies entry
}

// ZooByStrategy sweeps up to seeds seeds of one policy with spec under each of ZooStrategies.
func ZooByStrategy(sc *workloads.Scenario, pol workloads.Policy, spec *workloads.Spec, seeds uint64) (ZooStrategyRow, error) {
	row := ZooStrategyRow{Scenario: sc.Name, Policy: pol.Name, Buggy: pol.Buggy, Expect: string(pol.Expect)}
	for _, st := range ZooStrategies {
		cell, err := ZooWith(sc, pol, seeds, ZooOptions{Spec: spec, Strategy: st.Strategy, NoDelayBound: st.NoDelayBound})
		if err != nil {
			return row, err
		}
		row.Cells = append(row.Cells, cell)
	}
	return row, nil
}

// WriteZooStrategyTable writes rows as a markdown table: per strategy, the first seed that
// found a buggy policy's expected kind ("-": none within the seeds run), or the violations a
// fixed policy had over the seeds.
func WriteZooStrategyTable(w io.Writer, rows []ZooStrategyRow) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Scenario != rows[j].Scenario {
			return rows[i].Scenario < rows[j].Scenario
		}
		return rows[i].Policy < rows[j].Policy
	})
	fmt.Fprint(w, "| scenario | policy | design | expected |")
	for _, st := range ZooStrategies {
		fmt.Fprintf(w, " %s |", st.Name)
	}
	fmt.Fprint(w, "\n|---|---|---|---|")
	for range ZooStrategies {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		design, expect := "fixed", "none"
		if r.Buggy {
			design, expect = "buggy", "`"+r.Expect+"`"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |", r.Scenario, r.Policy, design, expect)
		for _, c := range r.Cells {
			fmt.Fprintf(w, " %s |", c.cell())
		}
		fmt.Fprintln(w)
	}
}

// cell is a row's verdict in a few characters: a buggy policy's first failing seed or "-",
// a fixed policy's violation count (with the kinds if any).
func (r ZooRow) cell() string {
	if r.Buggy {
		if r.FirstSeed == 0 {
			return "-"
		}
		return fmt.Sprint(r.FirstSeed)
	}
	n := 0
	for _, k := range r.Kinds { // order-free: a sum
		n += k
	}
	if n == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", n, kindList(r.Kinds))
}

// WriteZooTable writes rows as a markdown table (the README's bug zoo).
func WriteZooTable(w io.Writer, rows []ZooRow) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Scenario != rows[j].Scenario {
			return rows[i].Scenario < rows[j].Scenario
		}
		return rows[i].Policy < rows[j].Policy
	})
	fmt.Fprintln(w, "| scenario | policy | design | expected | strategy | result |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		design, expect, result := "fixed", "none", ""
		if r.Buggy {
			design, expect = "buggy", "`"+r.Expect+"`"
			result = fmt.Sprintf("found at seed %d", r.FirstSeed)
			if r.FirstSeed == 0 {
				result = fmt.Sprintf("NOT found in %d seeds", r.Seeds)
			}
		} else {
			result = fmt.Sprintf("0 violations in %d seeds", r.Seeds)
			if len(r.Kinds) > 0 {
				result = fmt.Sprintf("VIOLATIONS %s in %d seeds", kindList(r.Kinds), r.Seeds)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.Scenario, r.Policy, design, expect, r.Strategy, result)
	}
}

func kindList(kinds map[string]int) string {
	var parts []string
	for k, n := range kinds { // order-free: sorted below
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
