package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"hotplugsim/reports"
	"hotplugsim/workloads"
)

const reportSynopsis = `Write one self-contained HTML page (DIR/index.html: inline images, no script, no network)
about results files of sweeps and run files of single runs, e.g. one sweep per policy:

  desrun sweep --policy global-rwsem --seeds 1:1000 --metrics --out a.jsonl
  desrun sweep --policy no-lock --seeds 1:1000 --metrics --out b.jsonl
  desrun report a.jsonl b.jsonl -o report/

The page has the summary table (scenario x policy x runs x violations x seeds to the first
violation), the failure signatures of each file (count and first seed), the latency plots of
every metric (CDFs compare the files, histograms are per file), the metrics table, the
swimlane of each run file, and the command that reproduces each signature's first seed. The
plot files are kept next to the page. DIR is created if missing; on an error it is left as it
was.`

// defaultMaxRepros bounds the reproduce commands (one per signature) listed per results file.
const defaultMaxRepros = 50

func runReport(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("report", " FILE...", reportSynopsis)
	dir := f.String("o", "", "write index.html and the plots into this directory (required)")
	title := f.String("title", "hotplugsim report", "the page's title")
	maxRepros := f.Int("max-repros", defaultMaxRepros, "list the first seed of at most this many signatures per results file")
	paths, err := f.parse(args, stdout, 1, 1<<16)
	if err != nil {
		return ExitUsage, err
	}
	if *maxRepros < 0 {
		return ExitUsage, fmt.Errorf("bad --max-repros %d: want >= 0", *maxRepros)
	}
	if *dir == "" {
		return ExitUsage, fmt.Errorf("missing -o DIR: the directory to write the report into")
	}
	var ins []*input
	for _, p := range paths {
		in, err := loadInput(p)
		if err != nil {
			return ExitUsage, err
		}
		ins = append(ins, in)
	}
	written, err := writeDir(*dir, paths, func(stage string) error {
		rep, err := buildReport(stage, *title, ins, *maxRepros)
		if err != nil {
			return err
		}
		return reports.SaveHTML(filepath.Join(stage, "index.html"), rep)
	})
	if err != nil {
		return ExitUsage, err
	}
	fmt.Fprintln(stdout, filepath.Join(*dir, "index.html"))
	fmt.Fprintf(stdout, "(%d files)\n", len(written))
	return ExitPass, nil
}

// buildReport assembles the page and writes its plots into dir.
func buildReport(dir, title string, ins []*input, maxRepros int) (reports.Report, error) {
	rep := reports.Report{Title: title, Notes: []string{"written by desrun " + toolVersion()}}
	legends := uniqueLegends(ins)
	var recs []reports.NamedRecorder
	for i, in := range ins {
		switch {
		case in.results != nil:
			addResults(&rep, in, maxRepros)
		default:
			if err := addRun(&rep, dir, i, in, legends[i]); err != nil {
				return rep, err
			}
		}
		if in.rec != nil && len(in.rec.Names()) > 0 {
			recs = append(recs, reports.NamedRecorder{Name: legends[i], Rec: in.rec})
		}
	}
	for _, r := range recs {
		for _, s := range r.Rec.Summaries() {
			if len(recs) > 1 {
				s.Name = r.Name + ": " + s.Name
			}
			rep.Metrics = append(rep.Metrics, s)
		}
	}
	if len(recs) == 0 {
		return rep, nil
	}
	plots := filepath.Join(dir, "plots")
	if err := os.Mkdir(plots, 0o755); err != nil {
		return rep, err
	}
	paths, err := reports.MetricPlots(plots, recs, "png")
	if err != nil {
		return rep, fmt.Errorf("cannot write the metric plots: %w", err)
	}
	var names []string
	for _, r := range recs {
		names = append(names, r.Rec.Names()...)
	}
	for _, p := range paths {
		title := plotTitle(p, names)
		if len(recs) > 1 {
			for _, r := range recs { // a histogram of one file's runs
				if strings.Contains(filepath.Base(p), ".hist."+reports.FileStem(r.Name)+".") {
					title += " (" + r.Name + ")"
					break
				}
			}
		}
		rep.Images = append(rep.Images, reports.Image{Title: title, Path: p})
	}
	return rep, nil
}

// uniqueLegends names each input in legends: its policy, with the scenario when the inputs
// span scenarios, and a number when two would share a name.
func uniqueLegends(ins []*input) []string {
	scenarios := map[string]bool{}
	for _, in := range ins {
		scenarios[in.scenario()] = true
	}
	out := make([]string, len(ins))
	seen := map[string]int{}
	for i, in := range ins {
		l := in.legend()
		if len(scenarios) > 1 {
			l = in.scenario() + " " + l
		}
		seen[l]++
		if seen[l] > 1 {
			l = fmt.Sprintf("%s (%d)", l, seen[l])
		}
		out[i] = l
	}
	return out
}

func (in *input) scenario() string {
	switch {
	case in.results != nil:
		return in.results.header.Scenario
	case in.run != nil:
		return in.run.Scenario
	}
	return in.src.id.sc.Name
}

// expected is the violation kind a buggy policy is expected to show, if the scenario is known.
func expected(scenario, policy string) string {
	sc, err := workloads.Lookup(scenario)
	if err != nil {
		return ""
	}
	p, err := sc.Policy(policy)
	if err != nil || !p.Buggy {
		return ""
	}
	return string(p.Expect)
}

func addResults(rep *reports.Report, in *input, maxRepros int) {
	rf := in.results
	h, s := rf.header, rf.summary
	row := reports.SummaryRow{Scenario: h.Scenario, Policy: h.Policy, Runs: int(s.Runs), Violations: int(s.Violations),
		BudgetEnded: int(s.BudgetEnded), Expected: expected(h.Scenario, h.Policy)}
	for k := range s.Kinds {
		row.Kinds = append(row.Kinds, k)
	}
	if c := s.Coverage; c != nil {
		last := "–"
		if c.LastNewSeed != nil {
			last = fmt.Sprint(*c.LastNewSeed)
		}
		rep.Coverage = append(rep.Coverage, reports.CoverageRow{Scenario: h.Scenario, Policy: h.Policy,
			Seeds: h.Seeds, Pairs: len(c.Pairs), BothOrders: c.BothOrders, Steps: len(c.Steps), Faults: c.Faults,
			LastNewSeed: last})
	}
	slices.Sort(row.Kinds)
	if s.FirstSeed != nil {
		row.FirstSeed = *s.FirstSeed
		row.SeedsToFirst = seedsToFirst(h, *s.FirstSeed)
	}
	rep.Summary = append(rep.Summary, row)
	note := fmt.Sprintf("%s: scenario %s, policy %s, strategy %s, seeds %s", filepath.Base(in.path), h.Scenario,
		h.Policy, h.Strategy, h.Seeds)
	if h.Shard != "1/1" || len(h.Shards) > 0 {
		note += ", shard " + h.Shard
		if s.Shard != "" {
			note += " (" + s.Shard + ")"
		}
	}
	sigs := s.Signatures
	if len(sigs) > maxRepros {
		note += fmt.Sprintf("; the first seeds of %d of %d signatures are listed", maxRepros, len(sigs))
	}
	rep.Notes = append(rep.Notes, note)
	first := map[uint64]runLine{}
	for _, r := range rf.runs {
		first[r.Seed] = r
	}
	for i, sg := range sigs {
		rep.Signatures = append(rep.Signatures, reports.SignatureRow{Scenario: h.Scenario, Policy: h.Policy,
			ID: sg.ID, Kind: sg.Kind, Func: sg.Func, Title: sg.Title, Count: sg.Count, FirstSeed: sg.FirstSeed})
		if i >= maxRepros {
			continue
		}
		// One reproduce line per signature: its first seed's.
		r := reports.Repro{Scenario: h.Scenario, Policy: h.Policy, Seed: sg.FirstSeed, Kind: sg.Kind,
			Command: sg.Reproduce, Message: sg.Title}
		if l, ok := first[sg.FirstSeed]; ok {
			r = reproOf(l.Outcome, l.Reproduce)
		}
		r.Signature = sg.ID
		rep.Repros = append(rep.Repros, r)
	}
}

// seedsToFirst is how many seeds of the file's shard ran up to and including seed.
func seedsToFirst(h header, seed uint64) int {
	lo, _, err := parseSeeds(h.Seeds)
	k, n, err2 := parseShard(h.Shard)
	if err != nil || err2 != nil || len(h.Shards) > 0 {
		n, k = 1, 1 // a merge of some shards: count every seed
	}
	first := lo + uint64(k-1)
	if seed < first {
		return 0
	}
	return int((seed-first)/uint64(n)) + 1
}

func reproOf(o *workloads.Outcome, cmd string) reports.Repro {
	r := reports.Repro{Scenario: o.Scenario, Policy: o.Policy, Seed: o.Seed, Command: cmd}
	if v := o.Violation; v != nil {
		r.Kind, r.Message = v.Kind, v.Message
	}
	return r
}

// addRun reruns a run file or tape for its swimlane and adds it as a one-run row.
func addRun(rep *reports.Report, dir string, i int, in *input, legend string) error {
	o, run, err := in.rerun()
	if err != nil {
		return err
	}
	if in.rec == nil {
		in.rec = o.Metrics
	}
	row := reports.SummaryRow{Scenario: o.Scenario, Policy: o.Policy, Runs: 1, Expected: expected(o.Scenario, o.Policy)}
	if o.Violation == nil && o.Budget != "" {
		row.BudgetEnded = 1
	}
	if o.Violation != nil {
		row.Violations, row.SeedsToFirst, row.FirstSeed, row.Kinds = 1, 1, o.Seed, []string{o.Violation.Kind}
		rep.Repros = append(rep.Repros, reproOf(o, in.repro()))
	}
	rep.Summary = append(rep.Summary, row)
	rep.Notes = append(rep.Notes, fmt.Sprintf("%s: one run, %s", filepath.Base(in.path), in.repro()))
	sub := filepath.Join(dir, fmt.Sprintf("run%d", i+1))
	if err := os.Mkdir(sub, 0o755); err != nil {
		return err
	}
	paths, err := reports.SaveRun(sub, run, "png")
	if err != nil {
		return fmt.Errorf("cannot write the run's plots: %w", err)
	}
	for _, p := range paths {
		if strings.HasSuffix(p, ".png") {
			kind := strings.TrimSuffix(filepath.Base(p), ".png")
			rep.Images = append(rep.Images, reports.Image{Title: legend + ": " + kind, Path: p})
		}
	}
	return nil
}
