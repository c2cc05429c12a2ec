package lock_test

import (
	"testing"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
)

// M read-recursively then L, and L then M read-recursively: no deadlock is possible (the
// second reader is never blocked by the first), so no report: -(ER)-> then -(SN)-> is not
// a strong cycle.
func TestMapRecursiveReadAgainstMutexIsNoCycle(t *testing.T) {
	sim := modeltest.Collect()
	m, l := lock.NewMap(sim, "M"), lock.NewMutex(sim, "L")
	sim.Spawn("a", des.Task, func(p *des.Proc) { m.AcquireRead(p); l.Lock(p); l.Unlock(p); m.Release(p) })
	sim.Spawn("b", des.Task, func(p *des.Proc) { p.Sleep(5); l.Lock(p); m.AcquireRead(p); m.Release(p); l.Unlock(p) })
	modeltest.OK(t, sim.Run())
}

// The same with an exclusive acquisition of M (a wait on what M's readers signal) is a
// cycle.
func TestMapWriteAgainstMutexIsACycle(t *testing.T) {
	sim := modeltest.Collect()
	m, l := lock.NewMap(sim, "M"), lock.NewMutex(sim, "L")
	sim.Spawn("a", des.Task, func(p *des.Proc) { m.AcquireRead(p); l.Lock(p); l.Unlock(p); m.Release(p) })
	sim.Spawn("b", des.Task, func(p *des.Proc) { p.Sleep(5); l.Lock(p); m.Acquire(p); m.Release(p); l.Unlock(p) })
	onlyLockOrder(t, sim.Run(), "circular", "-> #1 (L):\n       taken while holding (M)")
}

func TestMapRecursiveReadNests(t *testing.T) {
	sim := modeltest.Collect()
	m := lock.NewMap(sim, "dma_fence_map")
	sim.Spawn("a", des.Task, func(p *des.Proc) {
		m.AcquireRead(p)
		m.AcquireRead(p)
		m.Release(p)
		m.Release(p)
	})
	modeltest.OK(t, sim.Run())
}

func TestMapSharedReadDoesNotNest(t *testing.T) {
	sim := modeltest.Collect()
	m := lock.NewMap(sim, "dma_fence_map")
	sim.Spawn("a", des.Task, func(p *des.Proc) { m.AcquireShared(p); m.AcquireShared(p); m.Release(p); m.Release(p) })
	onlyLockOrder(t, sim.Run(), "possible recursive locking detected")
}

// A wait (acquire+release) inside the map's own read section is a self-deadlock.
func TestMapWaitInsideOwnReadSection(t *testing.T) {
	sim := modeltest.Collect()
	m := lock.NewMap(sim, "dma_fence_map")
	sim.Spawn("a", des.Task, func(p *des.Proc) { m.AcquireRead(p); m.Acquire(p); m.Release(p); m.Release(p) })
	onlyLockOrder(t, sim.Run(), "possible recursive locking detected")
}

func TestMapSyncIsNotHeld(t *testing.T) {
	sim := modeltest.Collect()
	m, l := lock.NewMap(sim, "wq"), lock.NewMutex(sim, "L")
	sim.Spawn("a", des.Task, func(p *des.Proc) { m.Sync(p); l.Lock(p); l.Unlock(p) })
	modeltest.OK(t, sim.Run())
}

func TestMapReleaseNotHeld(t *testing.T) {
	sim := modeltest.Collect()
	m := lock.NewMap(sim, "M")
	sim.Spawn("a", des.Task, func(p *des.Proc) { m.Release(p) })
	onlyLockOrder(t, sim.Run(), "bad unlock balance")
}

// The recursive-read cases of lib/locking-selftest.c (Boqun Feng's lockdep selftests),
// each dependency taken by its own process at its own time. E/S: the first lock held
// exclusive/shared; R/N: the second taken as a recursive read / not.
func TestRecursiveReadSelftests(t *testing.T) {
	type step struct{ first, second string } // "w" Acquire, "r" AcquireRead
	for _, tc := range []struct {
		name     string
		deps     [3]step // X->Y, Y->Z, Z->X
		deadlock bool
	}{
		{"ER ER ER is a deadlock", [3]step{{"w", "r"}, {"w", "r"}, {"w", "r"}}, true},
		{"EN SR ER is a deadlock", [3]step{{"w", "w"}, {"r", "r"}, {"w", "r"}}, true},
		{"EN SR SN is not", [3]step{{"w", "w"}, {"r", "r"}, {"r", "w"}}, false},
		{"ER SR EN is not", [3]step{{"w", "r"}, {"r", "r"}, {"w", "w"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := modeltest.Collect()
			ms := []*lock.Map{lock.NewMap(sim, "X"), lock.NewMap(sim, "Y"), lock.NewMap(sim, "Z")}
			take := func(p *des.Proc, m *lock.Map, mode string) {
				if mode == "w" {
					m.Acquire(p)
				} else {
					m.AcquireRead(p)
				}
			}
			for i, d := range tc.deps {
				a, b := ms[i], ms[(i+1)%3]
				sim.Spawn("p", des.Task, func(p *des.Proc) {
					p.Sleep(des.Duration(10 * i))
					take(p, a, d.first)
					take(p, b, d.second)
					b.Release(p)
					a.Release(p)
				})
			}
			r := sim.Run()
			if tc.deadlock {
				onlyLockOrder(t, r, "possible circular locking dependency detected")
			} else {
				modeltest.OK(t, r)
			}
		})
	}
}
