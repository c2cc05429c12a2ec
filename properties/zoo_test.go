package properties_test

import (
	"flag"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/properties"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/all"
)

var zooTable = flag.String("zoo-table", "", "write the bug-zoo markdown table to this file")

// TestBugZoo is issue 4's bug zoo: for every registered scenario, every buggy policy's race is
// found within ZooSeeds seeds of the scenario's default strategy, and every fixed policy runs
// ZooSeeds seeds without a violation.
func TestBugZoo(t *testing.T) {
	var mu sync.Mutex
	var rows []properties.ZooRow
	for _, sc := range workloads.All() {
		for _, pol := range sc.Policies {
			t.Run(sc.Name+"/"+pol.Name, func(t *testing.T) {
				t.Parallel()
				row, err := properties.Zoo(sc, pol, properties.ZooSeeds)
				require.NoError(t, err)
				mu.Lock()
				rows = append(rows, row)
				mu.Unlock()
				if pol.Buggy {
					assert.NotZero(t, row.FirstSeed, "%s/%s: expected %s within %d seeds, saw %v",
						sc.Name, pol.Name, pol.Expect, properties.ZooSeeds, row.Kinds)
					t.Logf("%s/%s: %s found at seed %d", sc.Name, pol.Name, pol.Expect, row.FirstSeed)
				} else {
					assert.Empty(t, row.Kinds, "%s/%s is a fixed policy; first violating seed %d",
						sc.Name, pol.Name, row.FirstSeed)
				}
			})
		}
	}
	t.Cleanup(func() {
		if *zooTable == "" {
			return
		}
		f, err := os.Create(*zooTable)
		if err != nil {
			t.Errorf("zoo table: %v", err)
			return
		}
		defer f.Close()
		properties.WriteZooTable(f, rows)
	})
}

// The zoo's verdicts, both ways, on a scenario whose answer is known.
func TestZooRowVerdicts(t *testing.T) {
	sc, err := workloads.Lookup("engine-demo")
	require.NoError(t, err)
	buggy, err := sc.Policy("unsync")
	require.NoError(t, err)
	row, err := properties.Zoo(sc, buggy, 2000)
	require.NoError(t, err)
	assert.True(t, row.OK())
	assert.NotZero(t, row.FirstSeed)
	assert.Equal(t, row.FirstSeed, row.Seeds, "a buggy sweep stops at the first hit")

	// A fixed-policy row with a violation is not OK; a buggy row without its kind is not OK.
	assert.False(t, properties.ZooRow{Kinds: map[string]int{"deadlock": 1}}.OK())
	assert.False(t, properties.ZooRow{Buggy: true, Kinds: map[string]int{}}.OK())
}
