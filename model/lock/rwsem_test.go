package lock_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/lock"
)

func TestRWSemReadersShareWriterExcludes(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := lock.NewRWSem(sim, "reset_sem")
	var wAt des.Time
	for i := 0; i < 2; i++ {
		sim.Spawn("reader", des.Task, func(p *des.Proc) {
			s.DownRead(p)
			assert.Equal(t, des.Time(0), p.Now(), "readers share")
			p.Sleep(10)
			s.UpRead(p)
		})
	}
	sim.Spawn("writer", des.Task, func(p *des.Proc) {
		p.Sleep(1)
		s.DownWrite(p)
		wAt = p.Now()
		assert.Equal(t, 0, s.Readers())
		assert.Equal(t, p, s.Writer())
		s.UpWrite(p)
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, des.Time(10), wAt)
}

// A writer waiting behind a reader blocks a later reader (no reader starvation of writers).
func TestRWSemWaitingWriterBlocksNewReaders(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := lock.NewRWSem(sim, "sem")
	var order []string
	sim.Spawn("r1", des.Task, func(p *des.Proc) { s.DownRead(p); p.Sleep(10); s.UpRead(p) })
	sim.Spawn("w", des.Task, func(p *des.Proc) {
		p.Sleep(1)
		s.DownWrite(p)
		order = append(order, "w")
		p.Sleep(5)
		s.UpWrite(p)
	})
	sim.Spawn("r2", des.Task, func(p *des.Proc) {
		p.Sleep(2)
		require.False(t, s.DownReadTrylock(p), "a writer waits")
		s.DownRead(p)
		order = append(order, "r2")
		assert.Equal(t, des.Time(15), p.Now())
		s.UpRead(p)
	})
	modeltest.OK(t, sim.Run())
	assert.Equal(t, []string{"w", "r2"}, order)
}

// down_read twice with a writer queued in between deadlocks; lockdep says so first,
// because down_read is a non-recursive read.
func TestRWSemRecursiveReadIsReported(t *testing.T) {
	sim := modeltest.Collect()
	s := lock.NewRWSem(sim, "sem")
	sim.Spawn("r", des.Task, func(p *des.Proc) { s.DownRead(p); p.Sleep(5); s.DownRead(p) })
	sim.Spawn("w", des.Task, func(p *des.Proc) { p.Sleep(1); s.DownWrite(p) })
	r := sim.Run()
	require.NotEmpty(t, r.Violations)
	assert.Contains(t, r.Violations[0].Msg, "possible recursive locking detected")
	assert.Contains(t, r.Violations[0].Msg, "(sem){read}")
	assert.Contains(t, modeltest.Kinds(r), des.KindDeadlock, "and it really deadlocks")
}

func TestRWSemTrylocks(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := lock.NewRWSem(sim, "sem")
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		require.True(t, s.DownWriteTrylock(p))
		s.UpWrite(p)
		require.True(t, s.DownReadTrylock(p))
		require.False(t, s.DownWriteTrylock(p))
		s.UpRead(p)
	})
	modeltest.OK(t, sim.Run())
}

func TestRWSemUpReadNotHeld(t *testing.T) {
	sim := des.MustNew(des.Config{})
	s := lock.NewRWSem(sim, "sem")
	sim.Spawn("x", des.Task, func(p *des.Proc) { s.UpRead(p) })
	onlyLockOrder(t, sim.Run(), "bad unlock balance", "(sem)")
}

// Read-side order inversions matter too: down_read(A); lock(B) vs lock(B); down_write(A).
func TestRWSemReadWriteInversion(t *testing.T) {
	sim := modeltest.Collect()
	s, m := lock.NewRWSem(sim, "A"), lock.NewMutex(sim, "B")
	sim.Spawn("reader", des.Task, func(p *des.Proc) { s.DownRead(p); m.Lock(p); m.Unlock(p); s.UpRead(p) })
	sim.Spawn("writer", des.Task, func(p *des.Proc) {
		p.Sleep(5)
		m.Lock(p)
		s.DownWrite(p)
		s.UpWrite(p)
		m.Unlock(p)
	})
	onlyLockOrder(t, sim.Run(), "possible circular locking dependency detected")
}

// up_write on a rwsem no writer holds is reported (bad unlock balance) and corrupts the count
// as rwsem.c does: later readers block for good. A balanced up_write leaves it usable.
func TestRWSemUpWriteUnheldCorruptsTheCount(t *testing.T) {
	for _, unheld := range []bool{false, true} {
		sim := des.MustNew(des.Config{CollectAll: true})
		s := lock.NewRWSem(sim, "reset_sem")
		got := false
		sim.Spawn("driver", des.Task, func(p *des.Proc) {
			if !unheld {
				s.DownWrite(p)
			}
			s.UpWrite(p)
			assert.Equal(t, !unheld, s.DownReadTrylock(p), "unheld %v", unheld)
			if !unheld {
				s.UpRead(p)
			}
		})
		sim.Spawn("reader", des.Task, func(p *des.Proc) {
			p.Sleep(1)
			s.DownRead(p)
			got = true
			s.UpRead(p)
		})
		r := sim.Run()
		assert.Equal(t, !unheld, got, "unheld %v", unheld)
		if !unheld {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotEmpty(t, r.Violations)
		assert.Equal(t, des.ViolationKind("lock-order"), r.Violations[0].Kind)
		assert.Contains(t, r.Violations[0].Msg, "bad unlock balance")
	}
}
