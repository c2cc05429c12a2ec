package pcibars

import (
	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/mm"
)

// gate is one driver's BAR lock under its policy: the PCI-level Core.BARLock, or the
// driver's own rw-lock (per-device-lock).
type gate struct {
	pol Policy
	lk  *lock.RWSem
}

// newGate makes the driver's gate; class is the lockdep class of a per-device lock, the key of
// its init_rwsem call site (a static lock_class_key per site), so every device of one driver
// shares it.
func newGate(c *Core, pol Policy, class string) gate {
	if pol.PerDevice {
		return gate{pol: pol, lk: lock.NewRWSem(c.host.Sim(), class)}
	}
	c.use()
	return gate{pol: pol, lk: c.barLock}
}

// readLock takes the read side at the root of an ioctl (nothing under no-lock).
func (g gate) readLock(p *des.Proc) {
	if g.pol.GateMMIO {
		g.lk.DownRead(p)
	}
}

func (g gate) readUnlock(p *des.Proc) {
	if g.pol.GateMMIO {
		g.lk.UpRead(p)
	}
}

// assertMMIO is the register accessors' lockdep_assert_held: MMIO only under the lock.
func (g gate) assertMMIO(p *des.Proc) {
	if g.pol.GateMMIO {
		g.lk.AssertHeld(p)
	}
}

// prepare and done take and drop a per-device lock around the move; the PCI-level lock is
// the Core's to take.
func (g gate) prepare(p *des.Proc) {
	if g.pol.PerDevice {
		g.lk.DownWrite(p)
	}
}

func (g gate) done(p *des.Proc) {
	if g.pol.PerDevice {
		g.lk.UpWrite(p)
	}
}

// fault runs fn under the read side: a trylock, and if the move holds the lock, drop
// mmap_lock, wait for the move to end and answer VM_FAULT_RETRY (the refault then maps the
// new address). Without FAULT_FLAG_ALLOW_RETRY it waits with mmap_lock held.
func (g gate) fault(p *des.Proc, vmf *mm.VMFault, fn func() mm.FaultResult) mm.FaultResult {
	if !g.lk.DownReadTrylock(p) {
		if vmf.AllowRetryFirst() {
			vmf.MmapReadUnlock(p)
			g.lk.DownRead(p)
			g.lk.UpRead(p)
			return mm.VMFaultRetry
		}
		g.lk.DownRead(p)
	}
	r := fn()
	g.lk.UpRead(p)
	return r
}
