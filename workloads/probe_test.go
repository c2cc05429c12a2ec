package workloads_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

// probeTarget records when its apps open and operate and when its platform events run.
type probeTarget struct {
	opens, ops, events []des.Time
}

func (t *probeTarget) AppOpen(p *des.Proc, _ *workloads.Instance) bool {
	t.opens = append(t.opens, p.Now())
	return true
}

func (t *probeTarget) AppClose(*des.Proc, *workloads.Instance) {}

func (t *probeTarget) AppOp(p *des.Proc, _ *workloads.Instance, _ int) bool {
	t.ops = append(t.ops, p.Now())
	return true
}

func (t *probeTarget) Platform(p *des.Proc, _ workloads.Event) { t.events = append(t.events, p.Now()) }

// probeSpec has two apps and two unplugs, one due before the probe ends (at 2 µs) and one
// after it (at 50 µs).
func probeSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "toy"}}},
		Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 2, Ops: 1}},
		Events: []workloads.Event{{Kind: workloads.EvUnplug, Device: "gpu0", AtNs: 2_000},
			{Kind: workloads.EvUnplug, Device: "gpu0", AtNs: 50_000}},
	}
}

const probeTime = 10 * des.Microsecond

// startProbed starts probeSpec under a barrier that a "modprobe" process finishes with
// probeErr after probeTime, and returns the barrier and the target.
func startProbed(sim *des.Sim, probeErr error) (*workloads.ProbeBarrier, *probeTarget) {
	b, t := workloads.NewProbeBarrier(sim), &probeTarget{}
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) {
		_ = b.Probe(p, func(p *des.Proc) error { p.Sleep(probeTime); return probeErr })
	})
	workloads.StartProbed(sim, probeSpec(), t, b)
	return b, t
}

// Apps open only once the probe finished; an event due during the probe runs when it ends,
// one due after it runs on time.
func TestProbeBarrierOrdersAppsAndEvents(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b, tg := startProbed(sim, nil)
	var waited error = workloads.ErrProbeUnfinished
	sim.Spawn("waiter", des.Task, func(p *des.Proc) { waited = b.Wait(p) })
	require.ErrorIs(t, b.Err(), workloads.ErrProbeUnfinished)
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	require.NoError(t, waited)
	require.NoError(t, b.Err())
	require.True(t, b.Finished())
	require.Len(t, tg.opens, 2)
	for _, at := range append(tg.opens, tg.ops...) {
		assert.GreaterOrEqual(t, at, des.Time(probeTime))
	}
	assert.Equal(t, []des.Time{des.Time(probeTime), des.Time(50 * des.Microsecond)}, tg.events)
}

// A failed probe releases every waiter with its error: nobody stays blocked, and the apps
// still run (their Target finds its device unbound).
func TestProbeBarrierReleasesWaitersOnFailure(t *testing.T) {
	sim := des.MustNew(des.Config{})
	fail := errors.New("-ENODEV")
	b, tg := startProbed(sim, fail)
	var waited error
	sim.Spawn("waiter", des.Task, func(p *des.Proc) { waited = b.Wait(p) })
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	require.ErrorIs(t, waited, fail)
	require.ErrorIs(t, b.Err(), fail)
	assert.Len(t, tg.opens, 2)
	assert.Len(t, tg.events, 2)
}

// A probe path that never finishes the barrier leaves its waiters blocked: the run ends in
// a deadlock on the barrier's queue, and no app opens.
func TestProbeBarrierNeverFinishedIsADeadlock(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b, tg := workloads.NewProbeBarrier(sim), &probeTarget{}
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { p.Sleep(probeTime) }) // forgets Finish
	workloads.StartProbed(sim, probeSpec(), tg, b)
	r := sim.Run()
	require.False(t, r.OK())
	assert.Equal(t, des.KindDeadlock, r.First().Kind)
	assert.Contains(t, r.First().Msg, workloads.ProbeQueue)
	assert.Empty(t, tg.opens)
	assert.False(t, b.Finished())
}

// Started after the probe finished, nobody blocks: the run is the run of plain Start.
func TestProbeBarrierFinishedFirstIsStart(t *testing.T) {
	run := func(probed bool) uint64 {
		sim := des.MustNew(des.Config{})
		tg := &probeTarget{}
		sim.Spawn("boot", des.Task, func(p *des.Proc) {
			p.Sleep(probeTime)
			if !probed {
				workloads.Start(sim, probeSpec(), tg)
				return
			}
			b := workloads.NewProbeBarrier(sim)
			b.Finish(nil)
			workloads.StartProbed(sim, probeSpec(), tg, b)
		})
		r := sim.Run()
		require.True(t, r.OK(), r.Violations)
		return r.Fingerprint
	}
	assert.Equal(t, run(false), run(true))
}

func TestProbeBarrierFinishTwicePanics(t *testing.T) {
	b := workloads.NewProbeBarrier(des.MustNew(des.Config{}))
	b.Finish(nil)
	assert.Panics(t, func() { b.Finish(nil) })
}

// StartModprobe is the same boot in one call: a "modprobe" process runs the probe, and the
// apps and events wait for it.
func TestStartModprobe(t *testing.T) {
	sim := des.MustNew(des.Config{})
	tg := &probeTarget{}
	var by string
	workloads.StartModprobe(sim, probeSpec(), tg, func(p *des.Proc) error {
		by = p.Name()
		p.Sleep(probeTime)
		return nil
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, "modprobe", by)
	require.Len(t, tg.opens, 2)
	for _, at := range append(tg.opens, tg.ops...) {
		assert.GreaterOrEqual(t, at, des.Time(probeTime))
	}
	assert.Equal(t, []des.Time{des.Time(probeTime), des.Time(50 * des.Microsecond)}, tg.events)
}
