package lock

import "hotplugsim/des"

var (
	evDownRead  = des.L("down_read")
	evDownWrite = des.L("down_write")
	evUpRead    = des.L("up_read")
	evUpWrite   = des.L("up_write")
	evRWLocked  = des.L("rwsem_locked")
)

// RWSem is struct rw_semaphore (kernel/locking/rwsem.c): many readers or one writer.
// Waiters queue in FIFO order and a queued waiter blocks new readers, so a writer waiting
// behind readers stops later readers (which is why lockdep treats down_read as a
// non-recursive read). On release the head of the queue is granted: one writer, or the run
// of readers at the head.
type RWSem struct {
	name    des.Label
	dep     *class
	writer  *des.Proc
	readers []*des.Proc
	waiters []*rwWaiter // FIFO, at most one entry per blocked process
	wq      *des.WaitQueue
	// corrupt: up_write on a rwsem no writer held subtracted RWSEM_WRITER_LOCKED from a count
	// without it; the count reads as write-locked from then on, so every later down blocks.
	corrupt bool
}

type rwWaiter struct {
	p       *des.Proc
	write   bool
	granted bool
}

// NewRWSem makes a rw_semaphore of lock class class (init_rwsem).
func NewRWSem(sim *des.Sim, class string) *RWSem {
	s := rwSems.New(sim)
	s.dep = classOf(sim, class)
	s.name, s.wq = s.dep.label, des.NewWaitQueueLabel(sim, s.dep.label)
	s.wq.SetHolder((*rwHolder)(s))
	return s
}

// rwHolder is an RWSem as its wait queue's des.Holder.
type rwHolder RWSem

func (h *rwHolder) Owner() *des.Proc { return (*RWSem)(h).holder() }

// Recycle keeps the capacity of the reader and waiter lists for a reused RWSem (des.Recycler).
func (s *RWSem) Recycle() {
	readers, waiters := s.readers[:0], s.waiters[:0]
	*s = RWSem{readers: readers, waiters: waiters}
}

func (s *RWSem) holder() *des.Proc {
	if s.writer != nil {
		return s.writer
	}
	if len(s.readers) > 0 {
		return s.readers[0]
	}
	return nil
}

// DownRead is down_read.
func (s *RWSem) DownRead(p *des.Proc) {
	mightSleep(p, "kernel/locking/rwsem.c", "down_read", s.dep)
	p.Point(evDownRead, s.name, 0, 0)
	acquire(p, s.dep, instOf(s), readShared, 0)
	if s.writer == nil && len(s.waiters) == 0 && !s.corrupt {
		s.readers = append(s.readers, p)
	} else {
		s.queue(p, false)
	}
	p.Trace(evRWLocked, s.name, 0, 0)
}

// DownWrite is down_write.
func (s *RWSem) DownWrite(p *des.Proc) {
	mightSleep(p, "kernel/locking/rwsem.c", "down_write", s.dep)
	p.Point(evDownWrite, s.name, 1, 0)
	acquire(p, s.dep, instOf(s), readNone, 0)
	if s.writer == nil && len(s.readers) == 0 && len(s.waiters) == 0 && !s.corrupt {
		s.writer = p
	} else {
		s.queue(p, true)
	}
	p.Trace(evRWLocked, s.name, 1, 0)
}

// queue sleeps until the releaser grants p the semaphore (rwsem_mark_wake hands it over).
func (s *RWSem) queue(p *des.Proc, write bool) {
	w := &rwWaiter{p: p, write: write}
	s.waiters = append(s.waiters, w)
	s.wq.Wait(p, func() bool { return w.granted })
}

// DownReadTrylock is down_read_trylock: it fails if a writer holds or anyone waits.
func (s *RWSem) DownReadTrylock(p *des.Proc) bool {
	p.Point(evDownRead, s.name, 0, 1)
	if s.writer != nil || len(s.waiters) > 0 || s.corrupt {
		return false
	}
	s.readers = append(s.readers, p)
	acquire(p, s.dep, instOf(s), readShared, flTrylock)
	return true
}

// DownWriteTrylock is down_write_trylock: it fails unless the semaphore is idle.
func (s *RWSem) DownWriteTrylock(p *des.Proc) bool {
	p.Point(evDownWrite, s.name, 1, 1)
	if s.writer != nil || len(s.readers) > 0 || len(s.waiters) > 0 || s.corrupt {
		return false
	}
	s.writer = p
	acquire(p, s.dep, instOf(s), readNone, flTrylock)
	return true
}

// UpRead is up_read.
func (s *RWSem) UpRead(p *des.Proc) {
	p.Point(evUpRead, s.name, 0, 0)
	release(p, s.dep, instOf(s))
	for i, r := range s.readers {
		if r == p {
			s.readers = append(s.readers[:i], s.readers[i+1:]...)
			s.grant()
			return
		}
	}
}

// UpWrite is up_write.
func (s *RWSem) UpWrite(p *des.Proc) {
	p.Point(evUpWrite, s.name, 0, 0)
	release(p, s.dep, instOf(s))
	if s.writer == nil {
		// rwsem.c's up_write: DEBUG_RWSEMS warns (lockdep reported it above), then the count
		// loses a writer bit it never had: it stays "write-locked" and later downs block.
		s.corrupt = true
		return
	}
	s.writer = nil
	s.grant()
}

// grant is rwsem_wake/rwsem_mark_wake: hand the semaphore to the head of the queue.
func (s *RWSem) grant() {
	n := 0
	for n < len(s.waiters) && s.writer == nil && !s.corrupt {
		w := s.waiters[n]
		if w.write {
			if n > 0 || len(s.readers) > 0 {
				break
			}
			s.writer = w.p
		} else {
			s.readers = append(s.readers, w.p)
		}
		w.granted = true
		n++
	}
	if n == 0 {
		return
	}
	s.waiters = append(s.waiters[:0], s.waiters[n:]...)
	s.wq.WakeAll()
}

// Readers is the number of readers holding the semaphore.
func (s *RWSem) Readers() int { return len(s.readers) }

// Writer is the writer holding the semaphore, or nil.
func (s *RWSem) Writer() *des.Proc { return s.writer }

// AssertHeld is lockdep_assert_held(&sem): reported unless p holds it, for read or write.
func (s *RWSem) AssertHeld(p *des.Proc) { assertHeld(p, s.dep, instOf(s)) }
