package reports_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/reports"
	"hotplugsim/reports/reportstest"
)

// latencyFixture is two seeded latency distributions: a fast policy and one with a long tail.
func latencyFixture() (fast, slow *metrics.Histogram) {
	rng := rand.New(rand.NewPCG(1, 1))
	fast, slow = &metrics.Histogram{}, &metrics.Histogram{}
	for range 2000 {
		fast.Observe(des.Duration(2000 + rng.ExpFloat64()*3000))
		slow.Observe(des.Duration(5000 + rng.ExpFloat64()*40000))
	}
	return fast, slow
}

func comparisonFixture() reports.Comparison {
	var rows []reports.ComparisonRow
	for _, d := range []float64{1, 2, 4, 8} {
		rows = append(rows,
			reports.ComparisonRow{Policy: "global-rwsem", Param: d, P50: des.Duration(d * 3000), P99: des.Duration(d * d * 9000),
				Runs: 200},
			reports.ComparisonRow{Policy: "per-device-lock", Param: d, P50: des.Duration(2500 + d*100), P99: des.Duration(8000 + d*500),
				Runs: 200, Violations: 200})
	}
	return reports.Comparison{Title: "ioctl latency during a BAR move vs devices", Metric: metrics.Ioctl("AMDGPU_CS"),
		Param: "devices on the bus", Rows: rows}
}

// figures are the plots the golden tests pin down, by file stem.
func figures(t *testing.T) map[string]*reports.Figure {
	t.Helper()
	fast, slow := latencyFixture()
	r, _ := fixtureRun()
	out := map[string]*reports.Figure{}
	var err error
	out["cdf"], err = reports.CDFPlot("ioctl AMDGPU_CS latency", []reports.Series{{Name: "per-device-lock", H: fast}, {Name: "global-rwsem", H: slow}})
	require.NoError(t, err)
	out["histogram"], err = reports.HistogramPlot("ioctl AMDGPU_CS latency, global-rwsem", reports.Series{Name: "global-rwsem", H: slow})
	require.NoError(t, err)
	out["histogram-linear"], err = reports.HistogramPlot("fault latency", reports.Series{Name: "per-device-lock", H: fast})
	require.NoError(t, err)
	out["comparison"], err = reports.ComparisonPlot(comparisonFixture())
	require.NoError(t, err)
	out["swimlane"], err = reports.SwimlanePlot(r, reports.SwimlaneOptions{})
	require.NoError(t, err)
	return out
}

func render(t *testing.T, f *reports.Figure, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, f.Write(&b, format))
	return b.Bytes()
}

func px(l vg.Length) int { return int(l.Dots(96) + 0.5) }

func TestPlotsArePNGsOfTheRightSizeWithContent(t *testing.T) {
	for name, f := range figures(t) {
		t.Run(name, func(t *testing.T) {
			data := render(t, f, "png")
			if dir := os.Getenv("REPORTS_PNG_DIR"); dir != "" { // to look at them: REPORTS_PNG_DIR=/tmp/png
				require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), data, 0o644))
			}
			bounds, drawn := reportstest.DrawnPixels(t, data)
			assert.Equal(t, px(f.W), bounds.Dx())
			assert.Equal(t, px(f.H), bounds.Dy())
			total := bounds.Dx() * bounds.Dy()
			assert.Greater(t, drawn, total/20, "too few drawn pixels: %d of %d", drawn, total)
		})
	}
}

func TestPlotSizes(t *testing.T) {
	figs := figures(t)
	assert.Equal(t, vg.Length(8*vg.Inch), figs["cdf"].W) // 768 × 480 px
	assert.Equal(t, vg.Length(5*vg.Inch), figs["cdf"].H)
	assert.Equal(t, 960, px(figs["swimlane"].W))
	assert.Equal(t, reports.SwimlaneHeight(5), figs["swimlane"].H)
}

// svgDoc is the part of an SVG file the tests read.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Width   string   `xml:"width,attr"`
	Height  string   `xml:"height,attr"`
}

func TestPlotsAreValidSVGGoldens(t *testing.T) {
	for name, f := range figures(t) {
		t.Run(name, func(t *testing.T) {
			data := render(t, f, "svg")
			var doc svgDoc
			require.NoError(t, xml.Unmarshal(data, &doc))
			assert.Equal(t, trimPt(f.W), trimPt(parsePt(t, doc.Width)))
			assert.Equal(t, trimPt(f.H), trimPt(parsePt(t, doc.Height)))
			// Every element parses; there is drawn content (paths) and text.
			dec := xml.NewDecoder(bytes.NewReader(data))
			paths, texts := 0, 0
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				if se, ok := tok.(xml.StartElement); ok {
					switch se.Name.Local {
					case "path":
						paths++
					case "text":
						texts++
					}
				}
			}
			assert.Greater(t, paths, 20)
			assert.Greater(t, texts, 5)
			golden(t, name+".svg", data)
		})
	}
}

func parsePt(t *testing.T, s string) vg.Length {
	t.Helper()
	var v float64
	_, err := fmtSscan(strings.TrimSuffix(s, "pt"), &v)
	require.NoError(t, err, s)
	return vg.Length(v)
}

func trimPt(l vg.Length) int { return int(float64(l) + 0.5) }

func TestPlotsDeterministic(t *testing.T) {
	a, b := figures(t), figures(t)
	for name := range a {
		for _, format := range []string{"svg", "png"} {
			assert.Equal(t, render(t, a[name], format), render(t, b[name], format), "%s.%s", name, format)
		}
	}
}

func TestFigureSave(t *testing.T) {
	dir := t.TempDir()
	f := figures(t)["cdf"]
	for _, ext := range []string{".png", ".svg"} {
		path := filepath.Join(dir, "cdf"+ext)
		require.NoError(t, f.Save(path))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, render(t, f, ext[1:]), data)
	}
	assert.Error(t, f.Save(filepath.Join(dir, "cdf.gif")))
	_, err := os.Stat(filepath.Join(dir, "cdf.gif"))
	assert.True(t, os.IsNotExist(err))
}

func TestPlotInputErrors(t *testing.T) {
	_, err := reports.CDFPlot("empty", nil)
	assert.Error(t, err)
	zeros := &metrics.Histogram{}
	zeros.Observe(0)
	_, err = reports.CDFPlot("zeros", []reports.Series{{Name: "z", H: zeros}})
	assert.ErrorContains(t, err, "log axis")
	_, err = reports.HistogramPlot("empty", reports.Series{Name: "e", H: &metrics.Histogram{}})
	assert.Error(t, err)
	_, err = reports.ComparisonPlot(reports.Comparison{})
	assert.Error(t, err)
	_, err = reports.ComparisonPlot(reports.Comparison{Rows: []reports.ComparisonRow{{Policy: "p", Param: 1, P50: 5, P99: 4}}})
	assert.Error(t, err)
	_, err = reports.ComparisonPlot(reports.Comparison{Rows: []reports.ComparisonRow{{Policy: "p", Param: 1, P50: 4, P99: 5, Runs: 2, Violations: 3}}})
	assert.ErrorContains(t, err, "3 violations in 2 runs")
	_, err = reports.SwimlanePlot(reports.Run{}, reports.SwimlaneOptions{})
	assert.Error(t, err)
}

// A policy that violated is marked: a legend entry with its count and a red cross on each
// point whose runs violated; a policy that did not is not.
func TestComparisonMarksViolatedPolicies(t *testing.T) {
	c := comparisonFixture()
	c.Rows[1].Violations = 150 // per-device-lock at 1 device: 150 of 200
	svg := string(render(t, must(reports.ComparisonPlot(c)), "svg"))
	assert.Contains(t, svg, "per-device-lock: violated in 750/800 runs")
	assert.NotContains(t, svg, "global-rwsem: violated")
	assert.Contains(t, svg, "per-device-lock p50")

	for i := range c.Rows {
		c.Rows[i].Violations = 0
	}
	clean := string(render(t, must(reports.ComparisonPlot(c)), "svg"))
	assert.NotContains(t, clean, "violated")
	// The crosses are bold strokes in the violation red, one per p50 and p99 point of each
	// device count where the policy violated (4) and one in the legend; none in the clean plot.
	cross := "stroke:#DC0000;stroke-width:2"
	assert.Equal(t, 2*4+1, strings.Count(svg, cross))
	assert.NotContains(t, clean, cross)
}

func must(f *reports.Figure, err error) *reports.Figure {
	if err != nil {
		panic(err)
	}
	return f
}

// Degenerate but valid inputs still draw: one value, a zero among positives, one row, one event.
func TestPlotEdgeCases(t *testing.T) {
	one := &metrics.Histogram{}
	one.Observe(5 * des.Microsecond)
	mixed := one.Clone()
	mixed.Observe(0)
	mixed.Observe(-3)
	var figs []*reports.Figure
	for _, mk := range []func() (*reports.Figure, error){
		func() (*reports.Figure, error) { return reports.CDFPlot("one", []reports.Series{{Name: "a", H: one}}) },
		func() (*reports.Figure, error) {
			return reports.CDFPlot("mixed", []reports.Series{{Name: "a", H: mixed}})
		},
		func() (*reports.Figure, error) {
			return reports.HistogramPlot("one", reports.Series{Name: "a", H: one})
		},
		func() (*reports.Figure, error) {
			return reports.HistogramPlot("mixed", reports.Series{Name: "a", H: mixed})
		},
		func() (*reports.Figure, error) {
			return reports.ComparisonPlot(reports.Comparison{Metric: metrics.Fault, Param: "devices",
				Rows: []reports.ComparisonRow{reports.RowOf("p", 1, one)}})
		},
		func() (*reports.Figure, error) {
			return reports.SwimlanePlot(reports.Run{Events: []des.Event{ev(0, 1, 0, "spawn", "a", 0)}}, reports.SwimlaneOptions{})
		},
	} {
		f, err := mk()
		require.NoError(t, err)
		figs = append(figs, f)
	}
	for _, f := range figs {
		_, drawn := reportstest.DrawnPixels(t, render(t, f, "png"))
		assert.Positive(t, drawn)
	}
}

func TestSwimlaneWindow(t *testing.T) {
	r, _ := fixtureRun()
	f, err := reports.SwimlanePlot(r, reports.SwimlaneOptions{From: 15 * des.Time(des.Microsecond), To: 25 * des.Time(des.Microsecond), Title: "window"})
	require.NoError(t, err)
	_, drawn := reportstest.DrawnPixels(t, render(t, f, "png"))
	assert.Positive(t, drawn)
	assert.Equal(t, "window", f.Plot.Title.Text)
}
