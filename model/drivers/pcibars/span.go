package pcibars

import "hotplugsim/des"

// faultSpan is a process's user access in progress: the access is armed by userAccess, the
// fault handler opens the span at its first entry (retries included), userAccess closes it
// when the access completes.
type faultSpan struct {
	obj         des.Label
	armed, open bool
}

var faultKey = des.NewProcKey[faultSpan]()

func spanOf(p *des.Proc) *faultSpan {
	return faultKey.Get(p, func(p *des.Proc) *faultSpan { return &faultSpan{} })
}

// faultEntered is called by fault handlers.
func faultEntered(p *des.Proc) {
	s := spanOf(p)
	if s.armed && !s.open {
		s.open = true
		spFault.Begin(p, s.obj, 0, 0)
	}
}

// userAccess runs access (a user load or store on obj) and traces a "fault" span if it
// faulted.
func userAccess(p *des.Proc, obj des.Label, access func() error) error {
	s := spanOf(p)
	s.obj, s.armed, s.open = obj, true, false
	err := access()
	if s.open {
		spFault.End(p, obj, 0, 0)
	}
	s.armed, s.open = false, false
	return err
}
