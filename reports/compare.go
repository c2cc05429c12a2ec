package reports

import (
	"fmt"
	stdcolor "image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// ComparisonRow is one policy's p50 and p99 of a metric at one parameter value.
type ComparisonRow struct {
	Policy string
	Param  float64 // e.g. the number of devices
	P50    des.Duration
	P99    des.Duration
	// Runs and Violations count the runs the row summarises and those that ended in a
	// violation (Runs 0: not counted). A latency of runs that violated is not a latency of a
	// correct policy: ComparisonPlot marks every such point and says so in the legend.
	Runs       uint64
	Violations uint64
}

// RowOf summarises a histogram as a comparison row.
func RowOf(policy string, param float64, h *metrics.Histogram) ComparisonRow {
	return ComparisonRow{Policy: policy, Param: param, P50: h.Quantile(0.5), P99: h.Quantile(0.99)}
}

// Comparison is the input of a policy comparison plot: e.g. p50/p99 ioctl latency of
// global-rwsem vs per-device-lock as the number of devices grows 1, 2, 4, 8.
type Comparison struct {
	Title  string
	Metric string // the metric compared, for the y label ("ioctl/AMDGPU_CS")
	Param  string // the x axis ("devices")
	Rows   []ComparisonRow
}

// ComparisonPlot draws one colour per policy, p50 as a solid line with circles and p99 as a
// dashed line with triangles, against the parameter. The latency axis is logarithmic when the
// values span more than a factor of 50. A policy that violated has a red cross over each of
// its points whose runs violated and a legend entry "<policy>: violated in V/R runs" (over
// all its rows), so that a buggy policy's lower latency does not read as a better policy.
func ComparisonPlot(c Comparison) (*Figure, error) {
	if len(c.Rows) == 0 {
		return nil, fmt.Errorf("reports: comparison %q: no rows", c.Title)
	}
	rows := slices.Clone(c.Rows)
	slices.SortFunc(rows, func(a, b ComparisonRow) int {
		if d := strings.Compare(a.Policy, b.Policy); d != 0 {
			return d
		}
		return cmpFloat(a.Param, b.Param)
	})
	var hi, lo des.Duration = 0, math.MaxInt64
	var params []float64
	for _, r := range rows {
		if r.P50 < 0 || r.P99 < r.P50 || math.IsNaN(r.Param) || math.IsInf(r.Param, 0) {
			return nil, fmt.Errorf("reports: comparison %q: row %s@%v: want 0 <= p50 <= p99 and a finite parameter", c.Title, r.Policy, r.Param)
		}
		if r.Violations > r.Runs {
			return nil, fmt.Errorf("reports: comparison %q: row %s@%v: %d violations in %d runs", c.Title, r.Policy, r.Param, r.Violations, r.Runs)
		}
		hi, lo = max(hi, r.P99), min(lo, r.P50)
		if !slices.Contains(params, r.Param) {
			params = append(params, r.Param)
		}
	}
	slices.Sort(params)
	violated := 0 // policies that violated: each has one more legend entry
	for i, r := range rows {
		if r.Violations > 0 && !slices.ContainsFunc(rows[:i], func(q ComparisonRow) bool { return q.Policy == r.Policy && q.Violations > 0 }) {
			violated++
		}
	}
	u := UnitFor(hi)
	title := c.Title
	if title == "" {
		title = metrics.Describe(c.Metric) + " vs " + c.Param
	}
	p := newPlot(title, c.Param, "p50 and p99 latency ("+u.Name+")")
	p.Add(plotter.NewGrid())
	var ticks []plot.Tick
	for _, v := range params {
		ticks = append(ticks, plot.Tick{Value: v, Label: trimNum(v)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	pad := (params[len(params)-1] - params[0]) * 0.05
	if pad == 0 {
		pad = 0.5
	}
	p.X.Min, p.X.Max = params[0]-pad, params[len(params)-1]+pad
	// A log axis is drawn as log10 values on a linear axis: gonum centres a vertical axis label
	// at the arithmetic middle of a log range, which squeezes the plot.
	logY := lo > 0 && float64(hi)/float64(lo) > 50
	yv := func(d des.Duration) float64 { return u.In(d) }
	if logY {
		ylo, yhi := logRange(u.In(lo), u.In(hi))
		var ticks []plot.Tick
		for _, t := range (logTicks{}).Ticks(ylo, yhi) {
			ticks = append(ticks, plot.Tick{Value: math.Log10(t.Value), Label: t.Label})
		}
		p.Y.Tick.Marker = plot.ConstantTicks(ticks)
		p.Y.Min, p.Y.Max = math.Log10(ylo), math.Log10(yhi)+(0.22+0.08*float64(violated))*math.Log10(yhi/ylo) // legend headroom
		p.Y.Label.Text = "p50 and p99 latency (" + u.Name + ", log scale)"
		yv = func(d des.Duration) float64 { return math.Log10(u.In(d)) }
	} else {
		p.Y.Min, p.Y.Max = 0, u.In(hi)*(1.35+0.12*float64(violated))
	}
	policy := 0
	for i := 0; i < len(rows); policy++ {
		j := i
		for j < len(rows) && rows[j].Policy == rows[i].Policy {
			j++
		}
		if err := addPolicy(p, rows[i:j], yv, colorN(policy)); err != nil {
			return nil, err
		}
		i = j
	}
	return &Figure{Plot: p, W: DefaultWidth, H: DefaultHeight}, nil
}

func addPolicy(p *plot.Plot, rows []ComparisonRow, yv func(des.Duration) float64, col stdcolor.Color) error {
	for _, q := range []struct {
		name  string
		get   func(ComparisonRow) des.Duration
		shape draw.GlyphDrawer
		dash  []vg.Length
	}{
		{"p50", func(r ComparisonRow) des.Duration { return r.P50 }, draw.CircleGlyph{}, nil},
		{"p99", func(r ComparisonRow) des.Duration { return r.P99 }, draw.TriangleGlyph{}, []vg.Length{vg.Points(6), vg.Points(3)}},
	} {
		pts := make(plotter.XYs, len(rows))
		for i, r := range rows {
			pts[i] = plotter.XY{X: r.Param, Y: yv(q.get(r))}
		}
		l, s, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("reports: comparison %s: %w", rows[0].Policy, err)
		}
		l.LineStyle.Color, l.LineStyle.Width, l.LineStyle.Dashes = col, vg.Points(1.8), q.dash
		s.GlyphStyle.Color, s.GlyphStyle.Shape, s.GlyphStyle.Radius = col, q.shape, vg.Points(3.5)
		p.Add(l, s)
		p.Legend.Add(rows[0].Policy+" "+q.name, l, s)
	}
	var runs, bad uint64
	var marks plotter.XYs
	for _, r := range rows {
		runs, bad = runs+r.Runs, bad+r.Violations
		if r.Violations > 0 {
			marks = append(marks, plotter.XY{X: r.Param, Y: yv(r.P50)}, plotter.XY{X: r.Param, Y: yv(r.P99)})
		}
	}
	if bad == 0 {
		return nil
	}
	s, err := plotter.NewScatter(marks)
	if err != nil {
		return fmt.Errorf("reports: comparison %s: %w", rows[0].Policy, err)
	}
	s.GlyphStyle.Color, s.GlyphStyle.Shape, s.GlyphStyle.Radius = violationRed, violationGlyph{}, vg.Points(6)
	p.Add(s)
	p.Legend.Add(violatedLabel(rows[0].Policy, bad, runs), s)
	return nil
}

// violatedLabel is the legend text of a policy that violated in bad of runs runs.
func violatedLabel(policy string, bad, runs uint64) string {
	return fmt.Sprintf("%s: violated in %d/%d runs", policy, bad, runs)
}

// violationGlyph is a bold X, the mark of a point whose runs violated.
type violationGlyph struct{}

func (violationGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(2)})
	r := sty.Radius * 0.75
	var p vg.Path
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y + r})
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y - r})
	c.Stroke(p)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
