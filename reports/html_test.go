package reports_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	html2 "html"
	"image"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des/metrics"
	"hotplugsim/reports"
	"hotplugsim/reports/reportstest"
)

// reportFixture writes two plots into dir and returns a report that uses them.
func reportFixture(t *testing.T, dir string) reports.Report {
	t.Helper()
	figs := figures(t)
	cdf := filepath.Join(dir, "cdf.png")
	require.NoError(t, figs["cdf"].Save(cdf))
	swim := filepath.Join(dir, "swimlane.svg")
	require.NoError(t, figs["swimlane"].Save(swim))
	fast, slow := latencyFixture()
	rec := metrics.NewRecorder()
	for _, b := range fast.Buckets() {
		for range b.Count {
			rec.Observe(metrics.Ioctl("AMDGPU_CS"), b.Value)
		}
	}
	for _, b := range slow.Buckets() {
		for range b.Count {
			rec.Observe(metrics.Fault, b.Value)
		}
	}
	return reports.Report{
		Title: "hotplugsim sweep: unplug & BAR move",
		Notes: []string{"desrun sweep --seeds 1:1000 --strategy pct:3 --metrics", "engine v1"},
		Summary: []reports.SummaryRow{
			{Scenario: "pcibars-move", Policy: "per-device-lock", Runs: 1000},
			{Scenario: "amdgpu-unplug", Policy: "sigbus", Runs: 1000, Violations: 37, SeedsToFirst: 14, FirstSeed: 14,
				Kinds: []string{"use-after-free"}, Expected: "use-after-free"},
			{Scenario: "amdgpu-unplug", Policy: "dummy-page", Runs: 1000},
			{Scenario: "pcibars-move", Policy: "global-rwsem-buggy", Runs: 1000, Expected: "lock-order"},
		},
		Metrics: rec.Summaries(),
		Signatures: []reports.SignatureRow{{Scenario: "amdgpu-unplug", Policy: "sigbus", ID: "0000beef", Kind: "use-after-free",
			Func: "amdgpu_bo_fault", Title: "BUG: KASAN: slab-use-after-free in amdgpu_bo_fault", Count: 37, FirstSeed: 14}},
		Images: []reports.Image{{Title: "ioctl latency CDF", Path: cdf}, {Title: "failing run <timeline>", Path: swim}},
		Repros: []reports.Repro{{Scenario: "amdgpu-unplug", Policy: "sigbus", Kind: "use-after-free", Seed: 14,
			Command: "desrun run --scenario amdgpu-unplug --policy sigbus --seed 14 --strategy pct:3",
			Message: "BUG: KASAN: use-after-free in amdgpu_bo_fault"}},
	}
}

func TestHTMLReportSelfContained(t *testing.T) {
	dir := t.TempDir()
	rep := reportFixture(t, dir)
	var b bytes.Buffer
	require.NoError(t, reports.WriteHTML(&b, rep))
	page := b.String()

	contains := func(s string) { t.Helper(); assert.True(t, strings.Contains(page, s), "page lacks %q", s) }
	contains(`<table id="summary">`)
	contains(`<table id="latency">`)
	contains(`src="data:image/png;base64,`)
	contains(`src="data:image/svg+xml;base64,`)
	contains("desrun run --scenario amdgpu-unplug --policy sigbus --seed 14 --strategy pct:3")
	assert.Contains(t, page, "failing run &lt;timeline&gt;") // escaped
	// No network: nothing is fetched from outside the page.
	for _, bad := range []string{"<script", "<link", `src="http`, `href="http`, "url(", "@import"} {
		assert.False(t, strings.Contains(page, bad), "page has %q", bad)
	}
	// Rows sorted by scenario, then policy.
	order := regexp.MustCompile(`<tr class="\w+"><td>([^<]+)</td><td>([^<]+)</td>`).FindAllStringSubmatch(page, -1)
	var got []string
	for _, m := range order {
		got = append(got, m[1]+"/"+m[2])
	}
	assert.Equal(t, []string{"amdgpu-unplug/dummy-page", "amdgpu-unplug/sigbus", "pcibars-move/global-rwsem-buggy",
		"pcibars-move/per-device-lock"}, got)
	contains(`<tr class="bad"><td>amdgpu-unplug</td><td>sigbus</td>`)
	contains(`<tr class="miss"><td>pcibars-move</td><td>global-rwsem-buggy</td>`)
	contains(`<td class="num">3.70%</td><td class="num">14</td>`)

	// Same input, same bytes; SaveHTML writes the same page.
	var again bytes.Buffer
	require.NoError(t, reports.WriteHTML(&again, reportFixture(t, t.TempDir())))
	assert.True(t, page == again.String(), "same report, different bytes")
	out := filepath.Join(dir, "index.html")
	require.NoError(t, reports.SaveHTML(out, rep))
	saved, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.True(t, page == string(saved), "SaveHTML wrote different bytes")
}

func TestHTMLReportErrors(t *testing.T) {
	var b bytes.Buffer
	err := reports.WriteHTML(&b, reports.Report{Images: []reports.Image{{Title: "x", Path: "/nonexistent/x.png"}}})
	assert.ErrorContains(t, err, "image \"x\"")
	err = reports.WriteHTML(&b, reports.Report{Images: []reports.Image{{Title: "x", Data: []byte("GIF89a"), Format: "gif"}}})
	assert.ErrorContains(t, err, "want png or svg")
	require.NoError(t, reports.WriteHTML(&b, reports.Report{}))
	assert.Contains(t, b.String(), "hotplugsim sweep report")
}

// rectsProbe is a script that, once the page has loaded, writes the layout boxes of the
// elements the screenshot test checks into a <pre id="rects"> as JSON.
const rectsProbe = `<script>
window.addEventListener("load", () => {
  const box = sel => { const r = document.querySelector(sel).getBoundingClientRect();
    return {x: Math.round(r.left), y: Math.round(r.top), w: Math.round(r.width), h: Math.round(r.height)}; };
  const pre = document.createElement("pre");
  pre.id = "rects";
  pre.textContent = JSON.stringify({toc: box("#toc"), signatures: box("#signatures"), plot: box("figure img")});
  document.body.appendChild(pre);
});
</script>`

type box struct{ X, Y, W, H int }

func (b box) rect() image.Rectangle { return image.Rect(b.X, b.Y, b.X+b.W, b.Y+b.H) }

// layout loads page (with rectsProbe added) in Chromium at the screenshot's window size and
// returns the boxes of the TOC, the signatures table and the first plot.
func layout(t *testing.T, bin, page, size string) map[string]box {
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	probe := strings.TrimSuffix(page, ".html") + "-probe.html"
	withProbe := strings.Replace(string(html), "</body>", rectsProbe+"</body>", 1)
	require.NoError(t, os.WriteFile(probe, []byte(withProbe), 0o644))
	dom := string(reportstest.RunChromium(t, bin, "--window-size="+size, "--virtual-time-budget=5000", "--dump-dom", "file://"+probe))
	_, after, ok := strings.Cut(dom, `<pre id="rects">`)
	require.True(t, ok, "the probe wrote no layout")
	js, _, _ := strings.Cut(after, "</pre>")
	var boxes map[string]box
	require.NoError(t, json.Unmarshal([]byte(html2.UnescapeString(js)), &boxes))
	return boxes
}

// The page renders in headless Chromium: a screenshot tall enough for the first plot has the
// TOC, the signatures table and the plot drawn where the layout puts them, each a region
// with ink, not blank.
func TestHTMLReportRendersInChromium(t *testing.T) {
	bin := reportstest.Chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "index.html")
	require.NoError(t, reports.SaveHTML(page, reportFixture(t, dir)))
	const w, h = 1200, 2400
	size := fmt.Sprintf("%d,%d", w, h)
	boxes := layout(t, bin, page, size)

	shot := filepath.Join(dir, "shot.png")
	reportstest.RunChromium(t, bin, "--screenshot="+shot, "--window-size="+size, "--virtual-time-budget=5000", "file://"+page)
	data, err := os.ReadFile(shot)
	require.NoError(t, err)
	bounds, drawn := reportstest.DrawnPixels(t, data)
	assert.Equal(t, image.Rect(0, 0, w, h), bounds)
	assert.Greater(t, drawn, w*h/100, "screenshot is (nearly) blank")
	for _, name := range []string{"toc", "signatures", "plot"} {
		b, ok := boxes[name]
		require.True(t, ok, name)
		r := b.rect()
		require.True(t, r.In(bounds) && !r.Empty(), "%s at %v is not inside the %v screenshot", name, r, bounds)
		ink := reportstest.DrawnPixelsIn(t, data, r)
		t.Logf("%s at %v: %d of %d pixels drawn", name, r, ink, r.Dx()*r.Dy())
		assert.Greater(t, ink, r.Dx()*r.Dy()/100, "%s at %v is (nearly) blank: %d pixels drawn", name, r, ink)
	}
	assert.Less(t, boxes["toc"].Y, boxes["signatures"].Y, "the TOC comes before the signatures")
	assert.Less(t, boxes["signatures"].Y, boxes["plot"].Y, "and they before the plots")
	assert.Greater(t, boxes["plot"].H, 100, "the plot image loaded")

	dom := string(reportstest.RunChromium(t, bin, "--dump-dom", "file://"+page))
	assert.Contains(t, dom, `<table id="summary">`)
	assert.Contains(t, dom, "amdgpu-unplug")
	assert.True(t, strings.Count(dom, "<img") >= 2)
}

// The coverage table appears for sweeps run with --coverage, and only then.
func TestHTMLReportCoverage(t *testing.T) {
	var with, without strings.Builder
	rep := reports.Report{Summary: []reports.SummaryRow{{Scenario: "s", Policy: "p", Runs: 10}}}
	require.NoError(t, reports.WriteHTML(&without, rep))
	assert.NotContains(t, without.String(), `id="coverage"`)
	rep.Coverage = []reports.CoverageRow{{Scenario: "s", Policy: "p", Seeds: "1:10", Pairs: 7, BothOrders: 2,
		Steps: 5, Faults: []string{"drm_ioctl:kmalloc"}, LastNewSeed: "4"}}
	require.NoError(t, reports.WriteHTML(&with, rep))
	page := with.String()
	assert.Contains(t, page, `id="coverage"`)
	assert.Contains(t, page, `<td class="num">7</td><td class="num">2</td>`)
	assert.Contains(t, page, "drm_ioctl:kmalloc")
}

func TestHTMLReportTOCAndOneLatencyUnit(t *testing.T) {
	rep := reports.Report{Summary: []reports.SummaryRow{{Scenario: "s", Policy: "p", Runs: 10}},
		Metrics: []metrics.Summary{
			{Name: "a", Count: 1, Min: 800, Mean: 900, P50: 900, P90: 900, P99: 900, P999: 900, Max: 950},
			{Name: "b", Count: 1, Min: 1500, Mean: 2500, P50: 2000, P90: 3000, P99: 4000, P999: 4000, Max: 12_500_000},
		}}
	var b bytes.Buffer
	require.NoError(t, reports.WriteHTML(&b, rep))
	html := b.String()
	assert.Contains(t, html, `<a href="#sec-summary">Summary</a>`)
	assert.Contains(t, html, `<a href="#sec-latency">Latency</a>`)
	assert.Contains(t, html, `<h2 id="sec-latency">`)
	assert.NotContains(t, html, `#sec-coverage`, "no coverage section, no link")
	assert.NotContains(t, html, `#sec-plots`)
	// The largest value (12.5ms) picks ms for every cell.
	assert.Contains(t, html, "max (ms)")
	assert.Contains(t, html, `<td class="num">12.5</td>`)
	assert.Contains(t, html, `<td class="num">0.001</td>`) // 800ns
	assert.NotContains(t, html, "µs</td>")
}

// The signatures table comes right after the summary, sorted by scenario, policy and first
// seed, and a repro standing for a signature names it.
func TestHTMLReportSignatures(t *testing.T) {
	var without strings.Builder
	rep := reports.Report{Summary: []reports.SummaryRow{{Scenario: "s", Policy: "p", Runs: 10, Violations: 4}}}
	require.NoError(t, reports.WriteHTML(&without, rep))
	assert.NotContains(t, without.String(), `id="signatures"`)
	assert.NotContains(t, without.String(), `#sec-signatures`)
	rep.Signatures = []reports.SignatureRow{
		{Scenario: "s", Policy: "p", ID: "0000beef", Kind: "use-after-free", Title: "BUG: KASAN: use-after-free in x", Count: 1, FirstSeed: 9},
		{Scenario: "s", Policy: "p", ID: "1234abcd", Kind: "use-after-unmap", Func: "writel", Title: "BUG: unable to handle page fault", Count: 3, FirstSeed: 2},
	}
	rep.Repros = []reports.Repro{{Scenario: "s", Policy: "p", Kind: "use-after-unmap", Seed: 2, Command: "desrun run --seed 2", Signature: "1234abcd"}}
	var with strings.Builder
	require.NoError(t, reports.WriteHTML(&with, rep))
	page := with.String()
	assert.Contains(t, page, `<a href="#sec-signatures">Signatures</a>`)
	sigs := strings.Index(page, `<table id="signatures">`)
	require.Positive(t, sigs)
	assert.Less(t, strings.Index(page, `<table id="summary">`), sigs)
	assert.Less(t, strings.Index(page, "1234abcd"), strings.Index(page, "0000beef"), "first seed 2 before 9")
	assert.Contains(t, page, `<td><code>writel</code></td><td>BUG: unable to handle page fault</td><td class="num">3</td><td class="num">2</td>`)
	assert.Contains(t, page, `<td>–</td><td>BUG: KASAN: use-after-free in x</td>`)
	assert.Contains(t, page, `/ p: <code>1234abcd</code> <b>use-after-unmap</b> at seed 2`)
}
