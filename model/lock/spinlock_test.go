package lock_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
)

func TestSpinLockContendedSpinsThenTakes(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := lock.NewSpinLock(sim, "wait_lock")
	var order []string
	sim.Spawn("a", des.Task, func(p *des.Proc) {
		l.Lock(p)
		p.Busy(10)
		order = append(order, "a")
		l.Unlock(p)
	})
	sim.Spawn("b", des.Task, func(p *des.Proc) {
		l.Lock(p)
		order = append(order, "b")
		assert.Equal(t, des.Time(10), p.Now(), "b spun until a released")
		assert.True(t, p.InAtomic())
		l.Unlock(p)
		assert.False(t, p.InAtomic())
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, []string{"a", "b"}, order)
}

func TestSleepUnderSpinLockIsReported(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := lock.NewSpinLock(sim, "fence->lock")
	sim.Spawn("signal", des.Task, func(p *des.Proc) { l.Lock(p); p.Sleep(1); l.Unlock(p) })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.LockOrder, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "BUG: sleeping function called from invalid context")
}

func TestMutexUnderSpinLockIsReported(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l, m := lock.NewSpinLock(sim, "S"), lock.NewMutex(sim, "M")
	sim.Spawn("x", des.Task, func(p *des.Proc) { l.Lock(p); m.Lock(p) })
	onlyLockOrder(t, sim.Run(), "BUG: sleeping function called from invalid context at kernel/locking/mutex.c\n")
}

func TestMutexInIRQIsReported(t *testing.T) {
	sim := des.MustNew(des.Config{})
	m := lock.NewMutex(sim, "M")
	sim.Spawn("irq", des.IRQ, func(p *des.Proc) { m.Lock(p) })
	onlyLockOrder(t, sim.Run(), "context: irq, atomic depth 0\ncall: mutex_lock on M\n")
}

func TestSleepAfterSpinUnlockIsFine(t *testing.T) {
	sim := des.MustNew(des.Config{})
	l := lock.NewSpinLock(sim, "S")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		l.LockIRQSave(p)
		l.UnlockIRQRestore(p)
		l.Lock(p)
		l.Unlock(p)
		p.Sleep(1)
	})
	modeltest.OK(t, sim.Run())
}

func TestSpinUnlockNotHeldKeepsAtomicBalance(t *testing.T) {
	sim := modeltest.Collect()
	l := lock.NewSpinLock(sim, "S")
	sim.Spawn("x", des.Task, func(p *des.Proc) { l.Unlock(p); p.Sleep(1) })
	onlyLockOrder(t, sim.Run(), "bad unlock balance")
}
