// Package bench compares the des engine with peer Go simulation libraries (simgo, godes) and
// with a bare callback event loop (the floor) on two models, ping-pong and M/M/1. Every
// implementation folds its logical events into the same canonical hash, so a run that does not
// simulate the same thing is caught.
package bench

import "fmt"

// Kind is the kind of a logical event.
type Kind uint8

// Logical event kinds. Ping-pong has timeouts and signals (id: 0 for A, 1 for B); M/M/1 has
// arrivals and departures (id: the customer's index, from 0).
const (
	KindTimeout Kind = 1 + iota
	KindSignal
	KindArrival
	KindDeparture
)

// Hasher folds a run's logical events into a 64-bit hash that does not depend on how a library
// orders events that happen at the same virtual time.
//
// Each event (t, kind, id) is mixed on its own, e = mix(kind<<56 ^ id), and the events of one
// timestamp are combined commutatively: their wrapping sum S and their count c. When time
// advances past t (and at the end), the bucket is folded into the running hash:
//
//	h = mix(h ^ t); h = mix(h ^ S); h = mix(h ^ c)
//
// starting from h = 0. mix is the splitmix64 step (add the golden gamma, then the finaliser).
// So two runs hash equal when they produce the same multiset of (kind, id) at each
// timestamp, with timestamps in the same order. Time must never go backwards; Event panics
// if it does.
//
// The zero Hasher is ready to use.
type Hasher struct {
	h      uint64
	t      int64
	sum    uint64 // wrapping sum of the mixed events at time t
	n      uint64 // events at time t
	events uint64 // events folded so far
}

// Event records one logical event.
func (x *Hasher) Event(t int64, k Kind, id int64) {
	if t != x.t {
		x.advance(t)
	}
	x.sum += mix(uint64(k)<<56 ^ uint64(id))
	x.n++
}

func (x *Hasher) advance(t int64) {
	if t < x.t {
		panic(fmt.Sprintf("bench: time went backwards: event at %d after %d", t, x.t))
	}
	x.flush()
	x.t = t
}

func (x *Hasher) flush() {
	if x.n == 0 {
		return
	}
	h := mix(x.h ^ uint64(x.t))
	h = mix(h ^ x.sum)
	x.h = mix(h ^ x.n)
	x.events += x.n
	x.sum, x.n = 0, 0
}

// Sum folds the last timestamp and returns the hash and the number of events.
func (x *Hasher) Sum() (hash, events uint64) {
	x.flush()
	return x.h, x.events
}

// mix is one splitmix64 step.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
