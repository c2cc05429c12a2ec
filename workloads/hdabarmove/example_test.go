package hdabarmove_test

import (
	"fmt"

	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/workloads"
	"hotplugsim/workloads/hdabarmove"
)

// Run the hda-bar-move scenario's default Spec under each policy with one seed: the two
// designs the thread starts from unmap the registers under the unsolicited-event work (or an
// ioctl), waiting for files to close never finishes the move, and the suspend-like quiesce
// gets through both moves with playback going on in this seed (its PCM operations drop the
// power reference at once, a window other seeds hit; quiesce-pcm-ref closes it).
func Example() {
	sc, _ := workloads.Lookup(hdabarmove.Name)
	for _, pol := range policy.Names(hda.Policies) {
		o, _ := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 1})
		if o.Violation == nil {
			fmt.Printf("%-15s %s\n", pol, o.Verdict)
			continue
		}
		fmt.Printf("%-15s %s by %s\n", pol, o.Kind(), o.Violation.Process)
	}
	// Output:
	// stop-chip       use-after-unmap by kworker/events:0
	// ioctl-rwsem     use-after-unmap by kworker/events:0
	// wait-close      progress by rescan0
	// quiesce         pass
	// quiesce-pcm-ref pass
}
