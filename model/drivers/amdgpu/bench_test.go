package amdgpu_test

import (
	"testing"

	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/workloads"
)

func BenchmarkDefaultRun(b *testing.B) {
	sc, _ := workloads.Lookup(amdgpu.ScenarioName)
	for i := 0; i < b.N; i++ {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Seed: uint64(i + 1), NoTape: true, TraceRing: -1})
		if err != nil || o.Kind() != "" {
			b.Fatal(err, o.Kind())
		}
	}
}
