package mm

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// FaultResult is vm_fault_t.
type FaultResult uint32

// Fault results (include/linux/mm_types.h). 0 means the PTE was already there.
const (
	VMFaultOOM    FaultResult = 0x0001
	VMFaultSIGBUS FaultResult = 0x0002
	VMFaultMajor  FaultResult = 0x0004 // the handler waited for I/O (filemap_fault with RETRY)
	VMFaultNoPage FaultResult = 0x0100 // the handler installed the PTE itself
	VMFaultRetry  FaultResult = 0x0400 // the handler dropped mmap_lock; retry the fault
)

func (r FaultResult) String() string {
	switch r {
	case 0:
		return "0"
	case VMFaultOOM:
		return "VM_FAULT_OOM"
	case VMFaultSIGBUS:
		return "VM_FAULT_SIGBUS"
	case VMFaultNoPage:
		return "VM_FAULT_NOPAGE"
	case VMFaultRetry:
		return "VM_FAULT_RETRY"
	}
	return fmt.Sprintf("vm_fault_t(%#x)", uint32(r))
}

// FaultFlags are FAULT_FLAG_*.
type FaultFlags uint32

// Fault flags (include/linux/mm_types.h).
const (
	FaultFlagWrite       FaultFlags = 1 << 0
	FaultFlagAllowRetry  FaultFlags = 1 << 2
	FaultFlagRetryNowait FaultFlags = 1 << 3
	FaultFlagKillable    FaultFlags = 1 << 4
	FaultFlagTried       FaultFlags = 1 << 5
	FaultFlagUser        FaultFlags = 1 << 6
	// FaultFlagDefault is FAULT_FLAG_DEFAULT (ALLOW_RETRY | KILLABLE | INTERRUPTIBLE).
	FaultFlagDefault = FaultFlagAllowRetry | FaultFlagKillable
)

// VMFault is struct vm_fault: what a Fault handler is asked to fill.
type VMFault struct {
	VMA     *VMA
	Address uint64 // page aligned
	PgOff   uint64 // page index in the mapping (vm_pgoff + page index in the VMA)
	Flags   FaultFlags
	dropped bool // the handler dropped mmap_lock
}

// AllowRetryFirst is fault_flag_allow_retry_first: the handler may drop mmap_lock, wait and
// return VMFaultRetry.
func (vmf *VMFault) AllowRetryFirst() bool {
	return vmf.Flags&FaultFlagAllowRetry != 0 && vmf.Flags&FaultFlagTried == 0
}

// MmapReadUnlock drops the mmap_lock the fault holds (mmap_read_unlock(vmf->vma->vm_mm));
// the handler must then return VMFaultRetry.
func (vmf *VMFault) MmapReadUnlock(p *des.Proc) {
	if vmf.dropped {
		panic("mm: fault handler dropped mmap_lock twice")
	}
	vmf.dropped = true
	vmf.VMA.mm.MmapReadUnlock(p)
}

var (
	evFault  = des.L("handle_mm_fault")
	evAccess = des.L("user_access")
)

// HandleMMFault is handle_mm_fault for a device VMA, called with mmap_lock held for read:
// a PTE already present needs nothing (0), otherwise vm_ops->fault runs. On VMFaultRetry
// the handler has dropped mmap_lock; on anything else it still holds it.
func HandleMMFault(p *des.Proc, v *VMA, addr uint64, flags FaultFlags) FaultResult {
	i, ok := v.index(addr)
	if !ok {
		return VMFaultSIGBUS
	}
	p.Point(evFault, v.mm.name, int64(addr), int64(flags))
	v.mm.stats.Faults++
	if v.ptes[i].present {
		return 0
	}
	vmf := vmFaults.New(v.mm.sim)
	*vmf = VMFault{VMA: v, Address: addr &^ (PageSize - 1), PgOff: v.PgOff + uint64(i), Flags: flags}
	r := v.Ops.Fault(p, vmf)
	if (r&VMFaultRetry != 0) != vmf.dropped {
		panic(fmt.Sprintf("mm: %T.Fault returned %v with mmap_lock dropped=%v", v.Ops, r, vmf.dropped))
	}
	return r
}

// Read is a user CPU load from addr; Write a store. Each is a scheduling point. The access
// goes through the PTE (the oracle checks where it lands) or faults as do_user_addr_fault
// does. It returns nil, or the error that ended the process (ErrSIGBUS, ErrOOM, ErrSEGV,
// ErrKilled).
func (m *MM) Read(p *des.Proc, addr uint64) error { return m.access(p, addr, false) }

// Write is a user CPU store to addr; see Read.
func (m *MM) Write(p *des.Proc, addr uint64) error { return m.access(p, addr, true) }

func (m *MM) access(p *des.Proc, addr uint64, write bool) error {
	m.stats.Accesses++
	for n := 0; n < m.opts.MaxFaultsPerAccess; n++ {
		if m.dead {
			return ErrKilled
		}
		p.Point(evAccess, m.name, int64(addr), b2i(write))
		if v := m.findVMA(addr); v != nil && v.Present(addr) {
			i, _ := v.index(addr)
			v.ptes[i].checkAccess(m.sim, p, v, addr, write)
			return nil
		}
		if err := m.userFault(p, addr, write); err != nil {
			return err
		}
	}
	m.livelock(p, "exc_page_fault", fmt.Sprintf(
		"user access at %#x of %s faulted %d times without completing", addr, m.name.String(), m.opts.MaxFaultsPerAccess))
	return ErrKilled
}

// userFault is do_user_addr_fault: take mmap_lock, find the VMA, handle_mm_fault, retry on
// VM_FAULT_RETRY with FAULT_FLAG_TRIED, signal on errors. nil means: re-execute the access.
func (m *MM) userFault(p *des.Proc, addr uint64, write bool) error {
	flags := FaultFlagDefault | FaultFlagUser
	if write {
		flags |= FaultFlagWrite
	}
	fc := m.startFault()
	for n := 0; n < m.opts.MaxFaultsPerAccess; n++ {
		fc.enter(m)
		m.MmapReadLock(p)
		v := m.findVMA(addr)
		if v == nil {
			fc.done(m)
			m.MmapReadUnlock(p)
			return m.kill(p, ErrSEGV)
		}
		r := HandleMMFault(p, v, addr, flags)
		if r&VMFaultRetry != 0 {
			m.stats.Retries++
			fc.retry(m)
			if m.dead { // fault_signal_pending: a fatal signal ends the retry loop
				return ErrKilled
			}
			flags |= FaultFlagTried
			continue
		}
		fc.done(m)
		m.MmapReadUnlock(p)
		return m.faultError(p, addr, r)
	}
	m.livelock(p, "handle_mm_fault", fmt.Sprintf(
		"fault at %#x of %s returned VM_FAULT_RETRY %d times", addr, m.name.String(), m.opts.MaxFaultsPerAccess))
	return ErrKilled
}

// livelock reports a user access that never completes (a progress violation): the kernel
// has no report of its own for it, so it prints as a WARN in do_user_addr_fault, with the
// call that kept failing (fn) innermost.
func (m *MM) livelock(p *des.Proc, fn, msg string) {
	s := oracle.Site(m.sim, p, fn, "do_user_addr_fault")
	s.Seq = 0 // the report's own event is the WARN
	m.sim.Violate(p, oracle.Progress, m.name, splat.WARN("arch/x86/mm/fault.c", "do_user_addr_fault", msg, s))
}

// faultError is the done: part of do_user_addr_fault: OOM is tested before SIGBUS, and
// either kills the process (see doc.go for why OOM does).
func (m *MM) faultError(p *des.Proc, addr uint64, r FaultResult) error {
	switch {
	case r&VMFaultOOM != 0:
		return m.kill(p, ErrOOM)
	case r&VMFaultSIGBUS != 0:
		return m.sigbus(p, addr)
	}
	return nil
}

// sigbus is force_sig_fault(SIGBUS, BUS_ADRERR): the default action kills the process. A
// process already exiting never sees it (prepare_signal drops it; SIGKILL wins).
func (m *MM) sigbus(p *des.Proc, addr uint64) error {
	if m.dead {
		return ErrKilled
	}
	m.stats.SIGBUS++
	if m.opts.NoSIGBUS {
		m.sim.Violate(p, oracle.SIGBUS, m.name, splat.FatalSignal(splat.FatalSignalReport{
			Comm: m.name.String(), Signal: 7, Code: fmt.Sprintf("SIGBUS (BUS_ADRERR) at addr %016x", addr),
			Why:  "the policy promises this process no SIGBUS",
			Site: oracle.Site(m.sim, p, "force_sig_fault", "do_sigbus", "do_user_addr_fault"),
		}))
	}
	return m.kill(p, ErrSIGBUS)
}

// kill delivers a fatal signal: the process exits. To a process already exiting it is
// dropped (prepare_signal in kernel/signal.c: SIGNAL_GROUP_EXIT), which returns ErrKilled.
func (m *MM) kill(p *des.Proc, err error) error {
	if m.dead {
		return ErrKilled
	}
	p.Trace(evSignal, m.name, 0, 0)
	m.Exit(p)
	return err
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
