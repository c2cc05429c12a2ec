package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"hotplugsim/des"
	"hotplugsim/reports/causal"
)

// SwimlaneOptions tune SwimlanePlot.
type SwimlaneOptions struct {
	Title string    // default: the run's title
	Width vg.Length // default 10 inches (960 px); the height follows the number of lanes
	// From and To restrict the time window (both 0: the whole run).
	From, To des.Time
	// NoInstants leaves out the tick marks of events that are not spans.
	NoInstants bool
}

// Lane colours of the engine's spans.
var (
	colWait    = color.RGBA{244, 165, 165, 255} // blocked on a wait queue
	colSleep   = color.RGBA{205, 205, 205, 255}
	colBusy    = color.RGBA{255, 205, 140, 255}
	colPreempt = color.RGBA{225, 225, 150, 255}
	colInstant = color.RGBA{70, 70, 70, 255}
)

// SwimlaneHeight is the figure height for n lanes.
func SwimlaneHeight(n int) vg.Length { return vg.Inch*1.6 + vg.Inch*0.42*vg.Length(max(n, 2)) }

// SwimlanePlot draws one run as a timeline: one lane per process (in spawn order, top down),
// model spans as full-height bars coloured by name (nested spans thinner), waits, sleeps,
// busy loops and preemptions as thinner bars over them, other events as ticks, and each
// violation as a red line across all lanes with a cross on the lane of the process that hit it.
func SwimlanePlot(r Run, opt SwimlaneOptions) (*Figure, error) {
	f, _, err := swimlaneFigure(r, opt)
	return f, err
}

func swimlaneFigure(r Run, opt SwimlaneOptions) (*Figure, *swimlane, error) {
	names := r.names()
	events := r.Events
	if opt.From != 0 || opt.To != 0 {
		events = window(events, opt.From, opt.To)
	}
	if len(events) == 0 {
		return nil, nil, fmt.Errorf("reports: swimlane: no events")
	}
	sl := &swimlane{names: names}
	sl.build(events, r.Violations)
	sl.markCauses(r.Events, events)
	title := opt.Title
	if title == "" {
		title = r.Title
	}
	if title == "" {
		title = "run timeline"
	}
	t0, t1 := events[0].At, events[len(events)-1].At
	for _, v := range r.Violations {
		t1 = max(t1, v.At)
	}
	sl.unit = UnitFor(t1.Sub(0))
	sl.noInstants = opt.NoInstants
	p := newPlot(title, "virtual time ("+sl.unit.Name+")", "")
	span := sl.unit.In(t1.Sub(t0))
	if span == 0 {
		span = 1
	}
	p.X.Min, p.X.Max = sl.unit.In(t0.Sub(0))-span*0.01, sl.unit.In(t1.Sub(0))+span*0.01
	n := len(sl.lanes)
	var ticks []plot.Tick
	var labels []string
	for i, id := range sl.lanes {
		labels = append(labels, procLabel(names, id))
		ticks = append(ticks, plot.Tick{Value: sl.laneY(i), Label: labels[i]})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Length = 0
	p.Y.Tick.Label.Font.Size = vg.Points(laneLabelSize)
	// The axis is as wide as its longest label (gonum measures them); a blank axis title
	// adds a margin that keeps that label's first glyph off the figure's edge.
	p.Y.Label.Text, p.Y.Label.Padding = " ", 0
	w := opt.Width
	if w == 0 {
		w = 10 * vg.Inch
	}
	// The legend wraps into as many rows as the plot area's width needs.
	sl.legendLines = sl.layoutLegend(w - laneLabelWidth(labels) - vg.Points(36))
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4+sl.headroom()
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	p.Add(grid, sl)
	h := SwimlaneHeight(n) + vg.Inch*0.42*legendRowExtra*vg.Length(max(len(sl.legendLines), 1)-1)
	return &Figure{Plot: p, W: w, H: h}, sl, nil
}

// legendRows is the headroom above the lanes where a one-row legend is drawn, in lane
// units; each further row adds legendRowExtra (and the figure grows by as much).
const (
	legendRows     = 0.9
	legendRowExtra = 0.5
	laneLabelSize  = 10 // points
	// minSpanWidth is the width a span shorter than it (a zero-length one too) is drawn with,
	// centred on its start.
	minSpanWidth = vg.Length(3)
)

// laneLabelWidth is the width of the longest lane label at the axis's font.
func laneLabelWidth(labels []string) vg.Length {
	f := sans
	f.Size = vg.Points(laneLabelSize)
	sty := text.Style{Font: f, Handler: plot.DefaultTextHandler}
	var w vg.Length
	for _, l := range labels {
		r := sty.Rectangle(l)
		w = max(w, r.Max.X-r.Min.X)
	}
	return w
}

func (s *swimlane) headroom() float64 {
	return legendRows + legendRowExtra*float64(max(len(s.legendLines), 1)-1)
}

func window(events []des.Event, from, to des.Time) []des.Event {
	var out []des.Event
	for _, e := range events {
		if e.At >= from && (to == 0 || e.At <= to) {
			out = append(out, e)
		}
	}
	return out
}

type swimlane struct {
	names      Names
	lanes      []int32 // process ids, top down
	laneOf     map[int32]int
	spans      []Span
	depth      []int // nesting depth of each model span
	instants   []des.Event
	violations []des.Violation
	models     []string // distinct model span names, sorted (legend order)
	colors     *spanColors
	causes     []cause // the events the violations reference, in the window
	unit       Unit
	noInstants bool
	// legendLines are the legend's items, row by row.
	legendLines [][]legendItem
}

// cause is an event a violation references (the iounmap, free, ... of another process that
// the violating access came after), drawn as a marker joined to the violation's cross.
type cause struct {
	ev des.Event
	v  des.Violation
}

func (s *swimlane) build(events []des.Event, vs []des.Violation) {
	s.spans = Spans(events)
	s.violations = vs
	s.laneOf = map[int32]int{}
	var ids []int32
	for _, e := range events {
		if e.Proc >= 0 {
			ids = append(ids, e.Proc)
		}
	}
	for _, v := range vs {
		ids = append(ids, int32(v.PID))
	}
	slices.Sort(ids)
	s.lanes = slices.Compact(ids)
	for i, id := range s.lanes {
		s.laneOf[id] = i
	}
	for _, e := range events {
		if k := e.Kind.String(); e.Proc >= 0 && !spanKind(k) && k != "spawn" && k != "exit" && k != "violation" {
			s.instants = append(s.instants, e)
		}
	}
	s.colors = newSpanColors()
	s.depth = make([]int, len(s.spans))
	stacks := map[int32][]Span{} // enclosing model spans per process (spans come sorted by start)
	for i, sp := range s.spans {
		if sp.Cat != CatModel {
			continue
		}
		if !slices.Contains(s.models, sp.Name) {
			s.models = append(s.models, sp.Name)
			s.colors.of(sp.Name) // fallback colours go in order of first appearance
		}
		st := stacks[sp.Proc]
		for len(st) > 0 && !(st[len(st)-1].Start <= sp.Start && st[len(st)-1].End >= sp.End) {
			st = st[:len(st)-1]
		}
		s.depth[i] = len(st)
		stacks[sp.Proc] = append(st, sp)
	}
	slices.Sort(s.models)
}

// markCauses finds, for each violation, the events it references (causal.Compute's Ref: the
// events its message cites, the last lifetime event of an object it names, another process's
// free or unmap among its related events) in the whole stream, and keeps those in the window.
func (s *swimlane) markCauses(all, shown []des.Event) {
	in := map[uint64]bool{}
	for _, e := range shown {
		in[e.Seq] = true
	}
	for _, v := range s.violations {
		sl := causal.Compute(all, v, causal.Options{Max: -1})
		for i, e := range sl.Events {
			if !sl.Ref[i] || e.Kind.String() == "violation" || !in[e.Seq] {
				continue
			}
			if _, ok := s.laneOf[e.Proc]; ok {
				s.causes = append(s.causes, cause{e, v})
			}
		}
	}
}

func (s *swimlane) laneY(i int) float64 { return float64(len(s.lanes) - 1 - i) }

func (s *swimlane) color(sp Span) color.Color {
	switch sp.Cat {
	case CatWait:
		return colWait
	case CatSleep:
		return colSleep
	case CatBusy:
		return colBusy
	case CatPreempt:
		return colPreempt
	}
	return s.colors.of(sp.Name)
}

func (s *swimlane) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, 1, -0.6, float64(len(s.lanes)) - 0.4 + s.headroom()
}

func (s *swimlane) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x := func(t des.Time) vg.Length { return trX(s.unit.In(t.Sub(0))) }
	bar := func(sp Span, half float64, col color.Color) {
		y := s.laneY(s.laneOf[sp.Proc])
		x0, x1 := x(sp.Start), x(sp.End)
		if x1-x0 < minSpanWidth { // zero-length and very short spans stay visible
			mid := (x0 + x1) / 2
			x0, x1 = mid-minSpanWidth/2, mid+minSpanWidth/2
		}
		y0, y1 := trY(y-half), trY(y+half)
		c.FillPolygon(col, c.ClipPolygonXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}))
	}
	for i, sp := range s.spans { // model spans under the engine's
		if sp.Cat == CatModel {
			bar(sp, max(0.14, 0.36-0.08*float64(s.depth[i])), s.color(sp))
		}
	}
	for _, sp := range s.spans {
		if sp.Cat != CatModel {
			bar(sp, 0.13, s.color(sp))
		}
	}
	if !s.noInstants {
		tick := draw.LineStyle{Color: colInstant, Width: vg.Points(0.6)}
		for _, e := range s.instants {
			y := s.laneY(s.laneOf[e.Proc])
			if xx := x(e.At); c.ContainsX(xx) {
				c.StrokeLine2(tick, xx, trY(y-0.42), xx, trY(y-0.26))
			}
		}
	}
	s.drawCauses(c, x, trY)
	red := draw.LineStyle{Color: violationRed, Width: vg.Points(1.6)}
	label := s.textStyle(violationRed, 9)
	label.XAlign = draw.XLeft
	for _, v := range s.violations {
		xx := x(v.At)
		c.StrokeLine2(red, xx, trY(-0.5), xx, trY(float64(len(s.lanes))-0.5))
		if i, ok := s.laneOf[int32(v.PID)]; ok {
			c.DrawGlyph(draw.GlyphStyle{Color: violationRed, Radius: vg.Points(6), Shape: draw.CrossGlyph{}},
				vg.Point{X: xx, Y: trY(s.laneY(i))})
			lab, at := label, xx+vg.Points(8)
			if xx > (c.Min.X+c.Max.X)/2 { // keep the text inside the plot: left of the line
				lab.XAlign, at = draw.XRight, xx-vg.Points(8)
			}
			txt := string(v.Kind) + " at " + FormatDuration(v.At.Sub(0))
			y := trY(s.laneY(i) + 0.25)
			w, h := lab.Width(txt), lab.Height(txt)
			x0 := at
			if lab.XAlign == draw.XRight {
				x0 = at - w
			}
			pad := vg.Points(2)
			c.FillPolygon(color.NRGBA{255, 255, 255, 220}, []vg.Point{{X: x0 - pad, Y: y - h/2 - pad},
				{X: x0 + w + pad, Y: y - h/2 - pad}, {X: x0 + w + pad, Y: y + h/2 + pad}, {X: x0 - pad, Y: y + h/2 + pad}})
			c.FillText(lab, vg.Point{X: at, Y: y}, txt)
		}
	}
	s.legend(c, trY(float64(len(s.lanes))-0.4+s.headroom()/2))
}

func (s *swimlane) textStyle(col color.Color, size float64) text.Style {
	f := sans
	f.Size = vg.Points(size)
	return text.Style{Color: col, Font: f, Handler: plot.DefaultTextHandler, YAlign: draw.YCenter}
}

// legendItem is one entry of the colour key.
type legendItem struct {
	name  string
	col   color.Color
	shape int // legendBox, legendTick, legendLine, legendCause
}

const (
	legendBox = iota
	legendTick
	legendLine
	legendCause
)

// legendItems lists the colour key: the model spans (sorted), the engine's spans present,
// the event ticks, the causes and the violations.
func (s *swimlane) legendItems() []legendItem {
	var items []legendItem
	for _, m := range s.models {
		items = append(items, legendItem{m, s.colors.of(m), legendBox})
	}
	present := map[string]bool{}
	for _, sp := range s.spans {
		present[sp.Cat] = true
	}
	for _, k := range []struct {
		cat, name string
		col       color.Color
	}{{CatWait, "blocked (wait queue)", colWait}, {CatSleep, "sleep", colSleep},
		{CatBusy, "busy", colBusy}, {CatPreempt, "preempted", colPreempt}} {
		if present[k.cat] {
			items = append(items, legendItem{k.name, k.col, legendBox})
		}
	}
	if len(s.instants) > 0 && !s.noInstants {
		items = append(items, legendItem{"event", colInstant, legendTick})
	}
	if len(s.causes) > 0 {
		items = append(items, legendItem{"event the violation references", colCause, legendCause})
	}
	if len(s.violations) > 0 {
		items = append(items, legendItem{"violation", violationRed, legendLine})
	}
	return items
}

// Legend geometry: an item is its key, a gap, its text and a gap to the next.
var (
	legendKeyW  = vg.Points(13)
	legendGap   = vg.Points(12)
	legendInset = vg.Points(6)
	legendRowH  = vg.Points(14)
)

func (s *swimlane) legendItemWidth(it legendItem) vg.Length {
	return legendKeyW + s.textStyle(color.Black, 9).Width(it.name) + legendGap
}

// layoutLegend breaks the legend into rows no wider than width (each row holds at least one
// item).
func (s *swimlane) layoutLegend(width vg.Length) [][]legendItem {
	var rows [][]legendItem
	var row []legendItem
	var used vg.Length
	for _, it := range s.legendItems() {
		w := s.legendItemWidth(it)
		if len(row) > 0 && legendInset+used+w-legendGap > width {
			rows = append(rows, row)
			row, used = nil, 0
		}
		row = append(row, it)
		used += w
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// legend draws the colour key, its first row centred at height y and the others below it.
func (s *swimlane) legend(c draw.Canvas, y vg.Length) {
	rows := s.legendLines
	if rows == nil {
		rows = s.layoutLegend(c.Max.X - c.Min.X)
	}
	sty := s.textStyle(color.Black, 9)
	y += legendRowH * vg.Length(len(rows)-1) / 2
	for _, row := range rows {
		xx := c.Min.X + legendInset
		for _, it := range row {
			switch it.shape {
			case legendTick:
				c.StrokeLine2(draw.LineStyle{Color: it.col, Width: vg.Points(0.6)}, xx+vg.Points(5), y-vg.Points(4), xx+vg.Points(5), y+vg.Points(1))
			case legendLine:
				c.StrokeLine2(draw.LineStyle{Color: it.col, Width: vg.Points(1.6)}, xx+vg.Points(5), y-vg.Points(5), xx+vg.Points(5), y+vg.Points(5))
			case legendCause:
				c.DrawGlyph(causeGlyph(), vg.Point{X: xx + vg.Points(5), Y: y})
			default:
				c.FillPolygon(it.col, []vg.Point{{X: xx, Y: y - vg.Points(4)}, {X: xx + vg.Points(10), Y: y - vg.Points(4)},
					{X: xx + vg.Points(10), Y: y + vg.Points(4)}, {X: xx, Y: y + vg.Points(4)}})
			}
			xx += legendKeyW
			c.FillText(sty, vg.Point{X: xx, Y: y}, it.name)
			xx += sty.Width(it.name) + legendGap
		}
		y -= legendRowH
	}
}

// colCause marks the events a violation references.
var colCause = color.RGBA{120, 0, 160, 255}

func causeGlyph() draw.GlyphStyle {
	return draw.GlyphStyle{Color: colCause, Radius: vg.Points(5), Shape: draw.PyramidGlyph{}}
}

// drawCauses marks each cause on its lane with a triangle and its kind and object, joined
// by a dashed line to the violation's cross.
func (s *swimlane) drawCauses(c draw.Canvas, x func(des.Time) vg.Length, trY func(float64) vg.Length) {
	dash := draw.LineStyle{Color: colCause, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	mark := draw.LineStyle{Color: colCause, Width: vg.Points(1.4)}
	lab := s.textStyle(colCause, 8.5)
	labels := map[[2]int64]string{} // causes at the same time on the same lane share one label
	for _, k := range s.causes {
		key := [2]int64{int64(k.ev.Proc), int64(k.ev.At)}
		txt := k.ev.Kind.String()
		if o := k.ev.Obj.String(); o != "" && o != "des" {
			txt += " " + o
		}
		if labels[key] != "" {
			txt = labels[key] + "; " + txt
		}
		labels[key] = txt
	}
	done := map[[2]int64]bool{}
	for _, k := range s.causes {
		key := [2]int64{int64(k.ev.Proc), int64(k.ev.At)}
		if done[key] {
			continue
		}
		done[key] = true
		y := s.laneY(s.laneOf[k.ev.Proc])
		xx, yy := x(k.ev.At), trY(y)
		if !c.ContainsX(xx) {
			continue
		}
		c.StrokeLine2(mark, xx, trY(y-0.42), xx, trY(y+0.42))
		if vi, ok := s.laneOf[int32(k.v.PID)]; ok && vi != s.laneOf[k.ev.Proc] {
			c.StrokeLines(dash, c.ClipLinesXY([]vg.Point{{X: xx, Y: yy}, {X: x(k.v.At), Y: trY(s.laneY(vi))}})...)
		}
		c.DrawGlyph(causeGlyph(), vg.Point{X: xx, Y: trY(y + 0.3)})
		txt := labels[key]
		l, at := lab, xx+vg.Points(7)
		l.XAlign = draw.XLeft
		if xx > (c.Min.X+c.Max.X)/2 {
			l.XAlign, at = draw.XRight, xx-vg.Points(7)
		}
		c.FillText(l, vg.Point{X: at, Y: trY(y + 0.3)}, txt)
	}
}

// spanColors gives each model span kind its colour: the kinds in spanColorTable have fixed,
// pairwise distinct ones; any other kind gets the next unused fallback colour, in the order
// the kinds are first asked for, so two kinds never share a colour and the same run always
// draws the same colours.
type spanColors struct {
	extra map[string]color.RGBA
}

func newSpanColors() *spanColors { return &spanColors{extra: map[string]color.RGBA{}} }

func (c *spanColors) of(name string) color.RGBA {
	if col, ok := spanColorTable[name]; ok {
		return col
	}
	if col, ok := c.extra[name]; ok {
		return col
	}
	col := fallbackColor(len(c.extra))
	c.extra[name] = col
	return col
}

// spanColorTable fixes the colours of the span kinds the drivers emit. No two are equal, none
// is the violations' red, the cause marker's purple or an engine span's colour.
var spanColorTable = map[string]color.RGBA{
	"fault":          {31, 119, 180, 255},
	"ioctl":          {255, 127, 14, 255},
	"barmove":        {44, 160, 44, 255},
	"rescan":         {148, 103, 189, 255},
	"remove":         {140, 86, 75, 255},
	"period":         {227, 119, 194, 255},
	"unsol":          {188, 189, 34, 255},
	"evict":          {23, 190, 207, 255},
	"probe":          {127, 127, 127, 255},
	"unplug":         {174, 199, 232, 255},
	"drm_dev_unplug": {0, 70, 140, 255},
	"move":           {152, 223, 138, 255},
	"migrate":        {197, 176, 213, 255},
	"reset":          {196, 156, 148, 255},
	"release":        {247, 182, 210, 255},
	"move_notify":    {158, 218, 229, 255},
	"close":          {219, 219, 141, 255},
	"open":           {0, 107, 110, 255},
	"attach":         {166, 118, 29, 255},
	"wait":           {102, 102, 51, 255},
	"fini-hw":        {80, 40, 20, 255},
}

// fallbackColors are handed out, in order, to kinds not in spanColorTable.
var fallbackColors = []color.RGBA{
	{27, 158, 119, 255}, {117, 112, 179, 255}, {230, 171, 2, 255}, {102, 166, 30, 255},
	{231, 41, 138, 255}, {0, 40, 90, 255}, {160, 120, 255, 255}, {0, 150, 90, 255},
}

// fallbackColor is the i-th fallback colour: the fixed list, then hues spread by the golden
// angle at alternating lightness, skipping any colour already in use.
func fallbackColor(i int) color.RGBA {
	if i < len(fallbackColors) {
		return fallbackColors[i]
	}
	used := map[color.RGBA]bool{violationRed: true, colCause: true, colWait: true, colSleep: true, colBusy: true, colPreempt: true, colInstant: true}
	for _, c := range spanColorTable {
		used[c] = true
	}
	for _, c := range fallbackColors {
		used[c] = true
	}
	k := len(fallbackColors)
	var col color.RGBA
	for n := 0; n <= i-len(fallbackColors); k++ {
		col = hsv(math.Mod(float64(k)*137.508, 360), 0.65, 0.55+0.3*float64(k%2))
		if !used[col] {
			used[col] = true
			n++
		}
	}
	return col
}

// hsv converts a hue in degrees, saturation and value in [0, 1] to RGB.
func hsv(h, s, v float64) color.RGBA {
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := v - c
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	to := func(f float64) uint8 { return uint8(math.Round((f + m) * 255)) }
	return color.RGBA{to(r), to(g), to(b), 255}
}
