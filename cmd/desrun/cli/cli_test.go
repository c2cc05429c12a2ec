package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func desrun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

var (
	reRate = regexp.MustCompile(`("runs_per_sec":)[0-9.e+-]+|(runs/s\s+)\d+`)
)

// normalise hides what differs between runs: the temp dir and the wall-clock rate.
func normalise(s, dir string) string {
	if dir != "" {
		s = strings.ReplaceAll(s, dir, "$TMP")
	}
	return reRate.ReplaceAllString(s, "${1}${2}RATE")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run 'go test ./cmd/desrun/cli -update' to create the golden files")
	assert.Equal(t, string(want), got, "golden %s (rerun with -update if the change is intended)", name)
}

// Every subcommand's output, exit code and stderr, against golden files.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"help", []string{"help"}, 0},
		{"list", []string{"list"}, 0},
		{"run-pass", []string{"run", "--seed", "53"}, 0},
		{"run-violation", []string{"run", "--scenario", "engine-demo", "--policy", "unsync", "--seed", "53"}, 1},
		{"run-json", []string{"run", "--policy", "unsync", "--seed", "53", "--json"}, 1},
		{"run-check", []string{"run", "--policy", "unsync", "--seed", "58", "--check-determinism"}, 0 + 1},
		{"sweep", []string{"sweep", "--policy", "unsync", "--seeds", "1:500"}, 1},
		{"sweep-json", []string{"sweep", "--policy", "unsync", "--seeds", "1:300", "--json", "-j", "3"}, 1},
		{"sweep-fixed", []string{"sweep", "--seeds", "1:500", "--strategy", "random"}, 0},
		{"sweep-stop", []string{"sweep", "--policy", "unsync", "--seeds", "1:5000", "--stop-after", "2"}, 1},
		{"sweep-out", []string{"sweep", "--policy", "unsync", "--seeds", "1:400", "--out", filepath.Join(dir, "r.jsonl")}, 1},
		{"replay-line", []string{"replay", filepath.Join(dir, "r.jsonl") + "#2"}, 1},
		{"shrink", []string{"shrink", "--policy", "unsync", "--seed", "53", "--out", filepath.Join(dir, "min.tape")}, 1},
		{"replay-tape", []string{"replay", filepath.Join(dir, "min.tape")}, 1},
		{"run-help", []string{"run", "-h"}, 0},
		{"sweep-help", []string{"help", "sweep"}, 0},
		{"merge-help", []string{"merge", "--help"}, 0},
		{"replay-help", []string{"replay", "-h"}, 0},
		{"shrink-help", []string{"shrink", "-h"}, 0},
		{"list-help", []string{"list", "-h"}, 0},
	} {
		code, stdout, stderr := desrun(tc.args...)
		assert.Equal(t, tc.code, code, "%s: %s", tc.name, stderr)
		assert.Empty(t, stderr, tc.name)
		golden(t, tc.name, normalise(stdout, dir))
	}
	// The results file itself.
	b, err := os.ReadFile(filepath.Join(dir, "r.jsonl"))
	require.NoError(t, err)
	golden(t, "sweep-out-file", normalise(string(b), dir))
}

// Bad input: one line on stderr, exit 2, nothing on stdout, no output file left behind.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	write := func(name, s string) string {
		require.NoError(t, os.WriteFile(p(name), []byte(s), 0o644))
		return p(name)
	}
	malformed := write("malformed.json", `{"apps": [`)
	invalid := write("invalid.json", `{"topology": {"devices": [{"name": "gpu0", "driver": "demo"}]}, "apps": [{"kind": "render", "device": "gpu0", "count": 0}]}`)
	unknownField := write("unknown.json", `{"topology": {"devices": []}, "extra": 1}`)
	unsupported := write("unsupported.json", `{"topology": {"devices": [{"name": "gpu0", "driver": "demo"}]}, "events": [{"kind": "rescan", "device": "gpu0", "at_ns": 0}]}`)
	garbageTape := write("garbage.tape", "not json")
	wrongTape := write("wrong.tape", `{"format": "other", "version": 1, "seed": 1, "strategy": "fifo", "streams": {}}`)
	noMeta := write("nometa.tape", `{"format": "hotplugsim-tape", "version": 1, "seed": 1, "strategy": "fifo", "streams": {}}`)
	unknownScen := write("unknownscen.tape", `{"format": "hotplugsim-tape", "version": 1, "seed": 1, "strategy": "fifo", "meta": {"scenario": "nope"}, "streams": {}}`)
	notResults := write("notresults.jsonl", "hello\n")
	require.Equal(t, 1, Main([]string{"sweep", "--policy", "unsync", "--seeds", "1:300", "--out", p("good.jsonl")}, &bytes.Buffer{}, &bytes.Buffer{}))
	good, _ := os.ReadFile(p("good.jsonl"))
	lines := strings.SplitAfter(string(good), "\n")
	corrupt := write("corrupt.jsonl", lines[0]+"{broken\n"+strings.Join(lines[1:], ""))
	incomplete := write("incomplete.jsonl", strings.Join(lines[:len(lines)-2], ""))
	require.Equal(t, 1, Main([]string{"sweep", "--policy", "unsync", "--seeds", "1:300", "--shard", "1/2", "--out", p("s1.jsonl")}, &bytes.Buffer{}, &bytes.Buffer{}))
	require.Equal(t, 1, Main([]string{"sweep", "--policy", "unsync", "--seeds", "1:300", "--shard", "2/2", "--out", p("s2.jsonl")}, &bytes.Buffer{}, &bytes.Buffer{}))
	require.Equal(t, 0, Main([]string{"sweep", "--policy", "sync", "--seeds", "1:300", "--shard", "2/2", "--out", p("other2.jsonl")}, &bytes.Buffer{}, &bytes.Buffer{}))
	noDir := filepath.Join(dir, "missing", "x")

	for _, tc := range []struct {
		args    []string
		stderr  string
		outFile string // must not exist afterwards
	}{
		{[]string{}, "", ""},
		{[]string{"bogus"}, `desrun: unknown command "bogus"`, ""},
		{[]string{"run", "--scenario", "nope"}, `desrun run: unknown scenario "nope" (have engine-demo, zz-one-device)`, ""},
		{[]string{"run", "--policy", "v7"}, `desrun run: scenario engine-demo has no policy "v7" (have unsync, sync)`, ""},
		{[]string{"run", "--strategy", "lifo"}, `desrun run: unknown strategy "lifo"`, ""},
		{[]string{"run", "--strategy", "pct:0"}, `desrun run: strategy "pct:0": want pct:D`, ""},
		{[]string{"run", "--strategy", "replay"}, "desrun run: strategy replay needs a tape", ""},
		{[]string{"run", "--spec", malformed}, "malformed.json: spec: unexpected EOF", ""},
		{[]string{"run", "--spec", invalid}, "invalid.json: spec: apps[0].count: must be >= 1", ""},
		{[]string{"run", "--spec", unknownField}, `unknown.json: spec: unknown field "extra"`, ""},
		{[]string{"run", "--spec", unsupported}, `unsupported.json: spec: events[0].kind: scenario engine-demo supports event kinds`, ""},
		{[]string{"run", "--spec", p("nofile.json")}, "cannot read spec: open", ""},
		{[]string{"run", "--seed", "x"}, `desrun run: invalid value "x" for flag -seed`, ""},
		{[]string{"run", "--nope"}, "flag provided but not defined: -nope", ""},
		{[]string{"run", "extra"}, `desrun run: unexpected argument "extra"`, ""},
		{[]string{"run", "--tape", noDir}, "desrun run: cannot write " + noDir, noDir},
		{[]string{"run", "--trace", dir}, "desrun run: cannot write " + dir + ": is a directory", ""},
		{[]string{"sweep", "--seeds", "10:1"}, `desrun sweep: bad seed range "10:1": lo > hi`, ""},
		{[]string{"sweep", "--seeds", "x"}, `desrun sweep: bad seed range "x"`, ""},
		{[]string{"sweep", "--seeds", "0:18446744073709551615"}, "too many seeds", ""},
		{[]string{"sweep", "--shard", "3/2"}, `desrun sweep: bad shard "3/2"`, ""},
		{[]string{"sweep", "--shard", "0/2"}, `desrun sweep: bad shard "0/2"`, ""},
		{[]string{"sweep", "--shard", "x"}, `desrun sweep: bad shard "x"`, ""},
		{[]string{"sweep", "-j", "-1"}, "desrun sweep: bad -j -1", ""},
		{[]string{"sweep", "--out", noDir}, "desrun sweep: cannot write " + noDir, noDir},
		{[]string{"sweep", "--out", notResults}, "notresults.jsonl: not a desrun results file; refusing to overwrite it", ""},
		{[]string{"sweep", "--out", corrupt, "--policy", "unsync", "--seeds", "1:300"}, "corrupt.jsonl: corrupt results file: line 2", ""},
		{[]string{"sweep", "--out", p("good.jsonl"), "--seeds", "1:301"}, "good.jsonl holds another sweep", ""},
		{[]string{"merge"}, "desrun merge: missing argument: results.jsonl...", ""},
		{[]string{"merge", incomplete}, "incomplete.jsonl is incomplete (no summary line)", ""},
		{[]string{"merge", p("s1.jsonl"), p("s1.jsonl")}, "are both shard 1/2", ""},
		{[]string{"merge", p("s1.jsonl"), p("other2.jsonl")}, "other2.jsonl is from another sweep", ""},
		{[]string{"merge", notResults}, "not a desrun results file", ""},
		{[]string{"merge", "--out", noDir, p("s1.jsonl")}, "desrun merge: cannot write " + noDir, noDir},
		{[]string{"replay"}, "desrun replay: missing argument: results.jsonl#LINE | file.tape", ""},
		{[]string{"replay", garbageTape}, "garbage.tape: bad tape: invalid character", ""},
		{[]string{"replay", wrongTape}, `wrong.tape: bad tape: format "other"`, ""},
		{[]string{"replay", noMeta}, "nometa.tape: bad tape: no scenario in its meta", ""},
		{[]string{"replay", unknownScen}, `unknownscen.tape: unknown scenario "nope"`, ""},
		{[]string{"replay", p("none.tape")}, "cannot read tape", ""},
		{[]string{"replay", p("good.jsonl") + "#1"}, "good.jsonl#1: not a run line of the file", ""},
		{[]string{"replay", p("good.jsonl") + "#x"}, `bad line "x"`, ""},
		{[]string{"replay", corrupt + "#3"}, "corrupt results file: line 2", ""},
		{[]string{"replay", notResults + "#1"}, "not a desrun results file", ""},
		{[]string{"replay", "a", "b"}, `unexpected argument "b"`, ""},
		{[]string{"shrink", "--seed", "53"}, "the run does not fail (seed 53, engine-demo/sync): nothing to shrink", ""},
		{[]string{"shrink", "--policy", "unsync", "--seed", "53", "--out", noDir}, "cannot write " + noDir, noDir},
		{[]string{"shrink", "--policy", "unsync", "--seed", "53", "--max-runs", "0", "--out", p("m.tape")}, "bad --max-runs 0", p("m.tape")},
		{[]string{"shrink", garbageTape}, "bad tape", ""},
		{[]string{"list", "x"}, `desrun list: unexpected argument "x"`, ""},
	} {
		name := strings.Join(tc.args, " ")
		code, stdout, stderr := desrun(tc.args...)
		assert.Equal(t, 2, code, name)
		assert.Empty(t, stdout, name)
		if len(tc.args) == 0 {
			assert.Equal(t, "desrun: missing command (run 'desrun help' for the commands)\n", stderr)
			continue
		}
		assert.Contains(t, stderr, tc.stderr, name)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line for %q: %q", name, stderr)
		assert.NotContains(t, stderr, "goroutine", name)
		if tc.outFile != "" {
			assert.NoFileExists(t, tc.outFile, name)
		}
	}
	// Nothing half-written was left in the directory (no temporary files).
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".desrun"), e.Name())
	}
	// The refused results files are untouched.
	b, _ := os.ReadFile(notResults)
	assert.Equal(t, "hello\n", string(b))
	b, _ = os.ReadFile(p("good.jsonl"))
	assert.Equal(t, string(good), string(b))
}

func TestRunJSONFields(t *testing.T) {
	code, out, _ := desrun("run", "--policy", "unsync", "--seed", "53", "--json")
	require.Equal(t, 1, code)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	for _, k := range []string{"scenario", "policy", "seed", "strategy", "verdict", "violation", "fingerprint", "events", "virtual_ns", "reproduce"} {
		assert.Contains(t, m, k)
	}
	v := m["violation"].(map[string]any)
	for _, k := range []string{"kind", "message", "time_ns", "process"} {
		assert.Contains(t, v, k)
	}
	assert.Equal(t, "violation", m["verdict"])
	assert.Len(t, m["fingerprint"], 16)

	code, out, _ = desrun("run", "--seed", "53", "--json")
	require.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	assert.Equal(t, "pass", m["verdict"])
	assert.Nil(t, m["violation"])
}

// The printed line reproduces the run; --tape and --trace write files replay and Perfetto read.
func TestRunReproduceTapeTrace(t *testing.T) {
	dir := t.TempDir()
	tape, trace := filepath.Join(dir, "t.tape"), filepath.Join(dir, "t.json")
	code, out, _ := desrun("run", "--policy", "unsync", "--seed", "53", "--tape", tape, "--trace", trace)
	require.Equal(t, 1, code)
	line := out[strings.Index(out, "desrun run"):]
	line = strings.TrimSpace(line[:strings.Index(line, "\n")])
	code, again, _ := desrun(strings.Fields(line)[1:]...)
	assert.Equal(t, 1, code)
	assert.Equal(t, out, again)

	tp, err := des.LoadTape(tape)
	require.NoError(t, err)
	assert.Equal(t, "engine-demo", tp.Meta["scenario"])
	code, rep, _ := desrun("replay", tape)
	assert.Equal(t, 1, code)
	assert.Contains(t, rep, "replayed     exactly")

	var tr struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	b, err := os.ReadFile(trace)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &tr))
	assert.Greater(t, len(tr.TraceEvents), 40)
	ct, err := reports.ReadChromeTrace(bytes.NewReader(b))
	require.NoError(t, err)
	assert.NotEmpty(t, ct.Complete(), "spans (sleeps, waits) are complete events")
	_, hasViolation := ct.ViolationTime()
	assert.True(t, hasViolation)

	// A tampered tape replays into another run: replay says so and exits 2.
	tp.Meta["fingerprint"] = "0000000000000000"
	require.NoError(t, tp.Save(tape))
	code, _, errOut := desrun("replay", tape)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "did not reproduce: fingerprint")
}

// A non-default Spec: the reproduce line names the spec file, and the run uses it.
func TestRunWithSpec(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(spec, []byte(`{"topology": {"devices": [{"name": "gpu0", "driver": "demo"}]},
	 "apps": [{"kind": "render", "device": "gpu0", "count": 4, "ops": 30, "interval_ns": 2000}],
	 "events": [{"kind": "surprise-removal", "device": "gpu0", "at_ns": 15000}]}`), 0o644))
	code, out, errOut := desrun("sweep", "--policy", "unsync", "--spec", spec, "--seeds", "1:300", "--json")
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "--spec "+spec)
	var first runLine
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &first))
	args := strings.Fields(first.Reproduce)[1:]
	code, runOut, _ := desrun(append(args, "--json")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, runOut, first.Fingerprint)
}

// shrink from a results line and from a tape; --json reports sizes; the minimal tape replays.
func TestShrinkSources(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "r.jsonl")
	require.Equal(t, 1, Main([]string{"sweep", "--policy", "unsync", "--seeds", "1:300", "--out", res}, &bytes.Buffer{}, &bytes.Buffer{}))
	min1 := filepath.Join(dir, "a.tape")
	code, out, errOut := desrun("shrink", res+"#2", "--out", min1, "--json")
	require.Equal(t, 1, code, errOut)
	var got struct {
		runJSON
		Shrink shrinkStats `json:"shrink"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, "use-after-unmap", got.Shrink.Kind)
	assert.LessOrEqual(t, got.Shrink.TapeAfter, got.Shrink.TapeBefore)
	assert.LessOrEqual(t, got.Shrink.SpecAfter.Total(), got.Shrink.SpecBefore.Total())
	assert.Equal(t, "desrun replay "+min1, got.Reproduce)
	code, _, errOut = desrun("replay", min1)
	assert.Equal(t, 1, code, errOut)

	// Shrinking the shrunk tape again keeps the kind and does not grow it.
	min2 := filepath.Join(dir, "b.tape")
	code, out, errOut = desrun("shrink", min1, "--out", min2)
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "use-after-unmap")
	t1, _ := des.LoadTape(min1)
	t2, _ := des.LoadTape(min2)
	assert.LessOrEqual(t, t2.Len(), t1.Len())

	// A tiny run budget still ends with a valid reproduction.
	code, _, errOut = desrun("shrink", "--policy", "unsync", "--seed", "53", "--max-runs", "3", "--out", filepath.Join(dir, "c.tape"))
	assert.Equal(t, 1, code, errOut)
}

func TestSweepJSONWithOut(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := desrun("sweep", "--policy", "unsync", "--seeds", "1:300", "--out", filepath.Join(dir, "r.jsonl"), "--json")
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(out, "\n"), "only the summary on stdout")
	var s summary
	require.NoError(t, json.Unmarshal([]byte(out), &s))
	assert.Equal(t, uint64(300), s.Runs)
	assert.Equal(t, uint64(1), *s.FirstSeed)
	assert.Equal(t, int(s.Violations), s.Kinds["use-after-unmap"])
	code, out, _ = desrun("sweep", "--seeds", "1:50", "--json")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, `"kinds":{}`)
	assert.Contains(t, out, `"first_violation_seed":null`)
}

// --spec sparse selects the scenario's sparse Spec, and the reproduce line says so.
func TestSparseSpecFlag(t *testing.T) {
	code, out, errOut := desrun("sweep", "--scenario", "engine-demo", "--policy", "unsync", "--spec", "sparse",
		"--strategy", "random", "--seeds", "1:2000", "--stop-after", "1", "--json")
	require.Equal(t, 1, code, errOut)
	var first runLine
	require.NoError(t, json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &first))
	assert.Contains(t, first.Reproduce, "--spec sparse")
	args := strings.Fields(first.Reproduce)[1:]
	code, runOut, _ := desrun(append(args, "--json")...)
	assert.Equal(t, 1, code)
	assert.Contains(t, runOut, first.Fingerprint)
}
