package bench

import (
	"fmt"
	"time"

	"hotplugsim/des"
)

// PingPongDES is ping-pong on des: two tasks, p.Sleep(1) for the timeout and a des.Completion
// per direction for the signal. The choice tape is recorded (des's default).
func PingPongDES(handoffs int, seed uint64) (Result, error) {
	return pingPongDES(handoffs, des.Config{Seed: seed})
}

// PingPongDESNoTape is PingPongDES as desrun sweep runs it: no choice tape kept.
func PingPongDESNoTape(handoffs int, seed uint64) (Result, error) {
	return pingPongDES(handoffs, des.Config{Seed: seed, NoTape: true})
}

func pingPongDES(handoffs int, cfg des.Config) (Result, error) {
	start := time.Now()
	var hs Hasher
	sim := des.MustNew(cfg)
	toA := des.NewCompletion(sim, "toA")
	toB := des.NewCompletion(sim, "toB")
	n := 0 // handoffs done
	sim.Spawn("A", des.Task, func(p *des.Proc) {
		for n < handoffs {
			p.Sleep(1)
			hs.Event(int64(p.Now()), KindTimeout, 0)
			n++
			toB.Complete()
			if n == handoffs {
				return
			}
			toA.Wait(p)
			hs.Event(int64(p.Now()), KindSignal, 0)
		}
	})
	sim.Spawn("B", des.Task, func(p *des.Proc) {
		for n < handoffs {
			toB.Wait(p)
			hs.Event(int64(p.Now()), KindSignal, 1)
			if n == handoffs {
				return
			}
			p.Sleep(1)
			hs.Event(int64(p.Now()), KindTimeout, 1)
			n++
			toA.Complete()
		}
	})
	r := sim.Run()
	if !r.OK() {
		return Result{}, fmt.Errorf("des pingpong: %v", r.First())
	}
	return result(&hs, start), nil
}

// MM1DES is M/M/1 on des: an arrival generator task and a server task that blocks on a
// des.WaitQueue while the line is empty; the generator wakes it. Every draw is recorded on
// the choice tape (des's default).
func MM1DES(customers int, seed uint64) (Result, error) {
	return mm1DES(customers, des.Config{Seed: seed})
}

// MM1DESNoTape is MM1DES as desrun sweep runs it: no choice tape kept.
func MM1DESNoTape(customers int, seed uint64) (Result, error) {
	return mm1DES(customers, des.Config{Seed: seed, NoTape: true})
}

func mm1DES(customers int, cfg des.Config) (Result, error) {
	r, _, err := mm1DESRun(customers, cfg)
	return r, err
}

// mm1DESRun is mm1DES that also returns des's own result (for its tape). The tape is recorded
// but not expanded: des keeps draws as counted runs and regenerates the values only when
// Result.Tape is called, which a run whose tape nobody reads never pays.
func mm1DESRun(customers int, cfg des.Config) (Result, des.Result, error) {
	start := time.Now()
	var hs Hasher
	sim := des.MustNew(cfg)
	arrival := sim.Stream("arrival")
	service := sim.Stream("service")
	var line fifo
	wq := des.NewWaitQueue(sim, "line")
	nonEmpty := func() bool { return line.len() > 0 }
	sim.Spawn("arrivals", des.Task, func(p *des.Proc) {
		for i := range customers {
			p.Sleep(arrival.Exp(MeanArrival))
			hs.Event(int64(p.Now()), KindArrival, int64(i))
			line.push(int64(i))
			wq.WakeOne()
		}
	})
	sim.Spawn("server", des.Task, func(p *des.Proc) {
		for range customers {
			wq.Wait(p, nonEmpty)
			c := line.pop()
			p.Sleep(service.Exp(MeanService))
			hs.Event(int64(p.Now()), KindDeparture, c)
		}
	})
	r := sim.Run()
	if !r.OK() {
		return Result{}, r, fmt.Errorf("des mm1: %v", r.First())
	}
	return result(&hs, start), r, nil
}
