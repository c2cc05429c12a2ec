package sbrpciehp_test

import (
	"fmt"

	"hotplugsim/model/drivers/accel"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/workloads"
	"hotplugsim/workloads/sbrpciehp"
)

// Run the sbr-pciehp scenario's default Spec under each policy with one seed: a reset behind
// pciehp's back, or one that only masks the events (the driver's own, or pciehp_reset_slot's
// before 2025, with bwctrl sharing the interrupt), lets pciehp_ist remove the device under
// the sleeping ioctl; pci_ignore_hotplug and the pci_hp_ignore_link_change annotation (the
// driver's, or pciehp_reset_slot's) keep pciehp out. reset-in-dev-enter's deadlock needs the
// card pulled within the 1 ms its ioctl stops the engine: not at seed 1 (2 is the first).
func Example() {
	sc, _ := workloads.Lookup(sbrpciehp.Name)
	for _, pol := range policy.Names(accel.Policies) {
		o, _ := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: pol, Seed: 1})
		if o.Violation == nil {
			fmt.Printf("%-22s %s\n", pol, o.Verdict)
			continue
		}
		fmt.Printf("%-22s %s by %s\n", pol, o.Kind(), o.Violation.Process)
	}
	// Output:
	// raw-sbr                use-after-free by reset-ioctl0
	// mask-no-clear          use-after-free by reset-ioctl0
	// reset-slot-masked      use-after-free by reset-ioctl0
	// reset-in-dev-enter     pass
	// ignore-hotplug         pass
	// ignore-link-change     pass
	// try-reset-in-dev-enter pass
	// reset-slot             pass
}
