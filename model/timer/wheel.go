package timer

import (
	"hotplugsim/des"
	"hotplugsim/internal/heap"
)

// maxExpiries bounds the wheel's loop over one run.
const maxExpiries = 1 << 24

var wheelKey = des.NewSimKey[wheel]()

// wheel is the per-simulation timer base: pending timers ordered by expiry, and the daemon
// that expires them.
type wheel struct {
	sim     *des.Sim
	heap    heap.Heap[des.Time, *Timer]
	seq     uint64
	changed bool
	wq      *des.WaitQueue
	loopFn  func(p *des.Proc) // w.loop, kept by a recycled wheel
}

var wheels = des.NewSlabKey[wheel]()

// Recycle keeps the heap's storage and the loop (des.Recycler).
func (w *wheel) Recycle() {
	w.heap.Reset()
	*w = wheel{heap: w.heap, loopFn: w.loopFn}
}

func wheelOf(sim *des.Sim) *wheel {
	return wheelKey.Get(sim, func(sim *des.Sim) *wheel {
		w := wheels.New(sim)
		w.sim, w.wq = sim, des.NewWaitQueue(sim, "timer-wheel")
		if w.loopFn == nil {
			w.loopFn = w.loop
		}
		sim.Spawn("ktimerd", des.Task, w.loopFn).SetDaemon().SetHard() // expiries are the clock's
		return w
	})
}

func (w *wheel) add(t *Timer, at des.Time) heap.Handle {
	w.seq++
	h := w.heap.Push(at, w.seq, t)
	w.kick()
	return h
}

func (w *wheel) cancel(h heap.Handle) {
	w.heap.Cancel(h)
	w.kick()
}

func (w *wheel) kick() {
	w.changed = true
	w.wq.WakeAll()
}

// loop waits for the earliest expiry (or a change) and expires what is due.
func (w *wheel) loop(p *des.Proc) {
	changed := func() bool { return w.changed }
	for i := 0; i < maxExpiries; i++ {
		w.changed = false
		next, ok := w.heap.Min()
		switch {
		case !ok:
			if w.wq.WaitStop(p, changed) {
				return
			}
		case next > p.Now():
			w.wq.WaitTimeout(p, changed, next.Sub(p.Now()))
		default:
			_, t := w.heap.Pop()
			t.expire()
		}
	}
}
