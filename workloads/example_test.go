package workloads_test

import (
	"fmt"

	"hotplugsim/workloads"
	_ "hotplugsim/workloads/enginedemo"
)

// Run a registered scenario under one of its policies with one seed.
func ExampleRun() {
	sc, err := workloads.Lookup("engine-demo")
	if err != nil {
		panic(err)
	}
	for _, policy := range []string{"unsync", "sync"} {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Seed: 53})
		if err != nil {
			panic(err)
		}
		fmt.Println(policy, o.Verdict, o.Kind())
		if o.Violation != nil {
			fmt.Println(o.Command(""))
		}
	}
	// Output:
	// unsync violation use-after-unmap
	// desrun run --scenario engine-demo --policy unsync --seed 53 --strategy pct:3
	// sync pass
}
