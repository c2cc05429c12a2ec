package cli

import (
	"fmt"
	"strings"

	"hotplugsim/workloads"
)

// coverageJSON is a sweep's coverage in results files and JSON output (--coverage).
type coverageJSON struct {
	Pairs      []string `json:"pairs"`       // "object: first -> second", sorted
	BothOrders int      `json:"both_orders"` // pairs seen in both orders
	Faults     []string `json:"faults"`      // fault sites that fired
	Steps      []string `json:"steps"`       // protocol steps (model event kinds) reached
	// LastNewSeed is the last seed that added anything: when it is far behind the last seed
	// run, more seeds of this strategy stopped adding coverage.
	LastNewSeed *uint64 `json:"last_new_seed"`
}

func newCoverageJSON(c *workloads.Coverage, last *uint64) *coverageJSON {
	return &coverageJSON{Pairs: workloads.Sorted(c.Pairs), BothOrders: c.BothOrders(),
		Faults: workloads.Sorted(c.Faults), Steps: workloads.Sorted(c.Steps), LastNewSeed: last}
}

func (c *coverageJSON) coverage() *workloads.Coverage {
	cov := workloads.NewCoverage()
	for _, set := range []struct {
		dst  map[string]bool
		keys []string
	}{{cov.Pairs, c.Pairs}, {cov.Faults, c.Faults}, {cov.Steps, c.Steps}} {
		for _, k := range set.keys {
			set.dst[k] = true
		}
	}
	return cov
}

func (c *coverageJSON) text() string {
	s := fmt.Sprintf("%d conflicting pairs (%d in both orders), %d protocol steps", len(c.Pairs), c.BothOrders, len(c.Steps))
	if len(c.Faults) > 0 {
		s += fmt.Sprintf(", fault sites fired: %s", strings.Join(c.Faults, ", "))
	}
	if c.LastNewSeed != nil {
		s += fmt.Sprintf("; last new at seed %d", *c.LastNewSeed)
	}
	return s
}

// addCoverage merges one run's coverage, in seed order.
func (st *sweepState) addCoverage(seed uint64, c *workloads.Coverage) {
	if st.cov.Merge(c) > 0 {
		s := seed
		st.covLast = &s
		st.covNew.Merge(c)
	}
}

// addCoverage merges a checkpoint's coverage into the file's.
func (rf *resultsFile) addCoverage(c *coverageJSON) {
	if rf.cov == nil {
		rf.cov = workloads.NewCoverage()
	}
	rf.cov.Merge(c.coverage())
	if c.LastNewSeed != nil {
		rf.covLast = c.LastNewSeed
	}
}
