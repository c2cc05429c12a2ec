package pcibars

import "fmt"

// Lifecycle assertions. A driver of this package goes unbound -> probe -> bound ->
// rescan_prepare -> moving -> rescan_done -> bound, and remove takes it from bound or moving
// (a remove inside a rescan: Core.end drops the BAR lock for it) back to unbound. The PCI
// core probes only an unbound function, removes only a bound one, and calls rescan_done only
// after rescan_prepare (drivers/pci/probe.c, dd.c). A transition outside that order is a bug
// of the model or of what drives it, not a race for the oracles to grade: it panics naming
// the transition, and the run reports the panic (violation kind panic).
type lifecycle struct {
	state lifeState
}

type lifeState uint8

const (
	unbound lifeState = iota
	bound
	moving
)

func (s lifeState) String() string { return [...]string{"unbound", "bound", "moving"}[s] }

// to moves to next by transition, which is valid from the states in from; else it panics.
func (l *lifecycle) to(name, transition string, next lifeState, from ...lifeState) {
	for _, f := range from {
		if l.state == f {
			l.state = next
			return
		}
	}
	panic(fmt.Sprintf("pcibars: %s: invalid transition: %s -> %s", name, l.state, transition))
}

// assertProbe is called as probe starts, probed when it succeeds (a failed probe leaves the
// function unbound).
func (l *lifecycle) assertProbe(name string) { l.to(name, "probe", unbound, unbound) }

func (l *lifecycle) probed(name string)   { l.to(name, "probe", bound, unbound) }
func (l *lifecycle) removed(name string)  { l.to(name, "remove", unbound, bound, moving) }
func (l *lifecycle) prepared(name string) { l.to(name, "rescan_prepare", moving, bound) }
func (l *lifecycle) done(name string)     { l.to(name, "rescan_done", bound, moving) }
