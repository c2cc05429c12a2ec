package amdgpuunplug_test

import (
	"testing"

	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuunplug"
)

func BenchmarkDefaultRun(b *testing.B) {
	sc, _ := workloads.Lookup(amdgpuunplug.Name)
	for i := 0; i < b.N; i++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: uint64(i + 1), NoTape: true, TraceRing: -1})
		if err != nil || o.Kind() != "" {
			b.Fatal(err, o.Kind())
		}
	}
}
