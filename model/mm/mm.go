package mm

import (
	"errors"
	"fmt"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
)

// Errors a user access or an mmap returns.
var (
	ErrSIGBUS = errors.New("SIGBUS") // the access got SIGBUS; the process was killed
	ErrOOM    = errors.New("OOM")    // VM_FAULT_OOM; the process was killed
	ErrSEGV   = errors.New("SIGSEGV")
	ErrKilled = errors.New("process exited") // the MM is gone (a signal or Exit)
	ErrNoMem  = errors.New("ENOMEM")         // too many VMAs
	ErrInval  = errors.New("EINVAL")
)

// Default bounds.
const (
	DefaultMaxVMAs                   = 1024
	DefaultMaxFaultsPerAccess        = 64
	mmapBase                  uint64 = 0x7f00_0000_0000
)

// Options configure an MM.
type Options struct {
	// NoSIGBUS: the policy promises this process no SIGBUS; one delivered is an
	// oracle.SIGBUS violation (and the process is still killed, as the kernel would).
	NoSIGBUS bool
	// MmapLock, if set, is the mmap_lock (default: a model/lock RWSem of class
	// "&mm->mmap_lock", checked by lockdep).
	MmapLock RWLock
	// MaxVMAs bounds the VMAs of the MM (0: DefaultMaxVMAs).
	MaxVMAs int
	// MaxFaultsPerAccess bounds how often one access may fault before it is reported as
	// oracle.Progress (0: DefaultMaxFaultsPerAccess).
	MaxFaultsPerAccess int
}

// Stats count what happened to an MM.
type Stats struct {
	Accesses, Faults, Retries, SIGBUS int
}

// MM is a user process's address space (struct mm_struct) with its mmap_lock, plus the bit
// of the task the model needs: the exit path that closes its files.
type MM struct {
	sim       *des.Sim
	name      des.Label
	opts      Options
	lock      RWLock
	vmas      []*VMA // ordered by Start
	nextAddr  uint64
	atExit    []func(p *des.Proc)
	atExitBuf []func(p *des.Proc) // atExit's backing array, kept by a recycled MM
	dead      bool
	stats     Stats
	rec       *metrics.Recorder // nil: metrics off
	faultDep  *lock.Map         // the mmap_lock's lockdep class, for MightFault
}

var (
	evMmap   = des.L("mmap")
	evMunmap = des.L("munmap")
	evExit   = des.L("exit_mm")
	evSignal = des.L("signal")
)

// NewMM makes the address space of a user process named name.
func NewMM(sim *des.Sim, name string, opts Options) *MM {
	if opts.MaxVMAs <= 0 {
		opts.MaxVMAs = DefaultMaxVMAs
	}
	if opts.MaxFaultsPerAccess <= 0 {
		opts.MaxFaultsPerAccess = DefaultMaxFaultsPerAccess
	}
	m := mms.New(sim)
	m.sim, m.name, m.opts, m.lock, m.nextAddr, m.rec = sim, des.L(name), opts, opts.MmapLock, mmapBase,
		metrics.Of(sim)
	if m.lock == nil {
		m.lock = lock.NewRWSem(sim, mmapLockClass)
	}
	m.faultDep = lock.NewMap(sim, mmapLockClass)
	return m
}

// mmapLockClass is the lockdep class of every mmap_lock (init_rwsem in mm_init: one class).
const mmapLockClass = "&mm->mmap_lock"

// MightFault is __might_fault (mm/memory.c), what copy_to_user and copy_from_user do before
// they touch user memory: might_sleep, and might_lock_read(&current->mm->mmap_lock), a
// lockdep acquire and release of the mmap_lock's class without taking it. So a lock held
// across a user copy that a fault handler (run under mmap_lock) also takes is a lock-order
// inversion, reported whether or not this copy faults. An MM made with Options.MmapLock is
// annotated with the default class all the same.
func (m *MM) MightFault(p *des.Proc) {
	if p.InAtomic() {
		m.sim.Violate(p, oracle.LockOrder, m.name,
			des.MightSleepSplat(p, "mm/memory.c", "might_fault (a user copy) on "+m.name.String(), lock.HeldLocks(p)))
	}
	m.faultDep.AcquireShared(p)
	m.faultDep.Release(p)
}

// Name is the process name.
func (m *MM) Name() string { return m.name.String() }

// Stats returns the counters so far.
func (m *MM) Stats() Stats { return m.stats }

// Dead reports whether the process exited (signal or Exit).
func (m *MM) Dead() bool { return m.dead }

// MmapReadLock and friends are mmap_read_lock / mmap_write_lock.
func (m *MM) MmapReadLock(p *des.Proc)    { m.lock.DownRead(p) }
func (m *MM) MmapReadUnlock(p *des.Proc)  { m.lock.UpRead(p) }
func (m *MM) MmapWriteLock(p *des.Proc)   { m.lock.DownWrite(p) }
func (m *MM) MmapWriteUnlock(p *des.Proc) { m.lock.UpWrite(p) }

// AtExit registers fn to run when the process exits, after its VMAs are gone (exit_files
// after exit_mm): this is where a drm_file is closed. Hooks run in registration order.
func (m *MM) AtExit(fn func(p *des.Proc)) {
	m.atExit = append(m.atExit, fn)
	m.atExitBuf = m.atExit
}

// findVMA is find_vma restricted to a VMA that contains addr.
func (m *MM) findVMA(addr uint64) *VMA {
	for _, v := range m.vmas {
		if addr >= v.Start && addr < v.End() {
			return v
		}
	}
	return nil
}

// FindVMA returns the VMA containing addr, or nil.
func (m *MM) FindVMA(addr uint64) *VMA { return m.findVMA(addr) }

// Mmap maps pages pages of mapping, from page offset pgoff, into the process (do_mmap then
// the file's ->mmap, which set ops and private). It returns the new VMA.
func (m *MM) Mmap(p *des.Proc, mapping *Mapping, pgoff uint64, pages int, ops VMOps, private any) (*VMA, error) {
	if pages <= 0 || ops == nil || mapping == nil {
		return nil, ErrInval
	}
	if m.dead {
		return nil, ErrKilled
	}
	m.MmapWriteLock(p)
	defer m.MmapWriteUnlock(p)
	if m.dead { // the process exited while we waited: nothing would ever close the VMA
		return nil, ErrKilled
	}
	if len(m.vmas) >= m.opts.MaxVMAs {
		return nil, ErrNoMem
	}
	v := vmas.New(m.sim)
	ptes := v.ptes[:0]
	if cap(ptes) < pages {
		ptes = make([]pte, pages)
	}
	*v = VMA{mm: m, Start: m.nextAddr, Pages: pages, PgOff: pgoff, Mapping: mapping,
		Ops: ops, Private: private, ptes: ptes[:pages]}
	m.nextAddr += uint64(pages+1) * PageSize // a guard page between VMAs
	m.vmas = append(m.vmas, v)
	mapping.link(v)
	p.Trace(evMmap, m.name, int64(v.Start), int64(pages))
	return v, nil
}

// Munmap removes a VMA: zap its PTEs, unlink it from its mapping, vm_ops->close.
func (m *MM) Munmap(p *des.Proc, v *VMA) error {
	if v == nil || v.mm != m {
		return ErrInval
	}
	m.MmapWriteLock(p)
	gone := v.removed
	if !gone {
		m.removeVMA(p, v)
	}
	m.MmapWriteUnlock(p)
	if gone {
		return ErrInval
	}
	return nil
}

func (m *MM) removeVMA(p *des.Proc, v *VMA) {
	p.Point(evMunmap, m.name, int64(v.Start), int64(v.Pages))
	v.zap(0, v.Pages)
	v.Mapping.unlink(v)
	for i, w := range m.vmas {
		if w == v {
			m.vmas = append(m.vmas[:i], m.vmas[i+1:]...)
			break
		}
	}
	v.removed = true
	if c, ok := v.Ops.(VMCloser); ok {
		c.Close(p, v)
	}
}

// Exit is do_exit: exit_mm (every VMA removed, vm_ops->close) then exit_files (the AtExit
// hooks). Calling it again does nothing.
func (m *MM) Exit(p *des.Proc) {
	if m.dead {
		return
	}
	m.dead = true
	p.Point(evExit, m.name, int64(len(m.vmas)), 0)
	m.MmapWriteLock(p)
	for len(m.vmas) > 0 { // bounded: each pass removes one
		m.removeVMA(p, m.vmas[0])
	}
	m.MmapWriteUnlock(p)
	hooks := m.atExit
	m.atExit = nil
	for _, fn := range hooks {
		fn(p)
	}
}

func (m *MM) String() string { return fmt.Sprintf("mm(%s)", m.name.String()) }
