package pcibarmove_test

import (
	"hotplugsim/des"
	"hotplugsim/reports"
)

// modelSpans are the trace's ":begin"/":end" spans (the ones the driver model emits), as the
// reports derive them.
func modelSpans(events []des.Event) []reports.Span {
	var out []reports.Span
	for _, s := range reports.Spans(events) {
		if s.Cat == reports.CatModel {
			out = append(out, s)
		}
	}
	return out
}

func spansOf(all []reports.Span, name string) []reports.Span {
	var out []reports.Span
	for _, s := range all {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}
