package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"

	"hotplugsim/internal/atomicfile"
)

// Figure is a plot with its size, ready to write as PNG or SVG.
type Figure struct {
	Plot *plot.Plot
	W, H vg.Length
}

// Default figure size: 8 × 5 inches, which is 768 × 480 pixels in PNG (96 dpi).
const (
	DefaultWidth  = 8 * vg.Inch
	DefaultHeight = 5 * vg.Inch
)

// Write renders f in format "png" or "svg". SVG output references the Liberation Sans font
// without embedding it (viewers substitute a sans font), which keeps the files small and
// byte-identical for the same input.
func (f *Figure) Write(w io.Writer, format string) error {
	format = strings.ToLower(format)
	if format != "png" && format != "svg" {
		return fmt.Errorf("reports: image format %q: want png or svg", format)
	}
	wt, err := f.Plot.WriterTo(f.W, f.H, format)
	if err != nil {
		return fmt.Errorf("reports: render %s: %w", format, err)
	}
	_, err = wt.WriteTo(w)
	return err
}

// Save writes f to path; the extension (.png or .svg) picks the format. The file is written
// whole or not at all.
func (f *Figure) Save(path string) error {
	var b bytes.Buffer
	if err := f.Write(&b, strings.TrimPrefix(filepath.Ext(path), ".")); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b.Bytes(), 0o644)
}

var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

// newPlot makes a plot with sans-serif text, a bold title and the legend at the top left.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sansBold
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans
		a.Label.TextStyle.Font.Size = vg.Points(11)
		a.Tick.Label.Font = sans
		a.Tick.Label.Font.Size = vg.Points(9)
	}
	p.Legend.TextStyle.Font = sans
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(-6)
	p.Legend.ThumbnailWidth = vg.Points(18)
	return p
}

// palette is Tableau 10, without red (kept for violations).
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
	{127, 127, 127, 255},
}

func colorN(i int) color.RGBA { return palette[i%len(palette)] }

var violationRed = color.RGBA{220, 0, 0, 255}

// logTicks labels a log axis at 1-2-5 steps when it spans less than 3 decades and at powers
// of ten otherwise, with minor ticks in between; labels are plain numbers (the axis label
// carries the unit).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	steps := []float64{1, 2, 5}
	if math.Log10(hi/lo) > 3 {
		steps = []float64{1}
	}
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		base := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := float64(m) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			label := ""
			for _, s := range steps {
				if float64(m) == s {
					label = strconv.FormatFloat(v, 'f', max(0, -int(e)), 64)
				}
			}
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
	}
	return ticks
}

// logRange pads [lo, hi] (both > 0) for a log axis so that a single value still has a range.
func logRange(lo, hi float64) (float64, float64) {
	if lo <= 0 {
		lo = hi / 10
	}
	if hi <= lo*1.5 {
		return lo / 2, hi * 2
	}
	return lo / 1.2, hi * 1.2
}
