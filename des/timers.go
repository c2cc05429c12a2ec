package des

// timerQueue is the engine's queue of processes with a pending wake-up (a sleep, a
// preemption, a wait's timeout), ordered by (time, seq). Each process has at most one entry,
// so the queue is intrusive: a process knows its own position (Proc.tidx), which makes
// cancelling a wait's timeout O(log n) without the slot and generation tables a general heap
// keeps for arbitrary payloads. It is the hot path of every sleep.
type timerQueue struct {
	items []timerEntry
}

type timerEntry struct {
	at  Time
	seq uint64
	p   *Proc
}

func (a *timerEntry) before(b *timerEntry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// Len is the number of pending wake-ups.
func (q *timerQueue) Len() int { return len(q.items) }

// Min returns the earliest wake-up time, or false if none is pending.
func (q *timerQueue) Min() (Time, bool) {
	if len(q.items) == 0 {
		return 0, false
	}
	return q.items[0].at, true
}

// push queues p's wake-up at (at, seq). p must not be queued already.
func (q *timerQueue) push(at Time, seq uint64, p *Proc) {
	q.items = append(q.items, timerEntry{})
	q.siftUp(len(q.items)-1, timerEntry{at: at, seq: seq, p: p})
}

// pop removes and returns the earliest entry's process. The queue must not be empty.
func (q *timerQueue) pop() *Proc {
	p := q.items[0].p
	q.removeAt(0)
	return p
}

// cancel removes p's wake-up if it has one.
func (q *timerQueue) cancel(p *Proc) {
	if p.tidx > 0 {
		q.removeAt(int(p.tidx - 1))
	}
}

// removeAt takes entry i out of the queue. The vacated slot is not cleared: the Sim holds every process for its whole life, so a stale
// pointer in the spare capacity keeps nothing alive.
func (q *timerQueue) removeAt(i int) {
	q.items[i].p.tidx = 0
	last := len(q.items) - 1
	it := q.items[last]
	q.items = q.items[:last]
	if i == last {
		return
	}
	if i > 0 && it.before(&q.items[(i-1)/2]) {
		q.siftUp(i, it)
	} else {
		q.siftDown(i, it)
	}
}

// siftUp places it at the hole i or above, moving the parents it precedes down.
func (q *timerQueue) siftUp(i int, it timerEntry) {
	for i > 0 {
		parent := (i - 1) / 2
		e := &q.items[parent]
		if !it.before(e) {
			break
		}
		q.items[i] = *e
		e.p.tidx = int32(i + 1)
		i = parent
	}
	q.items[i] = it
	it.p.tidx = int32(i + 1)
}

// siftDown places it at the hole i or below, moving the children that precede it up.
func (q *timerQueue) siftDown(i int, it timerEntry) {
	n := len(q.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.items[r].before(&q.items[l]) {
			m = r
		}
		c := &q.items[m]
		if !c.before(&it) {
			break
		}
		q.items[i] = *c
		c.p.tidx = int32(i + 1)
		i = m
	}
	q.items[i] = it
	it.p.tidx = int32(i + 1)
}
