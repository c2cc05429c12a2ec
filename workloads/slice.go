package workloads

import (
	"hotplugsim/des"
	"hotplugsim/reports/causal"
)

// Slice returns the causal slice of the first violation in the kept trace (causal.Compute:
// the violating process, the objects it touched and the processes that touched them, every
// event the violation references, engine bookkeeping hidden unless opt.All). It returns a
// zero Slice for a run without violations.
func (o *Outcome) Slice(opt causal.Options) causal.Slice {
	v := o.Result.First()
	if v == nil {
		return causal.Slice{}
	}
	return causal.Compute(o.Trace, *v, opt)
}

// CausalSlice returns the events of o.Slice with at most max events (0: causal.DefaultMax),
// nil for a run without violations.
func (o *Outcome) CausalSlice(max int) []des.Event {
	return o.Slice(causal.Options{Max: max}).Events
}
