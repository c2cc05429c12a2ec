package properties

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

// ZooSeeds is how many seeds the bug zoo sweeps per policy (issue 4: a buggy policy's race
// must be found within this many seeds of the default strategy, a fixed policy must survive
// all of them).
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

// OK reports whether the row is what the zoo requires: a buggy policy found its expected kind,
// a fixed policy found nothing.
func (r ZooRow) OK() bool {
	if r.Buggy {
		return r.FirstSeed != 0
	}
	return len(r.Kinds) == 0
}

// Zoo sweeps seeds 1..seeds of one policy with the scenario's default Spec and strategy. A
// buggy policy stops at the first seed that produces its expected kind; a fixed one runs them
// all.
func Zoo(sc *workloads.Scenario, pol workloads.Policy, seeds uint64) (ZooRow, error) {
	row := ZooRow{Scenario: sc.Name, Policy: pol.Name, Buggy: pol.Buggy, Expect: pol.Expect,
		Strategy: sc.Strategy, Kinds: map[string]int{}}
	pool := des.NewPool(0)
	defer pool.Close()
	for seed := uint64(1); seed <= seeds; seed++ {
		out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: seed,
			NoTape: true, TraceRing: -1, Pool: pool})
		if err != nil {
			return row, fmt.Errorf("%s/%s seed %d: %w", sc.Name, pol.Name, seed, err)
		}
		row.Seeds = seed
		row.Strategy = out.Strategy
		kind := out.Kind()
		if kind == "" {
			continue
		}
		row.Kinds[kind]++
		if pol.Buggy && kind == pol.Expect {
			row.FirstSeed = seed
			return row, nil
		}
		if !pol.Buggy && row.FirstSeed == 0 {
			row.FirstSeed = seed
		}
	}
	return row, nil
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
	for k, n := range kinds {
		parts = append(parts, fmt.Sprintf("%s×%d", k, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
