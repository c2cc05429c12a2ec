//go:build leakmeasure

package all_test

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

var (
	lmScenario = flag.String("lm-scenario", "amdgpu-unplug", "")
	lmPolicy   = flag.String("lm-policy", "", "")
	lmSeeds    = flag.Int("lm-seeds", 20, "")
	lmVerbose  = flag.Bool("lm-v", false, "")
)

// TestLeakMeasure counts, over seeds 1..-lm-seeds of a scenario and policy, the fences the
// runs made ("alloc" of a "fence:" object), those whose final put ran (a "fence-put" with one
// reference left) and the difference, still referenced when the run ended; -lm-v lists those
// by timeline. A measuring tool, not a test of the suite:
//
//	go test -tags leakmeasure ./workloads/all -run LeakMeasure -count=1 -v \
//		-lm-scenario amdgpu-unplug -lm-policy v6-complete-first -lm-v
func TestLeakMeasure(t *testing.T) {
	sc, err0 := workloads.Lookup(*lmScenario)
	if err0 != nil {
		t.Fatal(err0)
	}
	created, released := 0, 0
	byCtx := map[string]int{}
	for seed := 1; seed <= *lmSeeds; seed++ {
		live := map[string]bool{}
		sink := func(e des.Event) {
			name := e.Obj.String()
			if !strings.HasPrefix(name, "fence:") {
				return
			}
			switch e.Kind.String() {
			case "alloc":
				created++
				live[name] = true
			case "fence-put":
				if e.A == 1 {
					released++
					delete(live, name)
				}
			}
		}
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: *lmPolicy, Seed: uint64(seed), TraceRing: -1, Sink: sink, NoTape: true})
		if err != nil {
			t.Fatal(err)
		}
		if o.Verdict != workloads.Pass {
			t.Logf("seed %d: %s %s", seed, o.Verdict, o.Violation.Kind)
		}
		for n := range live { // order-free: a count per timeline
			ctx, _, _ := strings.Cut(n, "#")
			byCtx[ctx]++
		}
	}
	fmt.Printf("%s %s seeds 1-%d: created %d released %d referenced %d\n", *lmScenario, *lmPolicy, *lmSeeds, created, released, created-released)
	if *lmVerbose {
		var ks []string
		for k := range byCtx { // order-free: sorted below
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			fmt.Printf("  %-40s %d\n", k, byCtx[k])
		}
	}
}
