package atomic_test

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/atomic"
)

// Two error paths race to schedule one GPU reset. With the plain-field check (READ_ONCE,
// then WRITE_ONCE) the random strategy finds seeds where both start a reset; with
// test_and_set_bit no seed does.
func Example() {
	for _, tas := range []bool{false, true} {
		bad := 0
		for seed := uint64(1); seed <= 100; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: "random"})
			pending := atomic.NewVar("reset_pending", false)
			flags := atomic.NewBits("adev->flags")
			resets := 0
			handler := func(p *des.Proc) {
				if tas && flags.TestAndSetBit(p, 0) {
					return
				}
				if !tas {
					if pending.ReadOnce(p) {
						return
					}
					pending.WriteOnce(p, true)
				}
				resets++
			}
			sim.Spawn("timeout", des.Worker, handler)
			sim.Spawn("ras", des.Worker, handler)
			sim.Run()
			if resets > 1 {
				bad++
			}
		}
		fmt.Printf("test_and_set_bit=%v: %d of 100 seeds start two resets\n", tas, bad)
	}
	// Output:
	// test_and_set_bit=false: 37 of 100 seeds start two resets
	// test_and_set_bit=true: 0 of 100 seeds start two resets
}
