package p2p_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/p2p"
	"hotplugsim/model/ttm"
)

// Two GPUs behind one switch, driven by hand: B reads A's VRAM buffer peer to peer, A
// renders into it with explicit sync and imports the write fence as the exclusive fence,
// then a scratch buffer that does not fit evicts the shared one. Replacing the exclusive
// fence drops the shader's fence, so the eviction frees VRAM the shader still reads; a
// fence array over the old fences keeps the eviction waiting. (The scenario "p2p-evict",
// package workloads/p2pevict, runs the same operations from apps.)
func Example() {
	for _, policy := range []string{p2p.ReplaceExclusive, p2p.FenceArray} {
		sim := des.MustNew(des.Config{})
		w, err := p2p.NewWorld(sim, p2p.Config{Policy: policy, Devices: []p2p.Device{
			{Name: "gpua", Bridge: "sw0"}, {Name: "gpub", Bridge: "sw0"}}})
		if err != nil {
			panic(err)
		}
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			s, err := w.OpenShare(p, 0, 1, ttm.PlVRAM, 8)
			if err != nil {
				return
			}
			_ = s.Read(p)                   // gpub's shader reads the buffer
			w.Render(p, 0)                  // gpua writes it, imports the write fence
			w.Compute(p, 0, ttm.PlVRAM, 12) // memory pressure: the shared buffer is evicted
			s.Close(p)
		})
		r := sim.Run()
		if v := r.First(); v != nil {
			fmt.Println(policy, v.Kind)
			continue
		}
		fmt.Println(policy, "pass")
	}
	// Output:
	// replace-exclusive gpu-use-after-free
	// fence-array pass
}
