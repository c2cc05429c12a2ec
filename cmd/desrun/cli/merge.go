package cli

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"hotplugsim/des/metrics"
	"hotplugsim/workloads"
)

const mergeSynopsis = `Join the results files of a sharded sweep (desrun sweep --shard k/n --out part-k.jsonl)
into one results file with its failing runs in seed order and the summed summary. Every file
must be complete (have its summary line) and come from the same sweep with distinct shards.
Metrics of sweeps run with --metrics are merged too (exactly: histograms add).
The merged file is written whole or not at all (--out), or to stdout.`

func runMerge(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("merge", " results.jsonl...", mergeSynopsis)
	out := f.String("out", "", "write the merged results file here (default: stdout)")
	asJSON := f.Bool("json", false, "with --out: print the summary as JSON")
	paths, err := f.parse(args, stdout, 1, 1<<20)
	if err != nil {
		return ExitUsage, err
	}
	if err := checkOutputs([]string{*out}, paths); err != nil {
		return ExitUsage, err
	}
	var files []*resultsFile
	for _, p := range paths {
		rf, err := readResults(p)
		if err != nil {
			return ExitUsage, err
		}
		if rf.summary == nil {
			return ExitUsage, fmt.Errorf("%s is incomplete (no summary line): rerun its sweep to finish it", p)
		}
		files = append(files, rf)
	}
	merged, sum, err := mergeResults(files)
	if err != nil {
		return ExitUsage, err
	}
	if *out == "" {
		stdout.Write(merged)
		return sumExit(sum), nil
	}
	if err := writeBytes(*out, merged); err != nil {
		return ExitUsage, err
	}
	st := &sweepState{stdout: stdout, o: sweepOpts{asJSON: *asJSON}, merged: true}
	rf, err := parseResults(merged)
	if err != nil {
		return ExitUsage, err
	}
	if len(rf.runs) > 0 {
		st.first = &rf.runs[0]
	}
	st.report(sum)
	return sumExit(sum), nil
}

func mergeResults(files []*resultsFile) ([]byte, summary, error) {
	h0 := files[0].header
	_, n, _ := parseShard(h0.Shard)
	seen := map[int]string{}
	var shards []int
	var tot totals
	var runs []runLine
	var seconds float64 // the shards' sweeps' time, summed
	stopped := false
	var merged *metrics.Recorder
	if h0.Metrics {
		merged = metrics.NewRecorder()
	}
	var cov *workloads.Coverage
	var covLast *uint64                                // the latest of the shards' last new seeds
	corpus, entries := 0, []workloads.CorpusEntry(nil) // --steer (one file: steering is not sharded)
	if h0.Coverage {
		cov = workloads.NewCoverage()
	}
	for _, rf := range files {
		h := rf.header
		k, hn, err := parseShard(h.Shard)
		if err != nil || len(h.Shards) > 0 {
			return nil, summary{}, fmt.Errorf("%s: not a shard file (shard %q)", rf.path, h.Shard)
		}
		same := h
		same.Shard = h0.Shard
		if !same.sameSweep(h0) || hn != n {
			return nil, summary{}, fmt.Errorf("%s is from another sweep (%s) than %s (%s)", rf.path, h.describe(), files[0].path, h0.describe())
		}
		if prev, dup := seen[k]; dup {
			return nil, summary{}, fmt.Errorf("%s and %s are both shard %d/%d", prev, rf.path, k, n)
		}
		seen[k] = rf.path
		shards = append(shards, k)
		tot.merge(rf.summary.totals)
		runs = append(runs, rf.runs...)
		if r := rf.summary.RunsPerSec; r > 0 {
			seconds += float64(rf.summary.Runs) / r
		}
		if merged != nil {
			merged.Merge(rf.summary.Metrics)
		}
		if c := rf.summary.Coverage; cov != nil && c != nil {
			cov.Merge(c.coverage())
			if c.LastNewSeed != nil && (covLast == nil || *c.LastNewSeed > *covLast) {
				covLast = c.LastNewSeed
			}
		}
		stopped = stopped || rf.summary.Stopped
		corpus += rf.summary.Corpus
		entries = append(entries, rf.corpus...)
	}
	sort.Ints(shards)
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Seed < runs[j].Seed })
	runs, dropped, err := keepRuns(files, runs, h0.KeepRuns)
	if err != nil {
		return nil, summary{}, err
	}
	h := h0
	h.Merged, h.ToolVersion = true, toolVersion()
	h.Shard = fmt.Sprintf("1/%d", n) // keeps the header valid; Shards says what was merged
	h.Shards = shards
	if len(shards) == n {
		h.Shard, h.Shards = "1/1", nil
	}
	// The shards' runs over their sweeps' summed time: what one worker pool did per second,
	// not the shards' rates added up (they may have run one after another).
	rate := 0.0
	if seconds > 0 {
		rate = float64(tot.Runs) / seconds
	}
	sum := summary{Type: "summary", totals: tot, RunsPerSec: rate, Scenario: h.Scenario, Policy: h.Policy,
		Strategy: h.Strategy, Seeds: h.Seeds, Stopped: stopped, Metrics: merged, ToolVersion: toolVersion()}
	if h.Shards != nil {
		sum.Shard = shardList(shards, n)
	}
	if cov != nil {
		sum.Coverage = newCoverageJSON(cov, covLast)
	}
	sum.Corpus = corpus
	t, err := tableOf(runs, dropped)
	if err != nil {
		return nil, summary{}, err
	}
	sum.Signatures = t.list
	var buf bytes.Buffer
	lines := []any{h}
	for _, r := range runs {
		lines = append(lines, r)
	}
	cp := checkpoint{Type: "checkpoint", Next: tot.Runs, totals: tot, Dropped: dropped}
	if merged != nil && len(merged.Names()) > 0 {
		cp.Metrics = merged
	}
	cp.Coverage, cp.Corpus = sum.Coverage, entries
	lines = append(lines, cp, sum)
	if err := appendLines(&buf, lines...); err != nil {
		return nil, summary{}, err
	}
	return buf.Bytes(), sum, nil
}

func shardList(ks []int, n int) string {
	parts := make([]string, len(ks))
	for i, k := range slices.Clone(ks) {
		parts[i] = strconv.Itoa(k)
	}
	return strings.Join(parts, ",") + "/" + strconv.Itoa(n)
}

// keepRuns keeps, of the shards' run lines in seed order, the first keep of each signature
// (keep 0: all), as one sweep of every shard's seeds would have; it returns them and the dropped
// counts: the shards' and the lines it drops, in order of the signatures' first seeds.
func keepRuns(files []*resultsFile, runs []runLine, keep int) ([]runLine, []sigDropped, error) {
	var t sigTable
	var kept []runLine
	n := map[workloads.Signature]uint64{}
	for _, r := range runs {
		if t.keeps(r.signature(), keep) {
			t.add(r)
			kept = append(kept, r)
		} else {
			n[r.signature()]++
		}
	}
	for _, rf := range files {
		for _, d := range rf.dropped {
			n[d.Signature] += d.N
		}
	}
	var dropped []sigDropped
	for _, s := range t.list { // in order of first seed
		if n[s.Signature] > 0 {
			dropped = append(dropped, sigDropped{Signature: s.Signature, N: n[s.Signature]})
			delete(n, s.Signature)
		}
	}
	if len(n) > 0 {
		return nil, nil, fmt.Errorf("dropped runs of a signature that no shard has a run line of")
	}
	return kept, dropped, nil
}
