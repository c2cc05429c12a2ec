package workloads

import (
	"errors"

	"hotplugsim/des"
)

// ProbeQueue names the wait queue of every ProbeBarrier in traces and wait-for chains.
const ProbeQueue = "probe-done"

// ErrProbeUnfinished is what Err returns before the probe path called Finish.
var ErrProbeUnfinished = errors.New("workloads: probe not finished")

// ProbeBarrier is the end of the boot-time driver probe, which a scenario's apps and
// platform events wait for: a completion the probe path completes for every waiter, now and
// later (complete_all), as wait_for_device_probe waits for the probes in flight
// (drivers/base/dd.c). The probe path calls Finish once, with the probe's error; Wait
// returns that error to every waiter, so a failed probe releases them rather than leaving
// them blocked. A probe path that never finishes leaves its waiters blocked, which the
// engine reports (a deadlock once nothing else can run).
type ProbeBarrier struct {
	done     *des.Completion
	err      error
	finished bool
}

// probeBarriers are reused by a sweep worker run after run (zeroed: des.SlabKey).
var probeBarriers = des.NewSlabKey[ProbeBarrier]()

// NewProbeBarrier makes an unfinished barrier on sim.
func NewProbeBarrier(sim *des.Sim) *ProbeBarrier {
	b := probeBarriers.New(sim)
	b.done = des.NewCompletion(sim, ProbeQueue)
	return b
}

// Probe runs probe in p, finishes the barrier with its error and returns it.
func (b *ProbeBarrier) Probe(p *des.Proc, probe func(*des.Proc) error) error {
	err := probe(p)
	b.Finish(err)
	return err
}

// Finish ends the probe with err (nil: every driver probed) and wakes every waiter. A
// probe path finishes once: a second Finish panics.
func (b *ProbeBarrier) Finish(err error) {
	if b.finished {
		panic("workloads: ProbeBarrier finished twice")
	}
	b.err, b.finished = err, true
	b.done.CompleteAll()
}

// Wait blocks p until the probe finished and returns its error.
func (b *ProbeBarrier) Wait(p *des.Proc) error {
	b.done.Wait(p)
	return b.err
}

// Finished reports whether Finish ran (a Wait would not block).
func (b *ProbeBarrier) Finished() bool { return b.finished }

// Err is the probe's error once it finished, ErrProbeUnfinished before.
func (b *ProbeBarrier) Err() error {
	if !b.finished {
		return ErrProbeUnfinished
	}
	return b.err
}

// StartProbed is Start whose apps and platform events begin only once b finished: an app
// waits for b before it opens its device (AppOpen, or its first operation), a platform
// event when its time comes, before Platform. Call it at build time (the apps block until
// the probe process finishes b) or from the probe process after Probe (nobody blocks). A
// probe that failed does not end the apps: a probe error names the first device that failed
// while the others are bound, so each Target finds its own device unbound (b.Err has the
// error).
func StartProbed(sim *des.Sim, spec Spec, t Target, b *ProbeBarrier) { start(sim, spec, t, b) }

// StartModprobe spawns "modprobe", which probes the platform's drivers (probeAll, e.g. a
// pci.Host's ProbeAll), and starts t's apps and events behind it (StartProbed): the boot of a
// scenario whose drivers all probe at once.
func StartModprobe(sim *des.Sim, spec Spec, t Target, probeAll func(*des.Proc) error) {
	probe := NewProbeBarrier(sim)
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { _ = probe.Probe(p, probeAll) })
	start(sim, spec, t, probe)
}
