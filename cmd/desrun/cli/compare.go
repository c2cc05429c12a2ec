package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/reports"
	"hotplugsim/workloads"
)

const compareSynopsis = `Compare policies as the number of devices grows: for every policy and device count, run
the seeds with metrics on (collecting every violation, so a buggy policy's runs go on) on the
scenario's default Spec grown to that many devices (workloads.Spec.WithDevices: N counts its
first device and N-1 copies of it, each with the first device's apps and per-device events;
the other devices stay as they are), and plot the p50 and p99 of the
ioctl latency (every ioctl kind together) and of the page-fault latency against the number of
devices:

  desrun compare --scenario pci-bar-move --policies global-rwsem,per-device-lock \
      --devices 1,2,4,8 --seeds 1:200 -o cmp/

DIR gets compare-ioctl.{png,svg}, compare-fault.{png,svg} and compare.json (every row); the
table is printed. A scenario whose model cannot take that many devices is a one-line error.
Results are the same whatever -j is. The exit code is 1 if a compared policy violated (its
latencies are still drawn), as a sweep's would be.`

// compareMetrics are the aggregated metrics compare plots: the name in files, what it merges.
var compareMetrics = []struct {
	name, title string
	of          func(r *metrics.Recorder) *metrics.Histogram
}{
	{"ioctl", "ioctl latency (all kinds)", func(r *metrics.Recorder) *metrics.Histogram {
		h := &metrics.Histogram{}
		for _, n := range r.Names() {
			if strings.HasPrefix(n, metrics.IoctlPrefix) {
				h.Merge(r.Histogram(n))
			}
		}
		return h
	}},
	{"fault", "page-fault latency", func(r *metrics.Recorder) *metrics.Histogram {
		h := &metrics.Histogram{}
		h.Merge(r.Histogram(metrics.Fault))
		return h
	}},
}

// compareFile is compare.json.
type compareFile struct {
	ToolVersion string       `json:"tool_version"`
	Scenario    string       `json:"scenario"`
	Rows        []compareRow `json:"rows"`
}

// compareRow is one line of compare.json and of the table.
type compareRow struct {
	Policy     string `json:"policy"`
	Devices    int    `json:"devices"`
	Runs       uint64 `json:"runs"`
	Violations uint64 `json:"violations"`
	// BudgetEnded counts runs without a violation that a budget cut short.
	BudgetEnded uint64                     `json:"budget_ended"`
	Kinds       map[string]int             `json:"kinds"`
	Latency     map[string]metrics.Summary `json:"latency"` // "ioctl", "fault"
}

func runCompare(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("compare", "", compareSynopsis)
	scenario := f.String("scenario", "", "scenario name (default: the default scenario)")
	policies := f.String("policies", "", "comma-separated policies to compare (default: every policy of the scenario)")
	devices := f.String("devices", "1,2,4,8", "comma-separated device counts")
	seeds := f.String("seeds", "1:200", "seed range lo:hi (inclusive) for every point")
	strategy := f.String("strategy", "", "scheduling strategy (default: the scenario's)")
	jobs := f.Int("j", 0, "parallel workers (0: GOMAXPROCS)")
	dir := f.String("o", "", "write the plots and compare.json into this directory (required)")
	if _, err := f.parse(args, stdout, 0, 0); err != nil {
		return ExitUsage, err
	}
	if *dir == "" {
		return ExitUsage, fmt.Errorf("missing -o DIR: the directory to write the comparison into")
	}
	empty := ""
	id, err := identFlags{scenario: scenario, policy: &empty, spec: &empty, strategy: strategy, faults: new(bool)}.resolve()
	if err != nil {
		return ExitUsage, err
	}
	pols, err := parsePolicies(id.sc, *policies)
	if err != nil {
		return ExitUsage, err
	}
	ns, err := parseDevices(*devices)
	if err != nil {
		return ExitUsage, err
	}
	lo, hi, err := parseSeeds(*seeds)
	if err != nil {
		return ExitUsage, err
	}
	if hi-lo >= 1<<24 {
		return ExitUsage, fmt.Errorf("bad seed range %q: at most %d seeds per point", *seeds, 1<<24)
	}
	if *jobs, err = parseJobs(*jobs); err != nil {
		return ExitUsage, err
	}
	specs := map[int]workloads.Spec{}
	for _, n := range ns {
		spec, err := id.sc.Spec.WithDevices(n)
		if err == nil {
			err = id.sc.CheckSpec(spec)
		}
		if err == nil { // the model may refuse in Build: try one run of each policy
			for _, p := range pols {
				_, err = workloads.Run(workloads.RunConfig{Scenario: id.sc, Policy: p, Spec: &spec, Seed: lo,
					Strategy: id.strategy, NoTape: true, TraceRing: -1, CollectAll: true})
				if err != nil {
					break
				}
			}
		}
		if err != nil {
			return ExitUsage, fmt.Errorf("scenario %s cannot take %d devices: %v", id.sc.Name, n, err)
		}
		specs[n] = spec
	}
	param := fmt.Sprintf("devices: %s and its apps × N", id.sc.Spec.Topology.Devices[0].Name)
	var rows []compareRow
	for _, p := range pols {
		for _, n := range ns {
			spec := specs[n]
			rows = append(rows, comparePoint(id, p, n, &spec, lo, hi, *jobs))
		}
	}
	written, err := writeDir(*dir, nil, func(stage string) error { return writeComparison(stage, id.sc.Name, param, rows) })
	if err != nil {
		return ExitUsage, err
	}
	printComparison(stdout, rows)
	for _, p := range written {
		fmt.Fprintln(stdout, p)
	}
	for _, r := range rows {
		if r.Violations > 0 {
			return ExitViolation, nil // the latencies are drawn, but a policy was not safe
		}
	}
	return ExitPass, nil
}

func parsePolicies(sc *workloads.Scenario, s string) ([]string, error) {
	if s == "" {
		var out []string
		for _, p := range sc.Policies {
			out = append(out, p.Name)
		}
		return out, nil
	}
	var out []string
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("bad --policies %s: an empty policy name", quoteArg(s))
		}
		p, err := sc.Policy(name)
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, p.Name) {
			return nil, fmt.Errorf("bad --policies %s: %s twice", quoteArg(s), p.Name)
		}
		out = append(out, p.Name)
	}
	return out, nil
}

func parseDevices(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > workloads.MaxDevices || slices.Contains(out, n) {
			return nil, fmt.Errorf("bad --devices %s: want distinct counts from 1 to %d such as 1,2,4,8", quoteArg(s), workloads.MaxDevices)
		}
		out = append(out, n)
	}
	return out, nil
}

// compareChunk is how many seeds run in parallel before their metrics are merged (in seed
// order, which bounds memory and keeps the result independent of -j).
const compareChunk = 256

// comparePoint runs seeds lo..hi of one policy and device count.
func comparePoint(id ident, policy string, n int, spec *workloads.Spec, lo, hi uint64, jobs int) compareRow {
	row := compareRow{Policy: policy, Devices: n, Kinds: map[string]int{}, Latency: map[string]metrics.Summary{}}
	all := metrics.NewRecorder()
	count := hi - lo + 1 // the caller bounds it; lo+i never wraps for i < count
	for off := uint64(0); off < count; off += compareChunk {
		start := lo + off
		recs := make([]*metrics.Recorder, min(compareChunk, count-off))
		kinds := make([]string, len(recs))
		ended := make([]bool, len(recs))
		next := make(chan int)
		var wg sync.WaitGroup
		for range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pool := des.NewPool(0)
				defer pool.Close()
				for i := range next {
					rec := metrics.NewRecorder()
					o, err := workloads.Run(workloads.RunConfig{Scenario: id.sc, Policy: policy, Spec: spec,
						Seed: start + uint64(i), Strategy: id.strategy, NoTape: true, TraceRing: -1, CollectAll: true,
						Metrics: rec, Pool: pool})
					recs[i] = rec
					if err != nil {
						kinds[i] = "error: " + err.Error()
					} else if o.Violation != nil {
						kinds[i] = o.Violation.Kind
					} else if o.Budget != "" {
						ended[i] = true
					}
				}
			}()
		}
		for i := range recs {
			next <- i
		}
		close(next)
		wg.Wait()
		for i, rec := range recs {
			row.Runs++
			all.Merge(rec)
			if kinds[i] != "" {
				row.Violations++
				row.Kinds[kinds[i]]++
			}
			if ended[i] {
				row.BudgetEnded++
			}
		}
	}
	for _, m := range compareMetrics {
		if h := m.of(all); h.Count() > 0 {
			s := h.Summary()
			s.Name = m.name
			row.Latency[m.name] = s
		}
	}
	return row
}

// writeComparison writes the plots and compare.json into dir.
func writeComparison(dir, scenario, param string, rows []compareRow) error {
	drawn := 0
	for _, m := range compareMetrics {
		c := reports.Comparison{Title: fmt.Sprintf("%s: %s p50 / p99", scenario, m.title), Metric: m.name,
			Param: param}
		for _, r := range rows {
			if s, ok := r.Latency[m.name]; ok {
				c.Rows = append(c.Rows, reports.ComparisonRow{Policy: r.Policy, Param: float64(r.Devices), P50: s.P50, P99: s.P99,
					Runs: r.Runs, Violations: r.Violations})
			}
		}
		if len(c.Rows) == 0 {
			continue
		}
		fig, err := reports.ComparisonPlot(c)
		if err != nil {
			return fmt.Errorf("cannot plot %s: %w", m.name, err)
		}
		for _, ext := range []string{"png", "svg"} {
			if err := fig.Save(filepath.Join(dir, "compare-"+m.name+"."+ext)); err != nil {
				return err
			}
		}
		drawn++
	}
	if drawn == 0 {
		return fmt.Errorf("scenario %s records no ioctl or fault latency: nothing to compare", scenario)
	}
	b, err := json.MarshalIndent(compareFile{ToolVersion: toolVersion(), Scenario: scenario, Rows: rows}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "compare.json"), append(b, '\n'), 0o644)
}

func printComparison(w io.Writer, rows []compareRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tdevices\truns\tviolations\tcut short\tioctl p50 µs\tioctl p99 µs\tfault p50 µs\tfault p99 µs\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t", r.Policy, r.Devices, r.Runs, r.Violations, r.BudgetEnded)
		for _, m := range compareMetrics {
			if s, ok := r.Latency[m.name]; ok {
				fmt.Fprintf(tw, "%s\t%s\t", micros(s.P50), micros(s.P99))
			} else {
				fmt.Fprint(tw, "-\t-\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
