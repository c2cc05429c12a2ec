package workloads

import "hotplugsim/des"

// Every run is bounded, so a model that livelocks (in virtual time, or in zero time) ends as a
// budget-ended run instead of running until the caller's timeout. A Spec's Budgets that are 0
// take these defaults, derived from the Spec (RunBudgets); the Spec itself is unchanged (its
// JSON and hash are what the user wrote).
//
// The time bound is the hang bound plus the Spec's nominal span (SpanNs) many times over: a
// wait that outlives the hang bound is still reported as a hang, and apps whose exponential
// think times run long still finish. The step bound is DefaultStepsPerOp scheduling steps per
// unit of the Spec's work (Work) plus DefaultStepsPerNs per nanosecond of the time bound's
// span part, for processes that run per period (an HD-audio stream's interrupt every 50 µs),
// with DefaultMinSteps as a floor. Both are far above what any registered scenario takes (seeds
// 1:2000, dense and sparse Specs; TestDefaultBudgetsNeverHit keeps them there).
const (
	DefaultSpanFactor = 16                             // MaxTime = hang bound + DefaultSpanFactor × SpanNs
	DefaultStepsPerOp = 2000                           // scheduling steps per unit of Work
	DefaultStepsPerNs = 1.0 / float64(des.Microsecond) // scheduling steps per ns of the span part
	DefaultMinSteps   = uint64(1) << 20
	defaultHangNs     = int64(120 * des.Second) // des.Config's HangTimeout default
)

// SpanNs is the Spec's nominal virtual duration: its latest absolute event plus the longest
// app's ops at their mean think time (an event relative to an app op falls inside that app's
// span).
func (s Spec) SpanNs() int64 {
	var at, app int64
	for _, e := range s.Events {
		at = max(at, e.AtNs)
	}
	for _, a := range s.Apps {
		app = max(app, int64(a.Ops)*a.IntervalNs)
	}
	return at + app
}

// Work is the Spec's amount of work: every instance's ops, one more per instance (its open and
// close) and one per platform event.
func (s Spec) Work() int64 {
	n := int64(len(s.Events))
	for _, a := range s.Apps {
		n += int64(a.Count) * int64(a.Ops+1)
	}
	return n
}

// RunBudgets is the Spec's Budgets with every 0 bound replaced by its default (see the
// constants above); a negative hang bound (no hang check) counts as the default's 120 s for
// the time bound.
func (s Spec) RunBudgets() Budgets {
	b := s.Budgets
	hang := b.HangTimeoutNs
	if hang <= 0 {
		hang = defaultHangNs
	}
	span := DefaultSpanFactor * s.SpanNs()
	if b.MaxTimeNs == 0 {
		b.MaxTimeNs = hang + span
	}
	if b.MaxEvents == 0 {
		b.MaxEvents = max(DefaultMinSteps,
			uint64(s.Work())*DefaultStepsPerOp+uint64(float64(span)*DefaultStepsPerNs))
	}
	return b
}
