package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/reports"
)

// resultsSeeds are real results files, kept small (the fuzzer minimises what it finds and
// large inputs make that slow): a sweep with a failure and metrics, one without metrics, a
// merge of shards, and cut and garbled variants.
func resultsSeeds(f *testing.F) [][]byte {
	dir := f.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	var out [][]byte
	for _, args := range [][]string{
		{"sweep", "--policy", "unsync", "--seeds", "50:70", "--metrics", "--out", p("m.jsonl")},
		{"sweep", "--policy", "sync", "--seeds", "1:3", "--out", p("s.jsonl")},
		{"sweep", "--policy", "unsync", "--seeds", "50:60", "--metrics", "--shard", "1/2", "--out", p("k1.jsonl")},
		{"sweep", "--policy", "unsync", "--seeds", "50:60", "--metrics", "--shard", "2/2", "--out", p("k2.jsonl")},
		{"merge", "--out", p("merged.jsonl"), p("k1.jsonl"), p("k2.jsonl")},
	} {
		Main(args, &bytes.Buffer{}, &bytes.Buffer{})
	}
	for _, n := range []string{"m.jsonl", "s.jsonl", "merged.jsonl"} {
		b, err := os.ReadFile(p(n))
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
		lines := strings.SplitAfter(string(b), "\n")
		out = append(out, []byte(strings.Join(lines[:len(lines)/2], "")))     // interrupted
		out = append(out, []byte(strings.Join(lines[:len(lines)-2], "")+"x")) // partial last line
	}
	return out
}

// FuzzResults: the results reader never panics, its errors are one line, and what it accepts
// as a complete file merges and re-reads to the same totals and metrics.
func FuzzResults(f *testing.F) {
	for _, b := range resultsSeeds(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"type":"header","format":"hotplugsim-sweep","version":1}` + "\n" + `{"type":"summary"}` + "\n"))
	f.Add([]byte("hello\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rf, err := parseResults(data)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		if rf.summary == nil {
			return
		}
		rf.path = "x.jsonl"
		// What report and plot print of it: the figures of every metric, whatever their values.
		printMetrics(io.Discard, rf.summary.Metrics)
		for _, s := range rf.summary.Metrics.Summaries() {
			for _, d := range []des.Duration{s.Min, s.Mean, s.P50, s.P99, s.Max} {
				require.NotEmpty(t, reports.FormatDuration(d))
			}
		}
		if _, _, err := parseShard(rf.header.Shard); err != nil || len(rf.header.Shards) > 0 {
			return
		}
		merged, sum, err := mergeResults([]*resultsFile{rf})
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		back, err := parseResults(merged)
		require.NoError(t, err, string(merged))
		require.NotNil(t, back.summary)
		require.Equal(t, sum.Runs, back.summary.Runs)
		require.Equal(t, sum.Violations, back.summary.Violations)
		if sum.Metrics != nil {
			var b1, b2 bytes.Buffer
			require.NoError(t, sum.Metrics.Encode(&b1))
			require.NoError(t, back.summary.Metrics.Encode(&b2))
			require.Equal(t, b1.String(), b2.String())
		}
	})
}

// FuzzRunFile: the run file reader (and the file-kind detection of plot and report, which
// reads tapes too) never panics and errors are one line; an accepted run file re-encodes to
// one that reads back.
func FuzzRunFile(f *testing.F) {
	dir := f.TempDir()
	for i, args := range [][]string{
		{"run", "--policy", "unsync", "--seed", "53", "--metrics"},
		{"run", "--seed", "3"},
	} {
		path := filepath.Join(dir, "r"+string(rune('0'+i))+".json")
		Main(append(args, "--out", path), &bytes.Buffer{}, &bytes.Buffer{})
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	tape := filepath.Join(dir, "t.tape")
	Main([]string{"run", "--policy", "unsync", "--seed", "53", "--tape", tape}, &bytes.Buffer{}, &bytes.Buffer{})
	if b, err := os.ReadFile(tape); err == nil {
		f.Add(b) // a tape: parseInput reads those too
	}
	f.Add([]byte(`{"format":"hotplugsim-run","version":1,"scenario":"engine-demo","fingerprint":"00","spec":{"topology":{"devices":[]}}}`))
	f.Add([]byte(`{"format":"hotplugsim-tape","version":1,"seed":1,"strategy":"fifo","streams":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := parseInput("in", data); err != nil {
			require.NotContains(t, err.Error(), "\n")
		}
		rf, err := parseRunFile(data)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			return
		}
		b, err := encodeRunFile(rf.Outcome, rf.Reproduce)
		require.NoError(t, err)
		back, err := parseRunFile(b)
		require.NoError(t, err, string(b))
		require.Equal(t, rf.Fingerprint, back.Fingerprint)
		require.Equal(t, rf.Spec == nil, back.Spec == nil)
	})
}
