package pcibars

import "hotplugsim/model/drivers/policy"

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
	Doc  string // one line
	// GateMMIO: ioctls hold the read side of the BAR lock and register accessors assert it.
	GateMMIO bool
	// PerDevice: the BAR lock is the driver's own rw-lock, taken for write in RescanPrepare
	// and released in RescanDone; otherwise it is the PCI-level Core.BARLock, taken for
	// write around the whole rescan.
	PerDevice bool
	// Zap: RescanPrepare zaps the user mappings of CPU-visible VRAM BOs.
	Zap bool
}

// Decl returns the policy's name and doc.
func (p Policy) Decl() policy.Decl { return policy.Decl{Name: p.Name, Doc: p.Doc} }

// Policies lists every policy, in the order the scenario lists them.
var Policies = []Policy{
	{Name: NoLock, GateMMIO: false, Zap: true,
		Doc: "register accessors are not blocked between iounmap and ioremap"},
	{Name: PerDeviceLock, GateMMIO: true, PerDevice: true, Zap: true,
		Doc: "each driver takes its own lock (one lockdep class per init site) in prepare and drops it in done; the rescan holds both GPUs' locks, and the dma-buf importer takes the exporter's lock too: recursive locking"},
	{Name: GlobalRWSem, GateMMIO: true, Zap: true,
		Doc: "one PCI-level rw-lock: read side in ioctls and faults, write side around the move"},
	{Name: NoZap, GateMMIO: true, Zap: false,
		Doc: "as global-rwsem, but user mappings of VRAM BOs are not zapped before the move"},
}

// ParsePolicy returns the policy named name.
func ParsePolicy(name string) (Policy, error) { return policy.Parse("pcibars", Policies, name) }
