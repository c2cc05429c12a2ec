package des

// Span is a pair of trace kinds "<name>:begin" and "<name>:end": the extent of one kernel
// function or protocol step on the trace (an ioctl, a probe, drm_dev_unplug). Report, plot and
// Perfetto code pair a begin with the next end of the same Obj on the same process. Make spans
// once, at package level, like any Label.
type Span struct{ begin, end Label }

// NewSpan interns the labels "<name>:begin" and "<name>:end".
func NewSpan(name string) Span { return Span{L(name + ":begin"), L(name + ":end")} }

// Begin traces the span's start on p for obj, with arguments a and b.
func (s Span) Begin(p *Proc, obj Label, a, b int64) { p.Trace(s.begin, obj, a, b) }

// End traces the span's end on p for obj, with arguments a and b.
func (s Span) End(p *Proc, obj Label, a, b int64) { p.Trace(s.end, obj, a, b) }

// BeginLabel and EndLabel are the span's two trace kinds, for code that matches events.
func (s Span) BeginLabel() Label { return s.begin }

// EndLabel is the span's end kind.
func (s Span) EndLabel() Label { return s.end }
