package reports_test

import (
	"bytes"
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
		Images:  []reports.Image{{Title: "ioctl latency CDF", Path: cdf}, {Title: "failing run <timeline>", Path: swim}},
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

func TestHTMLReportRendersInChromium(t *testing.T) {
	bin := reportstest.Chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "index.html")
	require.NoError(t, reports.SaveHTML(page, reportFixture(t, dir)))
	url := "file://" + page

	shot := filepath.Join(dir, "shot.png")
	reportstest.RunChromium(t, bin, "--screenshot="+shot, "--window-size=1200,900", url)
	data, err := os.ReadFile(shot)
	require.NoError(t, err)
	bounds, drawn := reportstest.DrawnPixels(t, data)
	assert.Equal(t, 1200, bounds.Dx())
	assert.Equal(t, 900, bounds.Dy())
	assert.Greater(t, drawn, bounds.Dx()*bounds.Dy()/50, "screenshot is (nearly) blank")

	dom := string(reportstest.RunChromium(t, bin, "--dump-dom", url))
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
