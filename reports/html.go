package reports

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/internal/atomicfile"
)

// SummaryRow is one line of a sweep's summary: a scenario under one policy.
type SummaryRow struct {
	Scenario   string
	Policy     string
	Runs       int
	Violations int
	// BudgetEnded counts runs without a violation that a budget cut short: not passes.
	BudgetEnded int
	// SeedsToFirst is how many seeds ran up to and including the first violating one
	// (0: no violation); FirstSeed is that seed.
	SeedsToFirst int
	FirstSeed    uint64
	Kinds        []string // violation kinds seen, e.g. "use-after-unmap"
	Expected     string   // the kind a buggy policy is expected to show ("" for a fixed policy)
}

// CoverageRow is what one sweep exercised (desrun sweep --coverage): conflicting operation
// pairs seen (and how many in both orders), protocol steps reached, fault sites fired, and the
// last seed that added anything.
type CoverageRow struct {
	Scenario, Policy   string
	Pairs, BothOrders  int
	Steps              int
	Faults             []string
	LastNewSeed, Seeds string
}

// SignatureRow is one signature of a sweep's failing runs (workloads.Signature): its short id,
// kind, title and the model function the violating process was in, how many runs had it and
// the first of them.
type SignatureRow struct {
	Scenario, Policy      string
	ID, Kind, Func, Title string
	Count                 uint64
	FirstSeed             uint64
}

// Repro is the command that reproduces one failure.
type Repro struct {
	Scenario, Policy, Kind string
	Seed                   uint64
	Command                string // e.g. "desrun run --scenario ... --seed 14"
	Message                string // the violation's message
	Signature              string // the id of its signature, when it stands for one
}

// Image is a plot to inline: from Path (read when the page is written) or from Data.
type Image struct {
	Title  string
	Path   string
	Data   []byte
	Format string // "png" or "svg"; default: Path's extension
}

// Report is the content of an HTML sweep report.
type Report struct {
	Title    string
	Notes    []string // lines under the title: the sweep's command, engine version, strategy
	Summary  []SummaryRow
	Coverage []CoverageRow     // sweeps run with --coverage
	Metrics  []metrics.Summary // latency figures (name, count, p50 ... max)
	Images   []Image
	Repros   []Repro
	// Signatures of the sweeps' failing runs, shown near the top.
	Signatures []SignatureRow
}

// WriteHTML writes rep as one self-contained HTML page: inline CSS, images as data: URIs, no
// script and no network access. Summary rows are sorted by scenario and policy, repros by
// scenario, policy and seed, metrics by name; images keep their order. The same report gives
// the same bytes.
func WriteHTML(w io.Writer, rep Report) error {
	page, err := buildPage(rep)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, page); err != nil {
		return fmt.Errorf("reports: html: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// SaveHTML writes the report to path (whole or not at all).
func SaveHTML(path string, rep Report) error {
	var b bytes.Buffer
	if err := WriteHTML(&b, rep); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b.Bytes(), 0o644)
}

type pageImage struct {
	Title string
	Src   template.HTMLAttr // src="data:...": base64 needs no escaping, and escaping '+' would bloat it
}

type pageRow struct {
	SummaryRow
	Rate string
	Bad  bool
	Miss bool // a buggy policy whose expected violation was not found
}

type pageMetric struct {
	metrics.Summary
	Desc                                string
	Min, Mean, P50, P90, P99, P999, Max string
}

type page struct {
	Title    string
	Notes    []string
	Rows     []pageRow
	Coverage []CoverageRow
	Metrics  []pageMetric
	Unit     string // the latency table's one time unit
	Images   []pageImage
	Repros   []Repro
	Sigs     []SignatureRow
}

func buildPage(rep Report) (*page, error) {
	p := &page{Title: rep.Title, Notes: rep.Notes, Coverage: rep.Coverage}
	p.Sigs = slices.Clone(rep.Signatures)
	slices.SortStableFunc(p.Sigs, func(a, b SignatureRow) int {
		if c := strings.Compare(a.Scenario, b.Scenario); c != 0 {
			return c
		}
		if c := strings.Compare(a.Policy, b.Policy); c != 0 {
			return c
		}
		return cmpInt(a.FirstSeed, b.FirstSeed)
	})
	if p.Title == "" {
		p.Title = "hotplugsim sweep report"
	}
	rows := slices.Clone(rep.Summary)
	slices.SortStableFunc(rows, func(a, b SummaryRow) int {
		if c := strings.Compare(a.Scenario, b.Scenario); c != 0 {
			return c
		}
		return strings.Compare(a.Policy, b.Policy)
	})
	for _, r := range rows {
		rate := "–"
		if r.Runs > 0 {
			rate = fmt.Sprintf("%.2f%%", 100*float64(r.Violations)/float64(r.Runs))
		}
		p.Rows = append(p.Rows, pageRow{SummaryRow: r, Rate: rate, Bad: r.Violations > 0,
			Miss: r.Expected != "" && r.Violations == 0})
	}
	ms := slices.Clone(rep.Metrics)
	slices.SortStableFunc(ms, func(a, b metrics.Summary) int { return strings.Compare(a.Name, b.Name) })
	// One unit for the whole table, picked from its largest value, so columns compare.
	var largest des.Duration
	for _, m := range ms {
		largest = max(largest, m.Max, m.Min, m.Mean, m.P50, m.P90, m.P99, m.P999)
	}
	u := UnitFor(largest)
	p.Unit = u.Name
	in := func(d des.Duration) string { return trimNum(u.In(d)) }
	for _, m := range ms {
		p.Metrics = append(p.Metrics, pageMetric{Summary: m, Desc: describe(m.Name),
			Min: in(m.Min), Mean: in(m.Mean), P50: in(m.P50), P90: in(m.P90), P99: in(m.P99),
			P999: in(m.P999), Max: in(m.Max)})
	}
	for _, im := range rep.Images {
		src, err := dataURI(im)
		if err != nil {
			return nil, err
		}
		p.Images = append(p.Images, pageImage{Title: im.Title, Src: src})
	}
	p.Repros = slices.Clone(rep.Repros)
	slices.SortStableFunc(p.Repros, func(a, b Repro) int {
		if c := strings.Compare(a.Scenario, b.Scenario); c != 0 {
			return c
		}
		if c := strings.Compare(a.Policy, b.Policy); c != 0 {
			return c
		}
		return cmpInt(a.Seed, b.Seed)
	})
	return p, nil
}

func dataURI(im Image) (template.HTMLAttr, error) {
	data, format := im.Data, strings.ToLower(im.Format)
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(im.Path)), ".")
	}
	if data == nil {
		var err error
		if data, err = os.ReadFile(im.Path); err != nil {
			return "", fmt.Errorf("reports: html: image %q: %w", im.Title, err)
		}
	}
	var mime string
	switch format {
	case "png":
		mime = "image/png"
	case "svg":
		mime = "image/svg+xml"
	default:
		return "", fmt.Errorf("reports: html: image %q: format %q, want png or svg", im.Title, format)
	}
	// The attribute is built from a fixed mime type and base64 text, so it is safe as it is.
	return template.HTMLAttr(`src="data:` + mime + ";base64," + base64.StdEncoding.EncodeToString(data) + `"`), nil
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; margin: 24px 32px; color: #1a1a1a; background: #fff; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.note { margin: 2px 0; color: #555; font-family: "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 13px; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 10px; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td.viol { background: #fde0e0; color: #a00000; font-weight: bold; }
tr.miss td.viol { background: #fff4c2; }
code, pre { font-family: "Liberation Mono", "DejaVu Sans Mono", monospace; font-size: 13px; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 6px 10px; margin: 4px 0 12px; white-space: pre-wrap; }
figure { margin: 12px 0 24px; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #555; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}
<nav id="toc"><ul>
<li><a href="#sec-summary">Summary</a></li>
{{if .Sigs}}<li><a href="#sec-signatures">Signatures</a></li>
{{end}}{{if .Coverage}}<li><a href="#sec-coverage">Coverage</a></li>
{{end}}{{if .Metrics}}<li><a href="#sec-latency">Latency</a></li>
{{end}}{{if .Images}}<li><a href="#sec-plots">Plots</a></li>
{{end}}{{if .Repros}}<li><a href="#sec-reproduce">Reproduce</a></li>
{{end}}</ul></nav>
<h2 id="sec-summary">Summary</h2>
<table id="summary">
<thead><tr><th>scenario</th><th>policy</th><th>runs</th><th>violations</th><th>cut short by a budget</th><th>rate</th><th>seeds to first violation</th><th>first seed</th><th>kinds</th><th>expected</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="{{if .Bad}}bad{{else if .Miss}}miss{{else}}ok{{end}}"><td>{{.Scenario}}</td><td>{{.Policy}}</td><td class="num">{{.Runs}}</td><td class="num viol">{{.Violations}}</td><td class="num">{{.BudgetEnded}}</td><td class="num">{{.Rate}}</td><td class="num">{{if .SeedsToFirst}}{{.SeedsToFirst}}{{else}}–{{end}}</td><td class="num">{{if .SeedsToFirst}}{{.FirstSeed}}{{else}}–{{end}}</td><td>{{range $i, $k := .Kinds}}{{if $i}}, {{end}}{{$k}}{{end}}</td><td>{{.Expected}}</td></tr>
{{end}}</tbody>
</table>
{{if .Sigs}}
<h2 id="sec-signatures">Signatures</h2>
<table id="signatures">
<thead><tr><th>scenario</th><th>policy</th><th>signature</th><th>kind</th><th>in</th><th>title</th><th>runs</th><th>first seed</th></tr></thead>
<tbody>
{{range .Sigs}}<tr><td>{{.Scenario}}</td><td>{{.Policy}}</td><td><code>{{.ID}}</code></td><td>{{.Kind}}</td><td>{{if .Func}}<code>{{.Func}}</code>{{else}}–{{end}}</td><td>{{.Title}}</td><td class="num">{{.Count}}</td><td class="num">{{.FirstSeed}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Coverage}}
<h2 id="sec-coverage">Coverage</h2>
<table id="coverage">
<thead><tr><th>scenario</th><th>policy</th><th>seeds</th><th>conflicting pairs</th><th>in both orders</th><th>protocol steps</th><th>fault sites fired</th><th>last seed that added anything</th></tr></thead>
<tbody>
{{range .Coverage}}<tr><td>{{.Scenario}}</td><td>{{.Policy}}</td><td>{{.Seeds}}</td><td class="num">{{.Pairs}}</td><td class="num">{{.BothOrders}}</td><td class="num">{{.Steps}}</td><td>{{range $i, $f := .Faults}}{{if $i}}, {{end}}{{$f}}{{end}}</td><td class="num">{{.LastNewSeed}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Metrics}}
<h2 id="sec-latency">Latency (virtual time, {{.Unit}})</h2>
<table id="latency">
<thead><tr><th>metric</th><th>what</th><th>n</th><th>min ({{$.Unit}})</th><th>mean ({{$.Unit}})</th><th>p50 ({{$.Unit}})</th><th>p90 ({{$.Unit}})</th><th>p99 ({{$.Unit}})</th><th>p999 ({{$.Unit}})</th><th>max ({{$.Unit}})</th></tr></thead>
<tbody>
{{range .Metrics}}<tr><td><code>{{.Name}}</code></td><td>{{.Desc}}</td><td class="num">{{.Count}}</td><td class="num">{{.Min}}</td><td class="num">{{.Mean}}</td><td class="num">{{.P50}}</td><td class="num">{{.P90}}</td><td class="num">{{.P99}}</td><td class="num">{{.P999}}</td><td class="num">{{.Max}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Images}}
<h2 id="sec-plots">Plots</h2>
{{range .Images}}<figure><img {{.Src}} alt="{{.Title}}"><figcaption>{{.Title}}</figcaption></figure>
{{end}}{{end}}
{{if .Repros}}
<h2 id="sec-reproduce">Reproduce</h2>
<div id="repros">
{{range .Repros}}<p><b>{{.Scenario}}</b> / {{.Policy}}: {{if .Signature}}<code>{{.Signature}}</code> {{end}}<b>{{.Kind}}</b> at seed {{.Seed}}{{if .Message}} — {{.Message}}{{end}}</p>
<pre>{{.Command}}</pre>
{{end}}</div>
{{end}}
</body>
</html>
`))

// describe is a metric's one-line description. A report of several files names its metrics
// "<file>: <metric>" (metric names never contain ": "), so the description is the metric's.
func describe(name string) string {
	if i := strings.LastIndex(name, ": "); i >= 0 {
		return metrics.Describe(name[i+2:])
	}
	return metrics.Describe(name)
}
