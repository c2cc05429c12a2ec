package mm

import (
	"strings"

	"hotplugsim/des"
	"hotplugsim/model/lock"
)

// GFP is a gfp_t reduced to the bits that decide what reclaim an allocation may enter
// (include/linux/gfp_types.h).
type GFP uint8

const (
	// GFPDirectReclaim is __GFP_DIRECT_RECLAIM: the allocation may sleep to reclaim memory.
	GFPDirectReclaim GFP = 1 << iota
	// GFPIO is __GFP_IO: reclaim may start physical I/O.
	GFPIO
	// GFPFS is __GFP_FS: reclaim may call into filesystems (and shrinkers that need them).
	GFPFS
)

// The gfp masks drivers use. GFP_ATOMIC and GFP_NOWAIT never enter direct reclaim.
const (
	GFPAtomic GFP = 0
	GFPNoWait GFP = 0
	GFPNoIO       = GFPDirectReclaim
	GFPNoFS       = GFPDirectReclaim | GFPIO
	GFPKernel     = GFPDirectReclaim | GFPIO | GFPFS
)

func (g GFP) String() string {
	switch g {
	case GFPKernel:
		return "GFP_KERNEL"
	case GFPNoFS:
		return "GFP_NOFS"
	case GFPNoIO:
		return "GFP_NOIO"
	case GFPNoWait:
		return "GFP_NOWAIT"
	}
	var parts []string
	for bit, name := range []string{"__GFP_DIRECT_RECLAIM", "__GFP_IO", "__GFP_FS"} {
		if g&(1<<bit) != 0 {
			parts = append(parts, name)
		}
	}
	return strings.Join(parts, "|")
}

// reclaim holds the per-simulation lockdep maps of mm/page_alloc.c and mm/mmu_notifier.c.
type reclaim struct {
	fs  *lock.Map // __fs_reclaim_map, "fs_reclaim"
	mmu *lock.Map // __mmu_notifier_invalidate_range_start_map
}

var (
	reclaimKey = des.NewSimKey[reclaim]()
	reclaims   = des.NewSlabKey[reclaim]()
)

func reclaimOf(sim *des.Sim) *reclaim {
	return reclaimKey.Get(sim, func(sim *des.Sim) *reclaim {
		r := reclaims.New(sim)
		r.fs, r.mmu = lock.NewMap(sim, "fs_reclaim"), lock.NewMap(sim, "mmu_notifier_invalidate_range_start")
		return r
	})
}

// MMUNotifierMap is __mmu_notifier_invalidate_range_start_map: what an mmu notifier's
// invalidate_range_start runs under, for lockdep (dma_resv_lockdep primes it).
func MMUNotifierMap(sim *des.Sim) *lock.Map { return reclaimOf(sim).mmu }

// memallocKey keeps a process's memalloc_nofs/noio scope (current->flags' PF_MEMALLOC_NOFS,
// PF_MEMALLOC_NOIO).
var memallocKey = des.NewProcKey[GFP]()

// memallocs are the scopes' storage, reused by a sweep worker run after run.
var memallocs = des.NewSlabKey[GFP]()

// cleared returns the gfp bits the process's memalloc scopes clear (current_gfp_context).
func cleared(p *des.Proc) *GFP {
	return memallocKey.Get(p, func(p *des.Proc) *GFP { return memallocs.New(p.Sim()) })
}

// MemallocNoFSSave is memalloc_nofs_save: allocations of p lose __GFP_FS until the matching
// MemallocRestore. It returns the scope to restore.
func MemallocNoFSSave(p *des.Proc) GFP { return memallocSave(p, GFPFS) }

// MemallocNoIOSave is memalloc_noio_save: allocations of p lose __GFP_IO and __GFP_FS.
func MemallocNoIOSave(p *des.Proc) GFP { return memallocSave(p, GFPIO|GFPFS) }

func memallocSave(p *des.Proc, clear GFP) GFP {
	c := cleared(p)
	old := *c
	*c |= clear
	return old
}

// MemallocRestore is memalloc_nofs_restore / memalloc_noio_restore.
func MemallocRestore(p *des.Proc, saved GFP) { *cleared(p) = saved }

// needReclaim is current_gfp_context then __need_reclaim: the mask p's allocation really
// uses, and whether it may enter direct reclaim.
func needReclaim(p *des.Proc, gfp GFP) (GFP, bool) {
	gfp &^= *cleared(p)
	return gfp, gfp&GFPDirectReclaim != 0
}

// FSReclaimAcquire is fs_reclaim_acquire: p is (or might be) in direct reclaim for gfp.
// With __GFP_FS it holds the fs_reclaim map until FSReclaimRelease; with any direct
// reclaim it also passes through the mmu-notifier map, as reclaim may invalidate mappings.
// Shrinker set-up primes lockdep with it: FSReclaimAcquire, take the shrinker's lock,
// FSReclaimRelease.
func FSReclaimAcquire(p *des.Proc, gfp GFP) {
	gfp, ok := needReclaim(p, gfp)
	if !ok {
		return
	}
	r := reclaimOf(p.Sim())
	if gfp&GFPFS != 0 {
		r.fs.Acquire(p)
	}
	r.mmu.Acquire(p)
	r.mmu.Release(p)
}

// FSReclaimRelease is fs_reclaim_release (with the gfp given to FSReclaimAcquire).
func FSReclaimRelease(p *des.Proc, gfp GFP) {
	if gfp, ok := needReclaim(p, gfp); ok && gfp&GFPFS != 0 {
		reclaimOf(p.Sim()).fs.Release(p)
	}
}

// MightAlloc is might_alloc (include/linux/sched/mm.h), which every kmalloc and page
// allocation runs: lockdep learns that whatever p holds now is held across reclaim, and a
// blocking mask in atomic context is a sleep in atomic context. So a GFP_KERNEL (or
// GFP_NOFS) allocation inside a dma-fence signalling section closes the cycle fence
// signalling -> reclaim -> mmu notifier -> fence wait that dma_resv_lockdep primes, and is
// reported; GFP_NOWAIT and GFP_ATOMIC are not.
func MightAlloc(p *des.Proc, gfp GFP) {
	FSReclaimAcquire(p, gfp)
	FSReclaimRelease(p, gfp)
	if gfp&GFPDirectReclaim != 0 {
		lock.MightSleep(p, "might_alloc("+gfp.String()+")", reclaimOf(p.Sim()).fs)
	}
}
