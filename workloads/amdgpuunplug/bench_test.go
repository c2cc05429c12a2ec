package amdgpuunplug_test

import (
	"testing"

	"hotplugsim/des"
	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuunplug"
)

func BenchmarkDefaultRun(b *testing.B) {
	sc, _ := workloads.Lookup(amdgpuunplug.Name)
	pool := des.NewPool(0) // as a sweep worker runs
	defer pool.Close()
	for i := 0; i < b.N; i++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: uint64(i + 1), NoTape: true, TraceRing: -1,
			Pool: pool})
		if err != nil || o.Kind() != "" {
			b.Fatal(err, o.Kind())
		}
	}
}
