// Package bospec turns the BOs of a workload Spec's app into TTM buffer objects to allocate:
// a page count (capped, since the driver models keep BOs small) and a ttm placement. Scenario
// packages share it so every driver reads a Spec's BOs the same way.
package bospec

import (
	"hotplugsim/model/mm"
	"hotplugsim/model/ttm"
	"hotplugsim/workloads"
)

// BO is one buffer object to allocate.
type BO struct {
	Pages int
	Place ttm.Placement
}

// Of returns the BOs of app a, each capped at maxPages pages; an unknown or empty placement
// is GTT. An app whose Spec names no BO gets one GTT page.
func Of(a workloads.App, maxPages int) []BO {
	out := make([]BO, 0, max(1, len(a.BOs)))
	for _, b := range a.BOs {
		pages := int(min(int64(maxPages), (b.SizeBytes+int64(mm.PageSize)-1)/int64(mm.PageSize)))
		out = append(out, BO{Pages: pages, Place: placement(b.Placement)})
	}
	if len(out) == 0 {
		out = append(out, BO{Pages: 1, Place: ttm.PlTT})
	}
	return out
}

func placement(p string) ttm.Placement {
	switch p {
	case workloads.PlaceVRAM:
		return ttm.PlVRAM
	case workloads.PlaceSystem:
		return ttm.PlSystem
	}
	return ttm.PlTT
}
