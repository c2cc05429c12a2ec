package bench

import (
	"iter"
	"time"
)

// PingPongCoroutines is ping-pong on two bare iter.Pull coroutines with no engine: A runs on
// the caller and resumes B with next, B hands back with yield, and virtual time is a variable.
// It is not one of the Impls: it is the reference for what any iter.Pull-based engine could
// reach at best (one coroutine switch per hand-off plus the same hashing as everyone), which
// peerbench prints next to the floor targets.
func PingPongCoroutines(handoffs int, seed uint64) (Result, error) {
	start := time.Now()
	var hs Hasher
	now, n := int64(0), 0
	nextB, stopB := iter.Pull(func(yield func(struct{}) bool) {
		for {
			hs.Event(now, KindSignal, 1) // B was signalled
			if n == handoffs {
				return
			}
			now++
			hs.Event(now, KindTimeout, 1)
			n++
			if !yield(struct{}{}) { // signal A
				return
			}
		}
	})
	defer stopB()
	for n < handoffs {
		now++
		hs.Event(now, KindTimeout, 0)
		n++
		if _, ok := nextB(); ok { // signal B; it signals back unless it was the last hand-off
			hs.Event(now, KindSignal, 0)
		}
	}
	return result(&hs, start), nil
}
