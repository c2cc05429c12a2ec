package reports

import (
	"fmt"
	"github.com/cespare/xxhash/v2"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"hotplugsim/des"
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
	names := r.names()
	events := r.Events
	if opt.From != 0 || opt.To != 0 {
		events = window(events, opt.From, opt.To)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("reports: swimlane: no events")
	}
	sl := &swimlane{names: names}
	sl.build(events, r.Violations)
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
	p.Y.Min, p.Y.Max = -0.6, float64(n)-0.4+legendRows
	var ticks []plot.Tick
	for i, id := range sl.lanes {
		ticks = append(ticks, plot.Tick{Value: sl.laneY(i), Label: procLabel(names, id)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Length = 0
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	grid := plotter.NewGrid()
	grid.Horizontal.Width = 0
	p.Add(grid, sl)
	w := opt.Width
	if w == 0 {
		w = 10 * vg.Inch
	}
	return &Figure{Plot: p, W: w, H: SwimlaneHeight(n)}, nil
}

// legendRows is the headroom above the lanes where the legend is drawn, in lane units.
const legendRows = 0.9

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
	models     []string // distinct model span names, sorted (colour order)
	unit       Unit
	noInstants bool
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
	s.depth = make([]int, len(s.spans))
	stacks := map[int32][]Span{} // enclosing model spans per process (spans come sorted by start)
	for i, sp := range s.spans {
		if sp.Cat != CatModel {
			continue
		}
		if !slices.Contains(s.models, sp.Name) {
			s.models = append(s.models, sp.Name)
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
	return spanColor(sp.Name)
}

// spanColor gives a model span the same colour in every plot: the common spans have fixed
// ones, any other name a stable pick from the palette by hash of its name.
func spanColor(name string) color.RGBA {
	if i, ok := fixedSpanColors[name]; ok {
		return palette[i]
	}
	return palette[xxhash.Sum64String(name)%uint64(len(palette))]
}

// fixedSpanColors indexes palette for the spans the seed drivers emit.
var fixedSpanColors = map[string]int{
	"ioctl": 1, "fault": 0, "barmove": 2, "rescan": 3, "remove": 4, "unplug": 4,
	"drm_dev_unplug": 4, "period": 5, "unsol": 6, "evict": 7, "move": 7, "probe": 8,
}

func (s *swimlane) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, 1, -0.6, float64(len(s.lanes)) - 0.4 + legendRows
}

func (s *swimlane) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	x := func(t des.Time) vg.Length { return trX(s.unit.In(t.Sub(0))) }
	bar := func(sp Span, half float64, col color.Color) {
		y := s.laneY(s.laneOf[sp.Proc])
		x0, x1 := x(sp.Start), x(sp.End)
		if x1-x0 < vg.Points(0.8) {
			x1 = x0 + vg.Points(0.8)
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
			txt := v.Kind + " at " + FormatDuration(v.At.Sub(0))
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
	s.legend(c, trY(float64(len(s.lanes))-0.4+legendRows/2))
}

func (s *swimlane) textStyle(col color.Color, size float64) text.Style {
	f := sans
	f.Size = vg.Points(size)
	return text.Style{Color: col, Font: f, Handler: plot.DefaultTextHandler, YAlign: draw.YCenter}
}

// legend draws the colour key in one row at height y.
func (s *swimlane) legend(c draw.Canvas, y vg.Length) {
	type item struct {
		name string
		col  color.Color
		line bool
	}
	var items []item
	for _, m := range s.models {
		items = append(items, item{m, spanColor(m), false})
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
			items = append(items, item{k.name, k.col, false})
		}
	}
	if len(s.instants) > 0 && !s.noInstants {
		items = append(items, item{"event", colInstant, true})
	}
	if len(s.violations) > 0 {
		items = append(items, item{"violation", violationRed, true})
	}
	sty := s.textStyle(color.Black, 9)
	xx := c.Min.X + vg.Points(6)
	for _, it := range items {
		if it.line && it.col == colInstant {
			c.StrokeLine2(draw.LineStyle{Color: it.col, Width: vg.Points(0.6)}, xx+vg.Points(5), y-vg.Points(4), xx+vg.Points(5), y+vg.Points(1))
		} else if it.line {
			c.StrokeLine2(draw.LineStyle{Color: it.col, Width: vg.Points(1.6)}, xx+vg.Points(5), y-vg.Points(5), xx+vg.Points(5), y+vg.Points(5))
		} else {
			c.FillPolygon(it.col, []vg.Point{{X: xx, Y: y - vg.Points(4)}, {X: xx + vg.Points(10), Y: y - vg.Points(4)},
				{X: xx + vg.Points(10), Y: y + vg.Points(4)}, {X: xx, Y: y + vg.Points(4)}})
		}
		xx += vg.Points(13)
		c.FillText(sty, vg.Point{X: xx, Y: y}, it.name)
		xx += sty.Width(it.name) + vg.Points(12)
	}
}
