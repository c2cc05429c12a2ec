package oracle

import (
	"hotplugsim/des"
	"hotplugsim/model/splat"
)

// Site is where p (nil: the engine, outside any process) is now, as a report prints it: the
// task, the model call chain (innermost first) and the virtual time and trace # of the last
// event.
func Site(sim *des.Sim, p *des.Proc, chain ...string) splat.Site {
	name, pid := "des", -1
	if p != nil {
		name, pid = p.Name(), p.ID()
	}
	return splat.Site{Task: name, PID: pid, Chain: chain, At: sim.Now(), Seq: sim.EventSeq()}
}

// Warn reports a kernel WARN (file and function of the WARN_ON, and its message) at p as
// a panic, as with panic_on_warn=1: the oracles have no "warn" kind. The site's call chain
// is fn.
func Warn(sim *des.Sim, p *des.Proc, obj des.Label, file, fn, msg string) {
	s := Site(sim, p, fn)
	s.Seq = 0 // the report's own event is the WARN
	sim.Violate(p, Panic, obj, splat.WARN(file, fn, msg, s))
}
