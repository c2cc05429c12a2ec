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
// values span more than a factor of 50.
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
		hi, lo = max(hi, r.P99), min(lo, r.P50)
		if !slices.Contains(params, r.Param) {
			params = append(params, r.Param)
		}
	}
	slices.Sort(params)
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
		p.Y.Min, p.Y.Max = math.Log10(ylo), math.Log10(yhi)+0.22*math.Log10(yhi/ylo) // legend headroom
		p.Y.Label.Text = "p50 and p99 latency (" + u.Name + ", log scale)"
		yv = func(d des.Duration) float64 { return math.Log10(u.In(d)) }
	} else {
		p.Y.Min, p.Y.Max = 0, u.In(hi)*1.35
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
	return nil
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
