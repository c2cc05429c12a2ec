package all_test

import (
	"fmt"
	"os"
	"testing"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

// TestFPDump writes, when FPDUMP names a file, one line per run of every scenario, policy and
// Spec (the default and the sparse one) over seeds 1:300 as a sweep worker runs them (one
// pool, no tape, no trace ring): fingerprint,
// events, steps, virtual time and violation. Comparing the file a change writes with the one
// its parent writes shows that a change meant to keep every run (a performance change) did:
//
//	FPDUMP=/tmp/fp-new.txt go test -count=1 -run FPDump ./workloads/all
func TestFPDump(t *testing.T) {
	path := os.Getenv("FPDUMP")
	if path == "" {
		t.Skip()
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pool := des.NewPool(0)
	defer pool.Close()
	for _, sc := range workloads.All() {
		specs, names := []*workloads.Spec{nil}, []string{"default"}
		if sc.SparseSpec != nil {
			specs, names = append(specs, sc.SparseSpec), append(names, "sparse")
		}
		for _, pol := range sc.Policies {
			for i, spec := range specs {
				name := names[i]
				for seed := uint64(1); seed <= 300; seed++ {
					o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Spec: spec, Seed: seed, Pool: pool, NoTape: true, TraceRing: -1})
					if err != nil {
						t.Fatal(err)
					}
					fmt.Fprintf(f, "%s %s %s %d %s %d %d %d %s %q\n", sc.Name, pol.Name, name, seed, o.Fingerprint, o.Events, o.Steps, o.VirtualNs, o.Kind(), fmt.Sprint(o.Violation))
				}
			}
		}
	}
}
