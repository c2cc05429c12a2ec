package igt_test

import (
	"fmt"

	"hotplugsim/workloads"
	"hotplugsim/workloads/igt"
)

// Run core_hotunplug's hotreplug-lateclose on both fixed driver designs and on xe's
// drmm-migrate design, whose migrate fini runs at the late close, after the IOMMU group is
// gone.
func Example() {
	sc, err := workloads.Lookup("igt-hotreplug-lateclose")
	if err != nil {
		panic(err)
	}
	for _, pol := range []string{"amdgpu-v6-complete-first", "xe-clear-mappings-dev-enter", "xe-drmm-migrate"} {
		out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 1})
		if err != nil {
			panic(err)
		}
		if out.Violation != nil {
			fmt.Println(pol, out.Verdict, out.Kind())
			continue
		}
		fmt.Println(pol, out.Verdict)
	}

	// With background load (the -with-load idea): a renderer and a compute loop on card0.
	spec := igt.DefaultSpec()
	spec.Apps = []workloads.App{
		{Kind: workloads.AppRender, Device: "card0", Count: 1, Ops: 8, IntervalNs: 3000,
			BOs: []workloads.BO{{SizeBytes: 4096, Placement: workloads.PlaceVRAM}}},
		{Kind: workloads.AppCompute, Device: "card0", Count: 1, Ops: 4, IntervalNs: 4000},
	}
	out, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: "amdgpu-v6-complete-first", Spec: &spec, Seed: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println("with load:", out.Verdict)
	// Output:
	// amdgpu-v6-complete-first pass
	// xe-clear-mappings-dev-enter pass
	// xe-drmm-migrate violation use-after-free
	// with load: pass
}
