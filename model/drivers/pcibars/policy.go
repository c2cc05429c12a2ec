package pcibars

import "fmt"

// Policy names (the scenario's policies).
const (
	NoLock        = "no-lock"
	PerDeviceLock = "per-device-lock"
	GlobalRWSem   = "global-rwsem"
	NoZap         = "no-zap"
)

// Policy is what a policy name selects in the drivers.
type Policy struct {
	Name string
	// GateMMIO: ioctls hold the read side of the BAR lock and register accessors assert it.
	GateMMIO bool
	// PerDevice: the BAR lock is the driver's own rw-lock, taken for write in RescanPrepare
	// and released in RescanDone; otherwise it is the PCI-level Core.BARLock, taken for
	// write around the whole rescan.
	PerDevice bool
	// Zap: RescanPrepare zaps the user mappings of CPU-visible VRAM BOs.
	Zap bool
}

var policies = []Policy{
	{Name: NoLock, GateMMIO: false, Zap: true},
	{Name: PerDeviceLock, GateMMIO: true, PerDevice: true, Zap: true},
	{Name: GlobalRWSem, GateMMIO: true, Zap: true},
	{Name: NoZap, GateMMIO: true, Zap: false},
}

// ParsePolicy returns the policy named name.
func ParsePolicy(name string) (Policy, error) {
	for _, p := range policies {
		if p.Name == name {
			return p, nil
		}
	}
	return Policy{}, fmt.Errorf("pcibars: no policy %q (have %s, %s, %s, %s)", name,
		NoLock, PerDeviceLock, GlobalRWSem, NoZap)
}
