package bench

import (
	"time"

	"github.com/fschuetz04/simgo"

	"hotplugsim/des"
)

// PingPongSimgo is ping-pong on simgo v0.7.0: two processes, proc.Wait(proc.Timeout(1)) for
// the timeout and a fresh *simgo.Event per signal (simgo events fire once), triggered by the
// sender and replaced by the receiver when it wakes.
func PingPongSimgo(handoffs int, seed uint64) (Result, error) {
	start := time.Now()
	var hs Hasher
	sim := simgo.NewSimulation()
	toA, toB := sim.Event(), sim.Event()
	n := 0
	sim.Process(func(proc simgo.Process) {
		for n < handoffs {
			proc.Wait(proc.Timeout(1))
			hs.Event(int64(proc.Now()), KindTimeout, 0)
			n++
			toB.Trigger()
			if n == handoffs {
				return
			}
			proc.Wait(toA)
			toA = proc.Event()
			hs.Event(int64(proc.Now()), KindSignal, 0)
		}
	})
	sim.Process(func(proc simgo.Process) {
		for n < handoffs {
			proc.Wait(toB)
			toB = proc.Event()
			hs.Event(int64(proc.Now()), KindSignal, 1)
			if n == handoffs {
				return
			}
			proc.Wait(proc.Timeout(1))
			hs.Event(int64(proc.Now()), KindTimeout, 1)
			n++
			toA.Trigger()
		}
	})
	sim.Run()
	r := result(&hs, start)
	sim.Shutdown()
	return r, nil
}

// MM1Simgo is M/M/1 on simgo: an arrival process and a server process; an idle server waits
// on a fresh event that the next arrival triggers (the pattern of simgo's bank example).
func MM1Simgo(customers int, seed uint64) (Result, error) {
	start := time.Now()
	var hs Hasher
	arrival := des.StreamPCG(seed, "arrival")
	service := des.StreamPCG(seed, "service")
	sim := simgo.NewSimulation()
	var line fifo
	var wake *simgo.Event // non-nil while the server is idle
	sim.Process(func(proc simgo.Process) {
		for i := range customers {
			proc.Wait(proc.Timeout(float64(ExpDraw(arrival, MeanArrival))))
			hs.Event(int64(proc.Now()), KindArrival, int64(i))
			line.push(int64(i))
			if wake != nil {
				wake.Trigger()
				wake = nil
			}
		}
	})
	sim.Process(func(proc simgo.Process) {
		for range customers {
			for line.len() == 0 {
				wake = proc.Event()
				proc.Wait(wake)
			}
			c := line.pop()
			proc.Wait(proc.Timeout(float64(ExpDraw(service, MeanService))))
			hs.Event(int64(proc.Now()), KindDeparture, c)
		}
	})
	sim.Run()
	r := result(&hs, start)
	sim.Shutdown()
	return r, nil
}
