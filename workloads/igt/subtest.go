package igt

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
)

// Subtest is one core_hotunplug subtest as data: which sysfs operation takes the device
// away and brings it back, and whether (and when) an open DRM file is held across it.
type Subtest struct {
	Name string // IGT's subtest name, e.g. "hotreplug-lateclose"
	Doc  string // IGT's description
	// Unplug takes the device away with the PCI remove file and restores it with a bus
	// rescan; otherwise the driver's unbind and bind files are used.
	Unplug bool
	// Hot opens the device before it is taken away ("hot" variants).
	Hot bool
	// Close is when a hot subtest closes its file.
	Close CloseAt
}

// CloseAt is when a hot subtest closes the file it opened before the removal.
type CloseAt int

const (
	// CloseNone: nothing is open (unbind-rebind, unplug-rescan).
	CloseNone CloseAt = iota
	// CloseBeforeRestore: closed while the device is gone, before rebind or rescan
	// (hotunbind-rebind, hotunplug-rescan).
	CloseBeforeRestore
	// CloseAtCleanup: still open at the health check; the cleanup fixture closes it and, as
	// IGT's recover() does for a late close, runs the health check again (hotrebind,
	// hotreplug).
	CloseAtCleanup
	// CloseLate: closed after the device is back, before the health check (the -lateclose
	// subtests).
	CloseLate
)

// Subtests are the eight core_hotunplug subtests, in IGT's order.
var Subtests = []Subtest{
	{Name: "unbind-rebind", Doc: "the driver can be cleanly unbound from a device believed to be closed, then rebound"},
	{Name: "unplug-rescan", Unplug: true, Doc: "a device believed to be closed can be cleanly unplugged, then restored"},
	{Name: "hotunbind-rebind", Hot: true, Close: CloseBeforeRestore,
		Doc: "the driver can be cleanly unbound from an open device, then released and rebound"},
	{Name: "hotunplug-rescan", Unplug: true, Hot: true, Close: CloseBeforeRestore,
		Doc: "an open device can be cleanly unplugged, then released and restored"},
	{Name: "hotrebind", Hot: true, Close: CloseAtCleanup,
		Doc: "the driver can be cleanly rebound to a device with a still open hot unbound driver instance"},
	{Name: "hotreplug", Unplug: true, Hot: true, Close: CloseAtCleanup,
		Doc: "a hot unplugged and still open device can be cleanly restored"},
	{Name: "hotrebind-lateclose", Hot: true, Close: CloseLate,
		Doc: "a hot unbound driver instance still open after hot rebind can be cleanly released"},
	{Name: "hotreplug-lateclose", Unplug: true, Hot: true, Close: CloseLate,
		Doc: "an instance of a still open while hot replugged device can be cleanly released"},
}

// Lookup returns the subtest named name (IGT's name, without the "igt-" prefix).
func Lookup(name string) (Subtest, bool) {
	for _, st := range Subtests {
		if st.Name == name {
			return st, true
		}
	}
	return Subtest{}, false
}

// ScenarioName is the name the subtest's scenario is registered under: "igt-<subtest>".
func (st Subtest) ScenarioName() string { return "igt-" + st.Name }

// Trace spans of the subtest's steps (Obj is the device): "igt:<step>".
var (
	stepSpans = map[string]des.Span{}
	stepNames = []string{"pre-check", "open", "unbind", "bind", "remove", "rescan", "close",
		"healthcheck", "post-healthcheck"}
)

func init() {
	for _, s := range stepNames {
		stepSpans[s] = des.NewSpan("igt:" + s)
	}
}

// runner runs one subtest against one device from the "igt" process.
type runner struct {
	st  Subtest
	dev device
	obj des.Label
}

// step runs fn as a traced step.
func (r *runner) step(p *des.Proc, name string, fn func()) {
	sp := stepSpans[name]
	sp.Begin(p, r.obj, 0, 0)
	fn()
	sp.End(p, r.obj, 0, 0)
}

// probeStep runs a step that probes the device (bind, rescan). A failure is an IGT failure
// (what; a device left unbound is reported after it) unless a fault site failed while it ran (des.Config.Faults): then the probe failure is
// the injected one and the subtest stops there, as igt stops on a failed igt_require; the
// kernel objects' own oracles still judge the probe's error path. It reports whether the
// subtest goes on.
func (r *runner) probeStep(p *des.Proc, name, what string, fn func(p *des.Proc) error) bool {
	fired := p.Sim().FaultsFired()
	var err error
	r.step(p, name, func() { err = fn(p) })
	switch {
	case err == nil && r.dev.bound():
		return true
	case p.Sim().FaultsFired() > fired:
		p.Trace(evInjected, r.obj, 0, 0)
		return false
	}
	if err != nil {
		r.fail(p, "%s: %v", what, err)
	}
	return true // an unbound device is reported next
}

// evInjected traces a probe that failed at a fault site, which ends the subtest.
var evInjected = des.L("igt-injected-probe-failure")

// fail reports a failed IGT assertion. Every failure the subtest can see is "the device
// does not come back usable", which is oracle.Progress (see the package doc).
func (r *runner) fail(p *des.Proc, format string, args ...any) {
	msg := fmt.Sprintf("igt %s: %s", r.st.Name, fmt.Sprintf(format, args...))
	p.Sim().Violate(p, oracle.Progress, r.obj, msg)
}

// check runs the health check as step name and reports its failure.
func (r *runner) check(p *des.Proc, name string) {
	r.step(p, name, func() {
		if err := healthCheck(p, r.dev, "igt-"+name); err != nil {
			r.fail(p, "%s: %v", name, err)
		}
	})
}

// closeHot closes the hot file (nil if its open failed and the run collects all violations).
func (r *runner) closeHot(p *des.Proc, c client) {
	if c == nil {
		return
	}
	r.step(p, "close", func() { c.close(p) })
}

// run is the subtest body as core_hotunplug runs it with --run-subtest: pre_check (a health
// check, since nothing checked the device before), the subtest's steps, its health check,
// then the cleanup fixture (close what is still open; after a late close, check again).
func (r *runner) run(p *des.Proc) {
	st, d := r.st, r.dev
	r.check(p, "pre-check")
	var hot client
	if st.Hot {
		r.step(p, "open", func() {
			c, err := d.open(p, "igt-hot")
			if err != nil {
				r.fail(p, "open for hot %s: %v", st.Name, err)
			}
			hot = c
		})
	}
	if st.Unplug {
		r.step(p, "remove", func() { d.remove(p) })
	} else {
		r.step(p, "unbind", func() { d.unbind(p) })
	}
	if d.bound() {
		r.fail(p, "unbound device still present (%s)", d.name())
	}
	if st.Close == CloseBeforeRestore {
		r.closeHot(p, hot)
	}
	restored := true
	if st.Unplug {
		restored = r.probeStep(p, "rescan", "bus rescan failure", d.rescan)
	} else {
		restored = r.probeStep(p, "bind", "driver re-bind failure", d.bind)
	}
	if !restored { // an injected probe failure: the subtest cannot go on; the cleanup fixture closes
		if st.Close == CloseLate || st.Close == CloseAtCleanup {
			r.closeHot(p, hot)
		}
		return
	}
	if !d.bound() {
		r.fail(p, "rebound device not present (%s)", d.name())
	}
	if st.Close == CloseLate {
		r.closeHot(p, hot)
	}
	r.check(p, "healthcheck")
	if st.Close == CloseAtCleanup {
		r.closeHot(p, hot)
		r.check(p, "post-healthcheck")
	}
}
