package lock

import "hotplugsim/des"

var (
	evMapAcquire = des.L("lock_map_acquire")
	evMapRelease = des.L("lock_map_release")
)

// Map is a struct lockdep_map used as a pseudo-lock (include/linux/lockdep.h): it blocks
// nothing, but lockdep orders it against real locks, which is how dma-fence signalling
// sections, fence waits, work flushes and SRCU are checked. Acquiring a Map is an
// annotation, so it is traced but is not a scheduling point.
type Map struct {
	name des.Label
	dep  *class
}

// NewMap makes a lockdep map (STATIC_LOCKDEP_MAP_INIT); name is its class.
func NewMap(sim *des.Sim, name string) *Map {
	m := lockMaps.New(sim)
	m.dep = classOf(sim, name)
	m.name = m.dep.label
	return m
}

// Acquire is lock_map_acquire: an exclusive acquisition (what a wait does).
func (m *Map) Acquire(p *des.Proc) { m.acquire(p, readNone, 0) }

// AcquireRead is lock_map_acquire_read: a recursive read; readers never block each other.
func (m *Map) AcquireRead(p *des.Proc) { m.acquire(p, readRecursive, 0) }

// AcquireReadUnchecked is rcu_lock_acquire: lock_acquire(map, 0, 0, 2, 0, NULL, ip), a
// recursive read with check=0. Lockdep lists it among the held locks but validates nothing:
// no irq usage, no dependencies into it, and none out of it (a lock taken next gets no
// dependency on the locks held below it either, as check_prevs_add stops there).
func (m *Map) AcquireReadUnchecked(p *des.Proc) { m.acquire(p, readRecursive, flNoCheck) }

// AcquireShared is lock_acquire_shared: a non-recursive read, as dma_fence_begin_signalling
// takes dma_fence_lockdep_map.
func (m *Map) AcquireShared(p *des.Proc) { m.acquire(p, readShared, 0) }

// TryAcquireShared is a successful non-recursive read trylock (lock_acquire with trylock=1,
// read=1), as dma_fence_begin_signalling takes dma_fence_lockdep_map: it never waits, so
// lockdep records no dependency from the locks already held to it (and runs no deadlock
// check), while locks taken under it still depend on it.
func (m *Map) TryAcquireShared(p *des.Proc) { m.acquire(p, readShared, flTrylock) }

// Sync is lock_map_sync: acquire and release at once (synchronize_srcu-like waits), with
// no irq-usage marking.
func (m *Map) Sync(p *des.Proc) { m.acquire(p, readNone, flSync) }

// Release is lock_map_release.
func (m *Map) Release(p *des.Proc) {
	p.Trace(evMapRelease, m.name, 0, 0)
	release(p, m.dep, instOf(m))
}

// IsHeld is lock_is_held: whether p holds the map in any mode.
func (m *Map) IsHeld(p *des.Proc) bool { return isHeld(p, instOf(m)) }

func (m *Map) acquire(p *des.Proc, read uint8, fl acqFlags) {
	p.Trace(evMapAcquire, m.name, int64(read), 0)
	acquire(p, m.dep, instOf(m), read, fl)
}
