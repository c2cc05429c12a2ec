package reports

import (
	"bytes"
	"image/color"
	"image/png"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
)

func TestSpanColorTableDistinct(t *testing.T) {
	seen := map[color.RGBA]string{}
	reserved := []color.RGBA{violationRed, colCause, colWait, colSleep, colBusy, colPreempt, colInstant}
	for _, c := range reserved {
		seen[c] = "reserved"
	}
	for name, c := range spanColorTable {
		require.NotContains(t, seen, c, "%s collides with %s", name, seen[c])
		seen[c] = name
	}
	// The fallbacks never reuse a table or reserved colour, nor each other.
	for i := range 200 {
		c := fallbackColor(i)
		require.NotContains(t, seen, c, "fallback %d collides with %s", i, seen[c])
		seen[c] = "fallback " + strconv.Itoa(i)
	}
}

func TestSpanColorsFallbacksInOrderOfFirstAppearance(t *testing.T) {
	a := newSpanColors()
	assert.Equal(t, spanColorTable["ioctl"], a.of("ioctl"))
	assert.Equal(t, fallbackColor(0), a.of("zeta"))
	assert.Equal(t, fallbackColor(1), a.of("alpha"))
	assert.Equal(t, fallbackColor(0), a.of("zeta"), "asked again: the same colour")
	assert.NotEqual(t, a.of("zeta"), a.of("alpha"))
	b := newSpanColors() // the same order gives the same colours
	b.of("zeta")
	assert.Equal(t, a.of("alpha"), b.of("alpha"))
}

// longLabelRun has a process with a long name and many span kinds, so that both the lane
// labels and the legend have to make room.
func longLabelRun() Run {
	var evs []des.Event
	s := des.MustNew(des.Config{Seed: 1, Sink: func(e des.Event) { evs = append(evs, e) }})
	s.Spawn("irq/amdgpu:0000:04:00.0-with-a-long-name", des.Task, func(p *des.Proc) {
		for i := range 14 {
			k := "kind-number-" + strconv.Itoa(i)
			p.Trace(des.L(k+BeginSuffix), des.L("obj"), 0, 0)
			p.Busy(des.Microsecond)
			p.Trace(des.L(k+EndSuffix), des.L("obj"), 0, 0)
		}
		p.Trace(des.L("zero"+BeginSuffix), des.L("obj"), 0, 0)
		p.Trace(des.L("zero"+EndSuffix), des.L("obj"), 0, 0)
	})
	s.Run()
	return Run{Title: "long labels", Events: evs}
}

func TestSwimlaneLabelsAndLegendFit(t *testing.T) {
	f, lane, err := swimlaneFigure(longLabelRun(), SwimlaneOptions{})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, f.Write(&b, "png"))
	img, err := png.Decode(&b)
	require.NoError(t, err)
	// Nothing is drawn in the leftmost columns: the longest lane label is not clipped.
	for x := img.Bounds().Min.X; x < img.Bounds().Min.X+3; x++ {
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			require.True(t, r > 0xf000 && g > 0xf000 && bb > 0xf000, "pixel drawn at (%d, %d)", x, y)
		}
	}
	// The legend wraps: several rows, each narrower than the plot, and the figure grows.
	require.Greater(t, len(lane.legendLines), 1)
	avail := f.W - laneLabelWidth([]string{"irq/amdgpu:0000:04:00.0-with-a-long-name#0"}) - 36
	for _, row := range lane.legendLines {
		var w = legendInset - legendGap
		for _, it := range row {
			w += lane.legendItemWidth(it)
		}
		assert.LessOrEqual(t, float64(w), float64(avail))
	}
	assert.Greater(t, f.H, SwimlaneHeight(1))
}
