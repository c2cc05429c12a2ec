package bench

import (
	"time"

	"hotplugsim/des"
)

// Loop is the callback floor: an event loop over a Heap of (time, seq, callback, argument)
// entries, with no processes. A callback runs at its entry's time and may schedule more.
type Loop struct {
	Now int64
	q   Heap[callback]
}

type callback struct {
	fn  func(arg int64)
	arg int64
}

// At schedules fn(arg) at time at.
func (l *Loop) At(at int64, fn func(int64), arg int64) { l.q.Push(at, callback{fn, arg}) }

// Run fires callbacks in (time, seq) order until none is left.
func (l *Loop) Run() {
	for l.q.Len() > 0 {
		at, c := l.q.Pop()
		l.Now = at
		c.fn(c.arg)
	}
}

// PingPongFloor is ping-pong as callbacks: a timeout callback schedules the signal to the other
// side at the same time, and the signal callback schedules the receiver's timeout at now+1.
// The argument is the side, 0 for A and 1 for B.
func PingPongFloor(handoffs int, seed uint64) (Result, error) {
	start := time.Now()
	var hs Hasher
	var l Loop
	n := 0
	var timeout, signal func(int64)
	timeout = func(side int64) {
		hs.Event(l.Now, KindTimeout, side)
		n++
		l.At(l.Now, signal, 1-side)
	}
	signal = func(side int64) {
		hs.Event(l.Now, KindSignal, side)
		if n < handoffs {
			l.At(l.Now+1, timeout, side)
		}
	}
	if handoffs > 0 {
		l.At(1, timeout, 0)
	}
	l.Run()
	return result(&hs, start), nil
}

// MM1Floor is M/M/1 as callbacks: an arrival schedules the next arrival and, if the server is
// idle, that customer's departure; a departure starts the next waiting customer, if any. The
// argument is the customer's index.
func MM1Floor(customers int, seed uint64) (Result, error) {
	start := time.Now()
	var hs Hasher
	var l Loop
	arrivalRNG := des.StreamPCG(seed, "arrival")
	serviceRNG := des.StreamPCG(seed, "service")
	var line fifo
	busy := false
	var arrival, departure func(int64)
	arrival = func(c int64) {
		hs.Event(l.Now, KindArrival, c)
		if c+1 < int64(customers) {
			l.At(l.Now+ExpDraw(arrivalRNG, MeanArrival), arrival, c+1)
		}
		if busy {
			line.push(c)
			return
		}
		busy = true
		l.At(l.Now+ExpDraw(serviceRNG, MeanService), departure, c)
	}
	departure = func(c int64) {
		hs.Event(l.Now, KindDeparture, c)
		if line.len() == 0 {
			busy = false
			return
		}
		next := line.pop()
		l.At(l.Now+ExpDraw(serviceRNG, MeanService), departure, next)
	}
	if customers > 0 {
		l.At(ExpDraw(arrivalRNG, MeanArrival), arrival, 0)
	}
	l.Run()
	return result(&hs, start), nil
}
