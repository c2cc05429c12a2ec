package explore

import "hotplugsim/des"

// Kernel-style races between events at different virtual times. Each program has a period P
// (100µs) and a window w = ratio·P (ratio 1e-3 or 1e-5); it runs with DelayBound = P, so a
// strategy may keep a runnable soft process waiting up to one period while time moves on.
// Timing alone (fifo) hits each bug with probability about ratio per run.

const period = 100 * des.Microsecond

var (
	objDev   = des.L("dev")
	objMMIO  = des.L("mmio")
	objReset = des.L("reset")
)

// orderingBug (depth 1): probe schedules a work item that runs w later and uses the device;
// the remover frees the device at a time drawn from the seed within one period. The bug: the
// remover frees before the work item ran (one ordering constraint).
func orderingBug(w des.Duration) func(*des.Sim) {
	return func(s *des.Sim) {
		freed := false
		s.Spawn("probe", des.Task, func(p *des.Proc) {
			p.Point(evWrite, objDev, 0, 0) // probe: the device is set up
			p.Sim().Spawn("work", des.Worker, func(p *des.Proc) {
				p.Sleep(w) // queueing latency
				p.Point(evRead, objDev, 0, 0)
				if freed {
					p.Sim().Violate(p, "use-after-free", objDev, "work item ran after the remover freed the device")
				}
			})
		})
		s.Spawn("remover", des.Task, func(p *des.Proc) {
			p.Sleep(p.Sim().Stream("remover").Between(1, period))
			p.Point(evWrite, objDev, 1, 0)
			freed = true
		})
	}
}

// windowRace (depth 2): a periodic worker checks "present" and, after w of CPU work, reads a
// register; the remover, at a time drawn from the seed over the run, clears present and
// unmaps. The bug: a read after the unmap whose check passed (check < clear, unmap < read).
func windowRace(w des.Duration) func(*des.Sim) {
	return windowProgram(w, false)
}

// resetWindowRace (depth 3): windowRace where the worker touches the device only once a reset
// handler (the device's interrupt, hard) has run, and the reset comes a quarter period after
// the remover: the remover must also wait for the reset, a third ordering constraint.
func resetWindowRace(w des.Duration) func(*des.Sim) {
	return windowProgram(w, true)
}

func windowProgram(w des.Duration, withReset bool) func(*des.Sim) {
	const periods = 10
	return func(s *des.Sim) {
		present, mapped, reset := true, true, !withReset
		at := s.Stream("remover").Between(period, (periods-1)*period)
		s.Spawn("worker", des.Worker, func(p *des.Proc) {
			for i := 0; i < periods; i++ {
				p.Sleep(period)
				p.Point(evRead, objReset, 0, 0)
				if !reset {
					continue
				}
				p.Point(evRead, objDev, 0, 0)
				ok := present
				p.Busy(w)
				p.Point(evRead, objMMIO, 0, 0)
				if ok && !mapped {
					p.Sim().Violate(p, "use-after-unmap", objMMIO, "register read after the unmap, check passed")
				}
			}
		})
		s.Spawn("remover", des.Task, func(p *des.Proc) {
			p.Sleep(at)
			p.Point(evWrite, objDev, 0, 0)
			present = false
			p.Point(evWrite, objMMIO, 0, 0)
			mapped = false
		})
		if withReset {
			s.Spawn("reset_irq", des.Task, func(p *des.Proc) {
				p.Sleep(at + period/4)
				p.Point(evWrite, objReset, 0, 0)
				reset = true
			}).SetHard()
		}
	}
}
