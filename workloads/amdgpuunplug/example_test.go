package amdgpuunplug_test

import (
	"fmt"

	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuunplug"
)

// The scenario as desrun runs it: the default Spec under each policy, one seed.
func Example_scenario() {
	sc, _ := workloads.Lookup(amdgpuunplug.Name)
	for _, pol := range sc.Policies {
		o, _ := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol.Name, Seed: 1})
		kind := o.Kind()
		if kind == "" {
			kind = "-"
		}
		fmt.Println(pol.Name, o.Verdict, kind)
	}
	// Output:
	// v6-complete-first pass -
	// v6-kill-unflushed pass -
	// v6-no-cancel-job pass -
	// v6 violation lock-order
	// v6-wait-in-enter violation lock-order
	// sigbus violation use-after-free
	// noguard violation use-after-unmap
}
