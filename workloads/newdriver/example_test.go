package newdriver_test

import (
	"fmt"

	"hotplugsim/workloads"
	"hotplugsim/workloads/newdriver"
)

// Sweep seeds 1..200 of both policies with the scenario's default Spec and strategy.
func Example() {
	sc, _ := workloads.Lookup(newdriver.Name)
	for _, policy := range []string{newdriver.FreeNow, newdriver.WaitIdle} {
		failed := 0
		for seed := uint64(1); seed <= 200; seed++ {
			o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Seed: seed})
			if err != nil {
				panic(err)
			}
			if o.Kind() != "" && failed == 0 {
				fmt.Println(o.Kind(), "reproduce:", o.Command(""))
			}
			if o.Kind() != "" {
				failed++
			}
		}
		fmt.Printf("%s: %d of 200 seeds fail\n", policy, failed)
	}
	// Output:
	// gpu-use-after-free reproduce: desrun run --scenario newdriver-close --policy free-now --seed 5 --strategy pct:3
	// free-now: 78 of 200 seeds fail
	// wait-idle: 0 of 200 seeds fail
}
