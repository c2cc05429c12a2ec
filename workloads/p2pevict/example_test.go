package p2pevict_test

import (
	"fmt"

	"hotplugsim/model/drivers/p2p"
	"hotplugsim/workloads"
	"hotplugsim/workloads/p2pevict"
)

// GPU B reads A's VRAM buffer peer to peer; A renders into it with explicit sync and imports
// the write fence as the exclusive fence, then evicts the buffer under memory pressure.
// Replacing the exclusive fence drops the shader's fence, so the eviction frees VRAM the
// shader still reads; a fence array over the old fences keeps the eviction waiting.
func Example() {
	sc, _ := workloads.Lookup(p2pevict.Name)
	for _, policy := range []string{p2p.ReplaceExclusive, p2p.FenceArray} {
		o, _ := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Seed: 8})
		fmt.Println(policy, o.Verdict, o.Kind())
	}
	// Output:
	// replace-exclusive violation gpu-use-after-free
	// fence-array pass
}
