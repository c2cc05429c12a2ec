package fence

import "hotplugsim/des/metrics"

// Metrics (des/metrics), recorded only when a recorder is attached to the Sim, when a
// published fence signals (whoever signals it: the hardware, drm_sched, a force-signal at
// unplug, the release of a fence with pending callbacks):
//
//   - fence: Publish → the signal;
//   - fence-after-unplug: the start of the first unplug that began after (or when) the fence
//     was published (metrics.MarkUnplug, by model/pci's remove and model/drm's DevUnplug) →
//     the signal. The fence layer does not know which device a fence belongs to, so with
//     several devices unplugged at different times this counts from the first such unplug.
//
// A fence signalled before it was published is not counted.

// observeSignal records the latency of a published fence that signals now.
func (f *Fence) observeSignal() {
	st := f.st
	if !st.rec.On() || !f.published {
		return
	}
	now := st.sim.Now()
	st.rec.ObserveSpan(metrics.Fence, f.publishedAt, now)
	if u, ok := metrics.UnplugSince(st.sim, f.publishedAt); ok {
		st.rec.ObserveSpan(metrics.FenceAfterUnplug, u, now)
	}
}
