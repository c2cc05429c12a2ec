package bospec_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"hotplugsim/model/ttm"
	"hotplugsim/workloads"
	"hotplugsim/workloads/bospec"
)

func TestOf(t *testing.T) {
	app := workloads.App{BOs: []workloads.BO{
		{SizeBytes: 1, Placement: workloads.PlaceVRAM},         // rounds up to one page
		{SizeBytes: 1 << 20, Placement: workloads.PlaceSystem}, // capped
		{SizeBytes: 8192, Placement: workloads.PlaceGTT},
	}}
	assert.Equal(t, []bospec.BO{{1, ttm.PlVRAM}, {4, ttm.PlSystem}, {2, ttm.PlTT}}, bospec.Of(app, 4))
	assert.Equal(t, []bospec.BO{{1, ttm.PlTT}}, bospec.Of(workloads.App{}, 4), "no BO in the Spec: one GTT page")
}
