package lock_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/lock"
)

// Three transactions lock three BOs in different orders under many schedules: wait-die
// always makes progress, nothing is reported, and each run is reproducible.
func TestWWRandomSchedulesMakeProgress(t *testing.T) {
	orders := [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}}
	run := func(seed uint64, strategy string) des.Result {
		sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy, NoTape: true})
		c := lock.NewWWClass(sim, "reservation_ww_class")
		bos := []*lock.WWMutex{lock.NewWWMutex(c, "bo0"), lock.NewWWMutex(c, "bo1"), lock.NewWWMutex(c, "bo2")}
		inside := 0
		for i, order := range orders {
			ms := []*lock.WWMutex{bos[order[0]], bos[order[1]], bos[order[2]]}
			sim.Spawn("exec", des.Task, func(p *des.Proc) {
				for round := 0; round < 2; round++ {
					ctx, _ := lockAll(p, c, ms...)
					inside++
					assert.Equal(t, 1, inside, "ww_mutexes exclude")
					p.Sleep(des.Duration(i + 1))
					inside--
					unlockAll(p, ctx, ms...)
				}
			})
		}
		return sim.Run()
	}
	for seed := uint64(1); seed <= 100; seed++ {
		for _, strategy := range []string{"random:3ns", "pct:3"} {
			r := run(seed, strategy)
			require.True(t, r.OK(), "seed %d %s: %v", seed, strategy, r.Violations)
			require.Equal(t, r.Fingerprint, run(seed, strategy).Fingerprint, "seed %d deterministic", seed)
		}
	}
}

// Readers, writers, an SRCU and a spinlock in a consistent order under many schedules.
func TestMixedLocksRandomSchedulesStayClean(t *testing.T) {
	for seed := uint64(1); seed <= 100; seed++ {
		sim := des.MustNew(des.Config{Seed: seed, Strategy: "random:5ns", NoTape: true})
		sem := lock.NewRWSem(sim, "sem")
		m := lock.NewMutex(sim, "m")
		sl := lock.NewSpinLock(sim, "sl")
		srcu := lock.NewSRCU(sim, "srcu")
		writers, readers := 0, 0
		var inSection [3]bool
		for i := 0; i < 3; i++ {
			sim.Spawn("reader", des.Task, func(p *des.Proc) {
				idx := srcu.ReadLock(p)
				inSection[i] = true
				sem.DownRead(p)
				readers++
				assert.Zero(t, writers)
				m.Lock(p)
				sl.LockIRQSave(p)
				sl.UnlockIRQRestore(p)
				m.Unlock(p)
				p.Sleep(2)
				readers--
				sem.UpRead(p)
				srcu.ReadUnlock(p, idx)
				inSection[i] = false
			})
		}
		sim.Spawn("writer", des.Task, func(p *des.Proc) {
			sem.DownWrite(p)
			writers++
			assert.Zero(t, readers)
			p.Sleep(1)
			writers--
			sem.UpWrite(p)
			before := inSection
			srcu.Synchronize(p)
			for i := range before {
				assert.False(t, before[i] && inSection[i], "reader %d predates synchronize_srcu", i)
			}
		})
		sim.Spawn("irq", des.IRQ, func(p *des.Proc) { sl.Lock(p); sl.Unlock(p) })
		r := sim.Run()
		require.True(t, r.OK(), "seed %d: %v", seed, r.Violations)
	}
}
