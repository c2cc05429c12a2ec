package des

import "slices"

// Event windows.
//
// An external event (a card pulled from its slot, an unbind through sysfs, a reset ioctl from
// user space) happens at some moment its model can only bound: "within 200 ms of the event's
// time". Drawing that moment uniformly makes a race that needs it inside a short stretch
// (another operation's 1 ms sleep inside its critical section) as rare as that stretch is
// short, whatever the strategy. SleepRange lets the engine explore the moment instead, like
// usleep_range lets the kernel pick the wake-up within [min, max].
//
// The moments tried are waiting moments: a process that runs an external operation (one whose
// SleepRange has fired) goes to sleep, or any non-daemon process blocks without a timeout
// (waits for a completion, a lock, a drain). Those are the points where another operation can
// slip in, and races between two external operations are those a hot-unplug test is after.

// windowMoments bounds the waiting moments a SleepRange may let pass: it fires at one of the
// first windowMoments of them in its range, chosen uniformly.
const windowMoments = 8

var evWindow = L("window")

// SleepRange is usleep_range(lo, hi) for the moment of an external event: p sleeps for some
// duration in [lo, hi] drawn from st. Under fifo (and when replaying a fifo tape) it is
// p.Sleep(st.Between(lo, hi)), the time drawn uniformly. Under every exploring strategy, st
// also decides (its draws are on the tape, so a seed or a tape reproduces them) whether p
// wakes at that uniform time or at a waiting moment: the j-th (j uniform in [1, 8]) time,
// from now+lo on, that a process in an external operation (one whose SleepRange fired) goes
// to sleep or any non-daemon process blocks without a timeout, if that comes before the
// uniform time. Either way p never wakes before now+lo nor after now+hi. Once it has woken,
// p is in an external operation until it ends.
func (p *Proc) SleepRange(lo, hi Duration, st *Stream) {
	s := p.sim
	d := st.Between(lo, hi)
	if !s.windows || hi <= lo {
		p.Sleep(d)
		return
	}
	if st.Intn(2) == 0 {
		p.Sleep(d)
		p.extOp = true
		return
	}
	j := 1 + st.Intn(windowMoments)
	start := s.now
	if lo > 0 {
		p.Sleep(lo)
	}
	p.winLeft = int32(j)
	s.armed = append(s.armed, p)
	p.Sleep(Duration(start.Add(d) - s.now))
	p.extOp = true
	if p.winLeft > 0 { // woken at the uniform time
		p.winLeft = 0
		if i := slices.Index(s.armed, p); i >= 0 {
			s.armed = slices.Delete(s.armed, i, i+1)
		}
	}
}

// windowMoment is a waiting moment of by (see SleepRange): each armed SleepRange counts it,
// and those whose moment it is wake now.
func (s *Sim) windowMoment(by *Proc) {
	for i := 0; i < len(s.armed); {
		q := s.armed[i]
		if q.state != stSleeping { // its uniform time came, and it waits to run
			q.winLeft = 0
			s.armed = slices.Delete(s.armed, i, i+1)
			continue
		}
		if q.winLeft--; q.winLeft > 0 {
			i++
			continue
		}
		s.armed = slices.Delete(s.armed, i, i+1)
		s.timers.cancel(q)
		s.emit(s.now, q, evWindow, by.name, int64(by.id), 0)
		s.makeReady(q)
	}
}
