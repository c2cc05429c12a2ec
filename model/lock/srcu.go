package lock

import (
	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

var (
	evSRCULock   = des.L("srcu_read_lock")
	evSRCUUnlock = des.L("srcu_read_unlock")
	evSRCUSync   = des.L("synchronize_srcu")
	evSRCUFlip   = des.L("srcu_flip")
	evSRCUDone   = des.L("synchronize_srcu_done")
)

// SRCU is struct srcu_struct (kernel/rcu/srcutree.c): readers count themselves on the
// current index; a grace period waits for the other index to drain, flips the index and
// waits for the old one to drain, so it waits for exactly the readers that started before
// the flip. Grace periods are serialised (srcu_gp_mutex). Lockdep sees the read side as a
// recursive read of the srcu's own map and synchronize_srcu as lock_sync() of it.
type SRCU struct {
	name    des.Label
	dep     *class
	idx     int
	readers []srcuReader // in ReadLock order, at most a few per process
	drain   *des.WaitQueue
	gp      *des.WaitQueue
	gpOwner *des.Proc
	oldIdx  int // the index the running grace period drains
	// drainOwner and gpOwnerFn are the wait queues' owner functions, kept by a recycled SRCU
	// (they read its own fields).
	drainOwner, gpOwnerFn func() *des.Proc
}

var (
	srcus     = des.NewSlabKey[SRCU]()
	wwClasses = des.NewSlabKey[WWClass]()
	wwCtxs    = des.NewSlabKey[WWAcquireCtx]()
)

// Recycle keeps the readers' capacity and the owner functions (des.Recycler).
func (s *SRCU) Recycle() {
	clear(s.readers[:cap(s.readers)])
	*s = SRCU{readers: s.readers[:0], drainOwner: s.drainOwner, gpOwnerFn: s.gpOwnerFn}
}

type srcuReader struct {
	p   *des.Proc
	idx int
}

// NewSRCU makes an srcu_struct (init_srcu_struct); name is its lockdep class.
func NewSRCU(sim *des.Sim, name string) *SRCU {
	s := srcus.New(sim)
	s.dep = classOf(sim, name)
	s.name = s.dep.label
	s.drain, s.gp = des.NewWaitQueue(sim, des.Join(sim, name, ".readers")), des.NewWaitQueue(sim, des.Join(sim, name, ".gp"))
	if s.drainOwner == nil {
		s.drainOwner = func() *des.Proc { return s.reader(s.oldIdx) }
		s.gpOwnerFn = func() *des.Proc { return s.gpOwner }
	}
	s.drain.SetOwner(s.drainOwner)
	s.gp.SetOwner(s.gpOwnerFn)
	return s
}

// ReadLock is srcu_read_lock: it returns the index to pass to ReadUnlock.
func (s *SRCU) ReadLock(p *des.Proc) int {
	p.Point(evSRCULock, s.name, int64(s.idx), 0)
	idx := s.idx
	s.readers = append(s.readers, srcuReader{p, idx})
	acquire(p, s.dep, instOf(s), readRecursive, 0)
	return idx
}

// ReadUnlock is srcu_read_unlock.
func (s *SRCU) ReadUnlock(p *des.Proc, idx int) {
	p.Point(evSRCUUnlock, s.name, int64(idx), 0)
	i := s.find(p, idx)
	if i < 0 {
		s.reportUnlock(p, idx)
		return
	}
	release(p, s.dep, instOf(s))
	s.readers = append(s.readers[:i], s.readers[i+1:]...)
	if s.count(idx) == 0 {
		s.drain.WakeAll()
	}
}

// reportUnlock is srcu_read_unlock with an index none of p's read sections of s holds:
// with no read section at all, srcu_lock_release's bad unlock balance (lockdep); else the
// function's WARN_ON_ONCE on the index.
func (s *SRCU) reportUnlock(p *des.Proc, idx int) {
	var entered []int
	for _, r := range s.readers {
		if r.p == p {
			entered = append(entered, r.idx)
		}
	}
	if len(entered) == 0 {
		release(p, s.dep, instOf(s))
		return
	}
	site := oracle.Site(p.Sim(), p, "srcu_read_unlock")
	site.Seq = 0 // the report's own event is the WARN
	graphOf(p.Sim()).report(p, "srcu-unlock:"+s.dep.name+":"+p.String(), s.name,
		splat.SRCUReadUnlock(s.dep.name, idx, entered, site, heldLocks(p, taskOf(p))))
}

// Synchronize is synchronize_srcu: it returns once every reader that started before it
// has left its read section.
func (s *SRCU) Synchronize(p *des.Proc) {
	mightSleep(p, "kernel/rcu/srcutree.c", "synchronize_srcu", s.dep)
	p.Point(evSRCUSync, s.name, 0, 0)
	acquire(p, s.dep, instOf(s), readNone, flSync)
	s.gp.Wait(p, func() bool { return s.gpOwner == nil })
	s.gpOwner = p
	s.oldIdx = s.idx ^ 1
	s.drain.Wait(p, func() bool { return s.count(s.oldIdx) == 0 })
	s.oldIdx = s.idx
	s.idx ^= 1
	p.Trace(evSRCUFlip, s.name, int64(s.idx), 0)
	s.drain.Wait(p, func() bool { return s.count(s.oldIdx) == 0 })
	s.gpOwner = nil
	s.gp.WakeOne()
	p.Trace(evSRCUDone, s.name, 0, 0)
}

// Readers is the number of readers inside a read section.
func (s *SRCU) Readers() int { return len(s.readers) }

// ReadLockHeld is srcu_read_lock_held: whether p is inside a read section of s.
func (s *SRCU) ReadLockHeld(p *des.Proc) bool { return isHeld(p, instOf(s)) }

func (s *SRCU) count(idx int) int {
	n := 0
	for _, r := range s.readers {
		if r.idx == idx {
			n++
		}
	}
	return n
}

func (s *SRCU) find(p *des.Proc, idx int) int {
	for i := len(s.readers) - 1; i >= 0; i-- {
		if s.readers[i].p == p && s.readers[i].idx == idx {
			return i
		}
	}
	return -1
}

func (s *SRCU) reader(idx int) *des.Proc {
	for _, r := range s.readers {
		if r.idx == idx {
			return r.p
		}
	}
	return nil
}
