package hdapatchunbind_test

import (
	"fmt"

	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/workloads"
	"hotplugsim/workloads/hdapatchunbind"
)

// Run the hda-patch-unbind scenario's default Spec under each policy with one seed, whose
// remove lands while the patch is loading: mainline's azx_remove frees the card under the
// pending load and the firmware work's azx_firmware_cb reads it; waiting for the callback
// under the device_lock deadlocks with the callback's codec probe; waiting with the lock
// dropped passes.
func Example() {
	sc, _ := workloads.Lookup(hdapatchunbind.Name)
	for _, pol := range policy.Names(hda.PatchPolicies) {
		o, _ := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 1})
		if o.Violation == nil {
			fmt.Printf("%-17s %s\n", pol, o.Verdict)
			continue
		}
		fmt.Printf("%-17s %s by %s\n", pol, o.Kind(), o.Violation.Process)
	}
	// Output:
	// no-fw-wait        use-after-free by kworker/events:0
	// wait-fw-cb-locked deadlock by audio0.0
	// wait-fw-cb        pass
}
