package all_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
	_ "hotplugsim/workloads/all"
)

// A sweep worker reuses one pool's objects for every run it makes. Runs of every scenario and
// policy, on one shared pool in a shuffled order (so objects one scenario left are reused by
// another), give exactly what the same runs give made afresh.
func TestWorkerReuseMatchesFreshRuns(t *testing.T) {
	type job struct {
		sc     *workloads.Scenario
		policy string
		seed   uint64
	}
	var jobs []job
	for _, sc := range workloads.All() {
		for _, p := range sc.Policies {
			for seed := uint64(1); seed <= 6; seed++ {
				jobs = append(jobs, job{sc, p.Name, seed})
			}
		}
	}
	describe := func(o *workloads.Outcome) string {
		return fmt.Sprintf("%s %s %d %s %d %d %d %d %s %q", o.Scenario, o.Policy, o.Seed, o.Fingerprint, o.Events,
			o.Steps, o.Procs, o.VirtualNs, o.Kind(), fmt.Sprint(o.Violation))
	}
	fresh := make([]string, len(jobs))
	for i, j := range jobs {
		o, err := workloads.Run(workloads.RunConfig{Scenario: j.sc, Policy: j.policy, Seed: j.seed})
		require.NoError(t, err)
		fresh[i] = describe(o)
	}
	pool := des.NewPool(0)
	defer pool.Close()
	order := rand.New(rand.NewPCG(1, 2)).Perm(len(jobs)) // a fixed shuffle
	for _, i := range order {
		j := jobs[i]
		o, err := workloads.Run(workloads.RunConfig{Scenario: j.sc, Policy: j.policy, Seed: j.seed, Pool: pool,
			NoTape: true, TraceRing: -1})
		require.NoError(t, err)
		assert.Equal(t, fresh[i], describe(o))
	}
}
