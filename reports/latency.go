package reports

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// Series is one histogram with the name it has in a legend (a policy, a scenario).
type Series struct {
	Name string
	H    *metrics.Histogram
}

func seriesUnit(series []Series) Unit {
	var hi des.Duration
	for _, s := range series {
		hi = max(hi, s.H.Max())
	}
	return UnitFor(hi)
}

// positiveRange is the smallest and largest value > 0 over all series, in unit u.
func positiveRange(series []Series, u Unit) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), 0
	for _, s := range series {
		for _, b := range s.H.Buckets() {
			if b.Value > 0 {
				lo, hi = math.Min(lo, u.In(b.Value)), math.Max(hi, u.In(b.Value))
				ok = true
				break
			}
		}
		if s.H.Max() > 0 {
			hi = math.Max(hi, u.In(s.H.Max()))
		}
	}
	return lo, hi, ok
}

func legendStats(s Series) string {
	h := s.H
	return fmt.Sprintf("%s  (n=%d, p50 %s, p99 %s, max %s)", s.Name, h.Count(),
		FormatDuration(h.Quantile(0.5)), FormatDuration(h.Quantile(0.99)), FormatDuration(h.Max()))
}

// CDFPlot draws the empirical CDF of each series on a log latency axis: the fraction of
// operations that took at most x. Values ≤ 0 cannot sit on a log axis: they count in the
// fractions, and the title says how many there were.
func CDFPlot(title string, series []Series) (*Figure, error) {
	series = nonEmpty(series)
	if len(series) == 0 {
		return nil, fmt.Errorf("reports: CDF %q: no observations", title)
	}
	u := seriesUnit(series)
	lo, hi, ok := positiveRange(series, u)
	if !ok {
		return nil, fmt.Errorf("reports: CDF %q: no observation > 0 for a log axis", title)
	}
	p := newPlot(title, "latency ("+u.Name+", log scale)", "fraction of operations ≤ latency")
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	p.X.Min, p.X.Max = logRange(lo, hi)
	p.Y.Min, p.Y.Max = 0, 1.08+0.055*float64(len(series)) // headroom for the legend
	p.Y.Tick.Marker = plot.ConstantTicks(fractionTicks())
	p.Add(plotter.NewGrid())
	nonPos := uint64(0)
	for i, s := range series {
		pts, zeros := cdfPoints(s.H, u, p.X.Min)
		nonPos += zeros
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("reports: CDF %q: %w", title, err)
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle.Color, l.LineStyle.Width = colorN(i), vg.Points(1.8)
		p.Add(l)
		p.Legend.Add(legendStats(s), l)
	}
	p.Add(hline(0.5), hline(0.99), hline(1))
	if nonPos > 0 {
		p.Title.Text += fmt.Sprintf("  [%d values ≤ 0 not drawn]", nonPos)
	}
	return &Figure{Plot: p, W: DefaultWidth, H: DefaultHeight}, nil
}

func fractionTicks() []plot.Tick {
	return []plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25, Label: "0.25"}, {Value: 0.5, Label: "0.5"},
		{Value: 0.75, Label: "0.75"}, {Value: 0.9, Label: "0.9"}, {Value: 0.99, Label: "0.99"}, {Value: 1}}
}

// cdfPoints are the CDF's corners in unit u, starting at (xmin, F(0)).
func cdfPoints(h *metrics.Histogram, u Unit, xmin float64) (plotter.XYs, uint64) {
	n := float64(h.Count())
	var cum, zeros uint64
	var pts plotter.XYs
	for _, b := range h.Buckets() {
		if b.Value <= 0 {
			zeros += b.Count
			cum += b.Count
			continue
		}
		if len(pts) == 0 {
			pts = append(pts, plotter.XY{X: xmin, Y: float64(cum) / n})
			pts = append(pts, plotter.XY{X: u.In(b.Value), Y: float64(cum) / n})
		}
		cum += b.Count
		pts = append(pts, plotter.XY{X: u.In(b.Value), Y: float64(cum) / n})
	}
	return thin(pts, 1000), zeros
}

// thin drops CDF corners that would not show at a resolution of 1/res of the axes (log x),
// so a histogram with a million distinct values still makes a small SVG. The first and last
// corners are kept.
func thin(pts plotter.XYs, res float64) plotter.XYs {
	if len(pts) <= int(res) {
		return pts
	}
	span := math.Log(pts[len(pts)-1].X / pts[0].X)
	out := plotter.XYs{pts[0]}
	for i, p := range pts[1:] {
		last := out[len(out)-1]
		if i == len(pts)-2 || p.Y-last.Y >= 1/res || math.Log(p.X/last.X) >= span/res {
			out = append(out, p)
		}
	}
	return out
}

// hline is a thin dashed horizontal guide at y.
func hline(y float64) plot.Plotter {
	f := plotter.NewFunction(func(float64) float64 { return y })
	f.LineStyle.Color = color.Gray{150}
	f.LineStyle.Width = vg.Points(0.6)
	f.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	f.Samples = 2
	return f
}

// vmark is a vertical marker line at x, from the bottom of the plot area up to y = top.
type vmark struct {
	x, top float64
	style  draw.LineStyle
}

func (m vmark) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x := trX(m.x)
	c.StrokeLine2(m.style, x, c.Min.Y, x, trY(m.top))
}

func (m vmark) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(m.style, x, c.Min.Y, x, c.Max.Y)
}

func nonEmpty(series []Series) []Series {
	var out []Series
	for _, s := range series {
		if s.H.Count() > 0 {
			out = append(out, s)
		}
	}
	return out
}

// HistogramPlot draws how many operations fell into each latency bin. Bins are log-spaced (and
// the axis logarithmic) when the values span more than a factor of 20, linear otherwise;
// dashed lines mark p50 and p99.
func HistogramPlot(title string, s Series) (*Figure, error) {
	h := s.H
	if h.Count() == 0 {
		return nil, fmt.Errorf("reports: histogram %q: no observations", title)
	}
	u := UnitFor(h.Max())
	lo, hi := u.In(h.Min()), u.In(h.Max())
	logX := lo > 0 && hi/lo > 20
	xlabel := "latency (" + u.Name + ")"
	if logX {
		xlabel = "latency (" + u.Name + ", log scale, log-spaced bins)"
	}
	p := newPlot(title, xlabel, "operations")
	p.Add(plotter.NewGrid())
	bins := binCounts(h, u, 40, logX)
	hist := &plotter.Histogram{Bins: bins, FillColor: colorN(0), LineStyle: draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}}
	if len(bins) > 0 {
		hist.Width = bins[0].Max - bins[0].Min
	}
	p.Add(hist)
	peak := 0.0
	for _, b := range bins {
		peak = math.Max(peak, b.Weight)
	}
	p.Legend.Add(fmt.Sprintf("%s (n=%d, mean %s)", s.Name, h.Count(), FormatDuration(h.Mean())), hist)
	for i, q := range []struct {
		q    float64
		name string
	}{{0.5, "p50"}, {0.99, "p99"}} {
		v := h.Quantile(q.q)
		if logX && v <= 0 {
			continue
		}
		m := vmark{x: u.In(v), top: peak * 1.04, style: draw.LineStyle{Color: []color.Color{color.Black, violationRed}[i],
			Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}}
		p.Add(m)
		p.Legend.Add(q.name+" = "+FormatDuration(v), m)
	}
	if logX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
		p.X.Min, p.X.Max = bins[0].Min, bins[len(bins)-1].Max
	}
	p.Y.Min, p.Y.Max = 0, peak*1.3 // headroom for the legend
	if !logX && lo >= 0 && lo < hi-lo {
		p.X.Min = 0 // a linear latency axis reads best from 0
	}
	return &Figure{Plot: p, W: DefaultWidth, H: DefaultHeight}, nil
}

// binCounts spreads h over at most n bins between its min and max (in unit u). With logX,
// bins are log-spaced and values ≤ 0 are left out.
func binCounts(h *metrics.Histogram, u Unit, n int, logX bool) []plotter.HistogramBin {
	bks := h.Buckets()
	if logX {
		for len(bks) > 0 && bks[0].Value <= 0 {
			bks = bks[1:]
		}
	}
	if len(bks) == 0 {
		return nil
	}
	lo, hi := u.In(bks[0].Value), u.In(bks[len(bks)-1].Value)
	n = min(n, len(bks)*2)
	edge := func(i int) float64 {
		if logX {
			return lo * math.Pow(hi/lo, float64(i)/float64(n))
		}
		return lo + (hi-lo)*float64(i)/float64(n)
	}
	if hi == lo { // one distinct value: one bin around it
		w := math.Max(math.Abs(lo)*0.1, 1e-3)
		return []plotter.HistogramBin{{Min: lo - w, Max: lo + w, Weight: float64(h.Count())}}
	}
	bins := make([]plotter.HistogramBin, n)
	for i := range bins {
		bins[i] = plotter.HistogramBin{Min: edge(i), Max: edge(i + 1)}
	}
	for _, b := range bks {
		x := u.In(b.Value)
		var f float64
		if logX {
			f = math.Log(x/lo) / math.Log(hi/lo)
		} else {
			f = (x - lo) / (hi - lo)
		}
		i := min(int(f*float64(n)), n-1)
		bins[i].Weight += float64(b.Count)
	}
	return bins
}
