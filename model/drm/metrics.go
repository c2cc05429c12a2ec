package drm

import (
	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// Metrics (des/metrics), recorded only when a recorder is attached to the Sim:
//
//   - ioctl/<name>: Ioctl entry → return, whatever it returns, for every ioctl of the
//     driver's table (a bad number or a closed file has no kind and is not counted);
//   - unplug-release: the start of the unplug → the final DevPut. The start is the pci remove
//     the calling process runs (metrics.BeginUnplug in model/pci), else the DevUnplug call.

// initMetrics looks the recorder up once and names the ioctl metrics.
func (d *Device) initMetrics() {
	d.rec = metrics.Of(d.sim)
	if !d.rec.On() {
		return
	}
	d.ioctlMetric = make([]string, len(d.drv.Ioctls))
	for i, desc := range d.drv.Ioctls {
		d.ioctlMetric[i] = metrics.Ioctl(desc.Name)
	}
}

// observeIoctl records one ioctl's latency.
func (d *Device) observeIoctl(nr int, start des.Time) {
	if d.rec.On() && nr < len(d.ioctlMetric) {
		d.rec.ObserveSpan(d.ioctlMetric[nr], start, d.sim.Now())
	}
}

// noteUnplug remembers when the unplug of d began (DevUnplug, run by p).
func (d *Device) noteUnplug(p *des.Proc) {
	if !d.rec.On() || d.unplugKnown {
		return
	}
	t, ok := metrics.UnplugStart(p)
	if !ok {
		t = d.sim.Now()
		metrics.MarkUnplug(d.sim, t)
	}
	d.unplugAt, d.unplugKnown = t, true
}

// observeRelease records unplug-release at the final DevPut of an unplugged device, or of one
// released by a remove without drm_dev_unplug.
func (d *Device) observeRelease(p *des.Proc) {
	if !d.rec.On() {
		return
	}
	start, ok := d.unplugAt, d.unplugKnown
	if !ok {
		start, ok = metrics.UnplugStart(p)
	}
	if ok {
		d.rec.ObserveSpan(metrics.UnplugRelease, start, d.sim.Now())
	}
}
