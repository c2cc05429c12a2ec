package cli

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/reports/reportstest"
	"hotplugsim/workloads"
)

// zz-one-device is a scenario whose model takes one device only: compare must say so.
func init() {
	workloads.Register(&workloads.Scenario{
		Name: "zz-one-device",
		Doc:  "test only: a model that cannot take a second device",
		Spec: workloads.Spec{Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "one"}}},
			Apps: []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 1, Ops: 1}}},
		Policies:      []workloads.Policy{{Name: "only", Doc: "the one policy"}},
		DefaultPolicy: "only",
		Oracles:       []des.ViolationKind{"deadlock"},
		Build: func(sim *des.Sim, spec workloads.Spec, _ string) error {
			if len(spec.Topology.Devices) > 1 {
				return errors.New("driver one: only one device per host")
			}
			sim.Spawn("app", des.Task, func(p *des.Proc) { p.Sleep(des.Microsecond) })
			return nil
		},
	})
}

// metricsFixtures makes a results file with metrics, its shards, a run file and a tape.
type metricsFixtures struct {
	dir                           string
	results, plain, runFile, tape string
}

func newMetricsFixtures(t *testing.T) metricsFixtures {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	fx := metricsFixtures{dir: dir, results: p("m.jsonl"), plain: p("plain.jsonl"), runFile: p("run.json"), tape: p("t.tape")}
	code, _ := sweepFile(t, fx.results, "--policy", "unsync", "--seeds", "1:300", "--metrics")
	require.Equal(t, 1, code)
	code, _ = sweepFile(t, fx.plain, "--policy", "sync", "--seeds", "1:20")
	require.Equal(t, 0, code)
	code, _, errOut := desrun("run", "--policy", "unsync", "--seed", "53", "--metrics", "--out", fx.runFile, "--tape", fx.tape)
	require.Equal(t, 1, code, errOut)
	return fx
}

func TestMetricsGolden(t *testing.T) {
	fx := newMetricsFixtures(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"run-metrics", []string{"run", "--policy", "unsync", "--seed", "53", "--metrics"}, 1},
		{"run-metrics-json", []string{"run", "--seed", "7", "--metrics", "--json"}, 0},
		{"sweep-metrics", []string{"sweep", "--policy", "unsync", "--seeds", "1:300", "--metrics", "-j", "3"}, 1},
		{"sweep-metrics-json", []string{"sweep", "--seeds", "1:50", "--metrics", "--json"}, 0},
		{"plot-results", []string{"plot", fx.results, "-o", filepath.Join(fx.dir, "p1")}, 0},
		{"plot-run", []string{"plot", fx.runFile, "-o", filepath.Join(fx.dir, "p2"), "--format", "png"}, 0},
		{"plot-tape", []string{"plot", fx.tape, "-o", filepath.Join(fx.dir, "p3"), "--format", "svg"}, 0},
		{"report", []string{"report", fx.results, fx.plain, fx.runFile, "-o", filepath.Join(fx.dir, "rep")}, 0},
		{"compare", []string{"compare", "--scenario", "engine-demo", "--policies", "sync,unsync", "--devices", "1,2,4",
			"--seeds", "1:40", "-o", filepath.Join(fx.dir, "cmp")}, 1}, // unsync violates
		{"plot-help", []string{"plot", "-h"}, 0},
		{"report-help", []string{"report", "-h"}, 0},
		{"compare-help", []string{"compare", "-h"}, 0},
	} {
		code, stdout, stderr := desrun(tc.args...)
		assert.Equal(t, tc.code, code, "%s: %s", tc.name, stderr)
		assert.Empty(t, stderr, tc.name)
		golden(t, tc.name, normalise(stdout, fx.dir))
	}
	b, err := os.ReadFile(fx.results)
	require.NoError(t, err)
	golden(t, "sweep-metrics-file", normalise(string(b), fx.dir))
	b, err = os.ReadFile(filepath.Join(fx.dir, "cmp", "compare.json"))
	require.NoError(t, err)
	golden(t, "compare-json", string(b))

	// The plots are images of the expected size with something drawn, the SVGs parse.
	checkPNG(t, filepath.Join(fx.dir, "p1", "ioctl_DEMO_READ.cdf.png"), 768, 480)
	checkPNG(t, filepath.Join(fx.dir, "p1", "unplug-remove.hist.png"), 768, 480)
	checkPNG(t, filepath.Join(fx.dir, "p2", "swimlane.png"), 960, 0)
	checkPNG(t, filepath.Join(fx.dir, "p2", "slice-swimlane.png"), 960, 0)
	checkPNG(t, filepath.Join(fx.dir, "cmp", "compare-ioctl.png"), 768, 480)
	checkSVG(t, filepath.Join(fx.dir, "p1", "ioctl_DEMO_READ.cdf.svg"))
	checkSVG(t, filepath.Join(fx.dir, "p3", "swimlane.svg"))
	checkSVG(t, filepath.Join(fx.dir, "cmp", "compare-fault.svg"), "no fault metric in engine-demo")
	page, err := os.ReadFile(filepath.Join(fx.dir, "rep", "index.html"))
	require.NoError(t, err)
	for _, want := range []string{"<table", "engine-demo", "unsync", "use-after-unmap", "desrun run --scenario engine-demo --policy unsync --seed 53",
		"data:image/png;base64,", "ioctl/DEMO_READ"} {
		assert.Contains(t, string(page), want)
	}
	assert.NotContains(t, string(page), "http://")
	// One signature (engine-demo's unsync read after iounmap): one table row and one reproduce
	// line for the results file, not one per failing seed; the run file adds its own line.
	assert.Contains(t, string(page), `<table id="signatures">`)
	assert.Equal(t, 1, strings.Count(string(page), "<td><code>mmio-read</code></td>"))
	assert.Equal(t, 2, strings.Count(string(page), "<pre>desrun run"))
}

// checkPNG decodes a PNG, checks its size (h 0: any) and that it is not blank.
func checkPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, path)
	b := img.Bounds()
	assert.Equal(t, w, b.Dx(), path)
	if h > 0 {
		assert.Equal(t, h, b.Dy(), path)
	}
	colours := map[uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	assert.Greater(t, len(colours), 4, "%s looks blank", path)
}

// checkSVG checks the file parses as XML; with absent set, that it must not exist.
func checkSVG(t *testing.T, path string, absent ...string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if len(absent) > 0 {
		assert.Error(t, err, absent[0])
		return
	}
	require.NoError(t, err)
	dec := xml.NewDecoder(bytes.NewReader(b))
	n := 0
	for {
		_, err := dec.Token()
		if err != nil {
			assert.Equal(t, "EOF", err.Error(), path)
			break
		}
		n++
	}
	assert.Greater(t, n, 50, path)
}

// The metrics of a sweep do not depend on -j, on sharding or on an interruption.
func TestSweepMetricsDeterministic(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	args := []string{"--policy", "unsync", "--seeds", "1:900", "--metrics"}
	_, one := sweepFile(t, p("j1.jsonl"), append(args, "-j", "1")...)
	_, four := sweepFile(t, p("j4.jsonl"), append(args, "-j", "4")...)
	assert.Equal(t, normalise(one, ""), normalise(four, ""))
	want, err := parseResults([]byte(one))
	require.NoError(t, err)
	enc := func(r *metrics.Recorder) string {
		var b bytes.Buffer
		require.NoError(t, r.Encode(&b))
		return b.String()
	}
	require.NotNil(t, want.summary.Metrics)
	assert.Equal(t, enc(want.summary.Metrics), enc(want.metrics), "the checkpoints add up to the summary")
	// Resumed from cuts, the file is the same.
	for _, cut := range []int{len(one) / 3, len(one) / 2, len(one) - 7} {
		require.NoError(t, os.WriteFile(p("cut.jsonl"), []byte(one[:cut]), 0o644))
		_, got := sweepFile(t, p("cut.jsonl"), args...)
		assert.Equal(t, normalise(one, ""), normalise(got, ""), "cut at %d", cut)
	}
	// Shards merge to the same metrics.
	for _, k := range []string{"1/2", "2/2"} {
		sweepFile(t, p("part"+k[:1]+".jsonl"), append(args, "--shard", k)...)
	}
	code, _, errOut := desrun("merge", "--out", p("merged.jsonl"), p("part2.jsonl"), p("part1.jsonl"))
	require.Equal(t, 1, code, errOut)
	b, err := os.ReadFile(p("merged.jsonl"))
	require.NoError(t, err)
	merged, err := parseResults(b)
	require.NoError(t, err)
	assert.Equal(t, enc(want.summary.Metrics), enc(merged.summary.Metrics))
	// A sweep without --metrics is another sweep: it does not resume a --metrics file.
	code, _, errOut = desrun("sweep", "--policy", "unsync", "--seeds", "1:900", "--out", p("j1.jsonl"))
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "holds another sweep")
	// --stop-after counts only the committed seeds.
	_, s1 := sweepFile(t, p("s1.jsonl"), append(args, "-j", "1", "--stop-after", "3")...)
	_, s3 := sweepFile(t, p("s3.jsonl"), append(args, "-j", "3", "--stop-after", "3")...)
	assert.Equal(t, normalise(s1, ""), normalise(s3, ""))
}

// Bad input to plot, report, compare and --metrics: one line, exit 2, nothing written.
func TestReportsBadInput(t *testing.T) {
	fx := newMetricsFixtures(t)
	dir := fx.dir
	p := func(n string) string { return filepath.Join(dir, n) }
	write := func(name, s string) string {
		require.NoError(t, os.WriteFile(p(name), []byte(s), 0o644))
		return p(name)
	}
	good, err := os.ReadFile(fx.results)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(good), "\n")
	corrupt := write("corrupt.jsonl", lines[0]+"{broken\n"+strings.Join(lines[1:], ""))
	incomplete := write("incomplete.jsonl", strings.Join(lines[:len(lines)-2], ""))
	badHist := write("badhist.jsonl", strings.Replace(string(good), `"count":`, `"count":9`, 1))
	garbage := write("garbage.json", "hello")
	badRun := write("badrun.json", `{"format":"hotplugsim-run","version":1,"scenario":"engine-demo"}`)
	otherRun := write("otherrun.json", `{"format":"hotplugsim-run","version":1,"scenario":"nope","fingerprint":"1"}`)
	runBytes, _ := os.ReadFile(fx.runFile)
	wrongFP := write("wrongfp.json", strings.Replace(string(runBytes), `"fingerprint":"`, `"fingerprint":"ff`, 1))
	aFile := write("afile", "x")
	under := filepath.Join(aFile, "sub") // its parent is a file: cannot be created
	missingParent := p("no/such/dir")
	out := p("out") // must never appear

	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"plot", p("none.jsonl"), "-o", out}, "cannot read " + p("none.jsonl")},
		{[]string{"plot", corrupt, "-o", out}, "corrupt.jsonl: corrupt results file: line 2"},
		{[]string{"plot", incomplete, "-o", out}, "incomplete.jsonl is incomplete (no summary line)"},
		{[]string{"plot", badHist, "-o", out}, "bad histogram"},
		{[]string{"plot", garbage, "-o", out}, "garbage.json: not a desrun results file, run file or tape"},
		{[]string{"plot", badRun, "-o", out}, "badrun.json: corrupt run file: no scenario or fingerprint"},
		{[]string{"plot", otherRun, "-o", out}, `unknown scenario "nope"`},
		{[]string{"plot", wrongFP, "-o", out}, "wrongfp.json did not reproduce"},
		{[]string{"plot", fx.plain, "-o", out}, "plain.jsonl has no metrics: run the sweep with --metrics"},
		{[]string{"plot", fx.results}, "missing -o DIR"},
		{[]string{"plot", fx.results, "-o", out, "--format", "gif"}, `bad -format "gif"`},
		{[]string{"plot", fx.results, "-o", aFile}, "cannot write " + aFile + ": not a directory"},
		{[]string{"plot", fx.results, "-o", under}, "cannot write " + under},
		{[]string{"plot", fx.results, "-o", missingParent}, "cannot write " + missingParent},
		{[]string{"plot"}, "missing argument: FILE"},
		{[]string{"report", "-o", out}, "missing argument: FILE..."},
		{[]string{"report", fx.results, corrupt, "-o", out}, "corrupt results file"},
		{[]string{"report", fx.results, "-o", under}, "cannot write " + under},
		{[]string{"report", fx.results}, "missing -o DIR"},
		{[]string{"compare", "--scenario", "engine-demo", "--seeds", "1:5"}, "missing -o DIR"},
		{[]string{"compare", "--scenario", "nope", "-o", out}, `unknown scenario "nope"`},
		{[]string{"compare", "--scenario", "engine-demo", "--policies", "sync,v7", "-o", out}, `no policy "v7"`},
		{[]string{"compare", "--scenario", "engine-demo", "--devices", "1,17", "-o", out}, `bad --devices "1,17"`},
		{[]string{"compare", "--scenario", "engine-demo", "--devices", "x", "-o", out}, `bad --devices "x"`},
		{[]string{"compare", "--scenario", "engine-demo", "--seeds", "5:1", "-o", out}, `bad seed range "5:1"`},
		{[]string{"compare", "--scenario", "zz-one-device", "--devices", "1,2", "--seeds", "1:3", "-o", out},
			"scenario zz-one-device cannot take 2 devices: scenario zz-one-device: driver one: only one device per host"},
		{[]string{"compare", "--scenario", "zz-one-device", "--devices", "1", "--seeds", "1:3", "-o", out},
			"scenario zz-one-device records no ioctl or fault latency"},
		{[]string{"compare", "--scenario", "engine-demo", "--seeds", "1:3", "-o", under}, "cannot write " + under},
		{[]string{"run", "--metrics", "--out", under}, "cannot write " + under},
		{[]string{"run", "--metrics", "--out", dir}, "is a directory"},
	} {
		name := strings.Join(tc.args, " ")
		code, stdout, stderr := desrun(tc.args...)
		assert.Equal(t, 2, code, name)
		assert.Empty(t, stdout, name)
		assert.Contains(t, stderr, tc.stderr, name)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line for %q: %q", name, stderr)
		assert.NoDirExists(t, out, name)
		assert.NoDirExists(t, missingParent, name)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".desrun"), e.Name())
	}
	// An existing output directory keeps what it had when the command fails.
	require.NoError(t, os.Mkdir(out, 0o755))
	write("out/keep.txt", "keep")
	code, _, _ := desrun("plot", wrongFP, "-o", out)
	assert.Equal(t, 2, code)
	got, _ := os.ReadDir(out)
	assert.Len(t, got, 1)
}

// TestReportPageRendersInChromium: the page 'desrun report' writes (sweep summary, metrics,
// a run's timeline, every plot inline) loads in a headless browser, draws, and shows what it
// was given.
func TestReportPageRendersInChromium(t *testing.T) {
	bin := reportstest.Chromium(t)
	fx := newMetricsFixtures(t)
	out := filepath.Join(fx.dir, "rep")
	code, _, errOut := desrun("report", fx.results, fx.plain, fx.runFile, "-o", out)
	require.Equal(t, 0, code, errOut)
	url := "file://" + filepath.Join(out, "index.html")

	shot := filepath.Join(fx.dir, "shot.png")
	reportstest.RunChromium(t, bin, "--screenshot="+shot, "--window-size=1200,900", url)
	data, err := os.ReadFile(shot)
	require.NoError(t, err)
	bounds, drawn := reportstest.DrawnPixels(t, data)
	assert.Greater(t, drawn, bounds.Dx()*bounds.Dy()/50, "screenshot is (nearly) blank")

	dom := string(reportstest.RunChromium(t, bin, "--dump-dom", url))
	assert.Contains(t, dom, `<table id="summary">`)
	assert.Contains(t, dom, "engine-demo")
	assert.Contains(t, dom, "unsync")
	assert.GreaterOrEqual(t, strings.Count(dom, `<img src="data:image/`), 2, "plots are inline")
	assert.NotContains(t, dom, `src="file:`, "the page refers to no local file")
}
