package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// Hostile and careless inputs: each test here failed before desrun was hardened against it.

// oneLineErr checks a refused command: exit 2, nothing on stdout, one line on stderr that
// contains want.
func oneLineErr(t *testing.T, want string, args ...string) {
	t.Helper()
	code, stdout, stderr := desrun(args...)
	name := strings.Join(args, " ")
	assert.Equal(t, ExitUsage, code, "%s: %s", name, stderr)
	assert.Empty(t, stdout, name)
	assert.Contains(t, stderr, want, name)
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line for %q: %q", name, stderr)
	assert.NotContains(t, stderr, "goroutine", name)
}

// 'help help' and friends re-entered Main until the stack overflowed.
func TestHelpDoesNotRecurse(t *testing.T) {
	for _, args := range [][]string{{"help", "help"}, {"help", "-h"}, {"--help", "--help"}, {"-h", "help"}} {
		code, stdout, stderr := desrun(args...)
		assert.Equal(t, ExitPass, code, args)
		assert.Contains(t, stdout, "Usage:\n  desrun <command>", args)
		assert.Empty(t, stderr, args)
	}
	code, stdout, _ := desrun("help", "run")
	assert.Equal(t, ExitPass, code)
	assert.Contains(t, stdout, "Usage: desrun run [flags]")
	oneLineErr(t, `desrun: unknown command "nope"`, "help", "nope")
}

// A bare desrun is one line, not the whole usage.
func TestBareDesrun(t *testing.T) {
	code, stdout, stderr := desrun()
	assert.Equal(t, ExitUsage, code)
	assert.Empty(t, stdout)
	assert.Equal(t, 1, strings.Count(stderr, "\n"))
}

func TestVersion(t *testing.T) {
	code, stdout, _ := desrun("version")
	assert.Equal(t, ExitPass, code)
	assert.Equal(t, "desrun "+toolVersion()+"\n", stdout)
	assert.NotEmpty(t, toolVersion())
	oneLineErr(t, `unexpected argument "x"`, "version", "x")
}

// Every file desrun writes says which desrun wrote it.
func TestToolVersionInEveryFile(t *testing.T) {
	fx := newMetricsFixtures(t)
	dir := fx.dir
	p := func(n string) string { return filepath.Join(dir, n) }
	want := `"tool_version":"` + toolVersion() + `"`
	code, _, errOut := desrun("run", "--policy", "unsync", "--seed", "53", "--trace", p("t.json"))
	require.Equal(t, 1, code, errOut)
	code, _, errOut = desrun("merge", "--out", p("merged.jsonl"), fx.results)
	require.Equal(t, 1, code, errOut)
	for _, f := range []string{fx.results, fx.runFile, fx.tape, p("t.json"), p("merged.jsonl")} {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.Contains(t, strings.ReplaceAll(string(b), `": "`, `":"`), want, f)
	}
	code, out, _ := desrun("run", "--seed", "3", "--json")
	require.Equal(t, 0, code)
	assert.Contains(t, out, want)
	code, _, errOut = desrun("report", fx.results, "-o", p("rep"))
	require.Equal(t, 0, code, errOut)
	page, err := os.ReadFile(p("rep/index.html"))
	require.NoError(t, err)
	assert.Contains(t, string(page), "written by desrun "+toolVersion())
	code, _, errOut = desrun("compare", "--scenario", "engine-demo", "--policies", "sync", "--devices", "1", "--seeds", "1:3", "-o", p("cmp"))
	require.Equal(t, 0, code, errOut)
	b, err := os.ReadFile(p("cmp/compare.json"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"tool_version": "`+toolVersion()+`"`)
}

// withMetric rewrites a complete results file so that its metrics (checkpoints and summary)
// are rec: a consistent file with hostile values.
func withMetric(t *testing.T, path string, rec *metrics.Recorder) []byte {
	t.Helper()
	rf, err := readResults(path)
	require.NoError(t, err)
	lines := []any{rf.header}
	for _, r := range rf.runs {
		lines = append(lines, r)
	}
	last := *rf.last
	last.Next = rf.summary.Runs
	last.Metrics = rec
	sum := *rf.summary
	sum.Metrics = rec
	var buf bytes.Buffer
	require.NoError(t, appendLines(&buf, append(lines, last, sum)...))
	return buf.Bytes()
}

// A metric value of MinInt64 crashed report and plot (FormatDuration recursed).
func TestMinInt64Metric(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	code, _ := sweepFile(t, p("r.jsonl"), "--policy", "sync", "--seeds", "1:200", "--metrics")
	require.Equal(t, 0, code)
	rec := metrics.NewRecorder()
	rec.Observe("fault", des.Duration(math.MinInt64))
	rec.Observe("fault", des.Duration(math.MaxInt64))
	require.NoError(t, os.WriteFile(p("min.jsonl"), withMetric(t, p("r.jsonl"), rec), 0o644))
	code, _, errOut := desrun("report", p("min.jsonl"), "-o", p("rep"))
	assert.Equal(t, 0, code, errOut)
	code, _, errOut = desrun("plot", p("min.jsonl"), "-o", p("plots"))
	assert.Equal(t, 0, code, errOut)

	code, _, errOut = desrun("run", "--seed", "3", "--metrics", "--out", p("run.json"))
	require.Equal(t, 0, code, errOut)
	b, err := os.ReadFile(p("run.json"))
	require.NoError(t, err)
	var rf map[string]any
	require.NoError(t, json.Unmarshal(b, &rf))
	rf["metrics"] = rec
	b, err = json.Marshal(rf)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(p("run.json"), b, 0o644))
	code, _, errOut = desrun("report", p("run.json"), "-o", p("rep2"))
	assert.Equal(t, 0, code, errOut)
}

// A seed range at the top of uint64 looped forever in compare (chunk arithmetic wrapped).
func TestCompareSeedsAtTheTop(t *testing.T) {
	dir := t.TempDir()
	done := make(chan int, 1)
	go func() {
		code, _, _ := desrun("compare", "--scenario", "engine-demo", "--policies", "sync", "--devices", "1",
			"--seeds", "18446744073709551600:18446744073709551615", "-o", filepath.Join(dir, "cmp"))
		done <- code
	}()
	select {
	case code := <-done:
		assert.Equal(t, ExitPass, code)
	case <-time.After(60 * time.Second):
		t.Fatal("compare of 16 seeds at the top of the range did not end")
	}
	b, err := os.ReadFile(filepath.Join(dir, "cmp", "compare.json"))
	require.NoError(t, err)
	assert.Contains(t, string(b), `"runs": 16,`)
}

// Unbounded requests are refused where they enter.
func TestBounds(t *testing.T) {
	dir := t.TempDir()
	oneLineErr(t, "bad -j 100000000", "sweep", "-j", "100000000")
	oneLineErr(t, "bad -j 100000000", "compare", "-j", "100000000", "-o", dir)
	// A 2 MB Spec is refused without reading it all, and the message does not echo it.
	big := filepath.Join(dir, "big.json")
	require.NoError(t, os.WriteFile(big, bytes.Repeat([]byte(" "), 2<<20), 0o644))
	oneLineErr(t, "larger than 1048576 bytes", "run", "--spec", big)
	// Error lines are bounded, whatever they quote.
	huge := strings.Repeat("x", 1<<20)
	for _, args := range [][]string{{"run", "--scenario", huge}, {"sweep", "--seeds", huge}, {huge}, {"replay", huge + "#1"}} {
		_, _, stderr := desrun(args...)
		assert.Less(t, len(stderr), 600, args[0])
		assert.Equal(t, 1, strings.Count(stderr, "\n"))
	}
	// A results file with thousands of metrics: refused, not a 271 MB page.
	code, _ := sweepFile(t, filepath.Join(dir, "r.jsonl"), "--policy", "sync", "--seeds", "1:20", "--metrics")
	require.Equal(t, 0, code)
	rec := metrics.NewRecorder()
	for i := range 5011 {
		rec.Observe("m"+strconv.Itoa(i), 1)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "many.jsonl"), withMetric(t, filepath.Join(dir, "r.jsonl"), rec), 0o644))
	oneLineErr(t, "5011 metrics: at most 256", "report", filepath.Join(dir, "many.jsonl"), "-o", filepath.Join(dir, "rep"))
	assert.NoDirExists(t, filepath.Join(dir, "rep"))
}

// Outputs go through one helper: a symlink stays a symlink, a device or FIFO is written in
// place, new files are 0644 (less the umask), nothing is left behind.
func TestOutputsKeepWhatThePathIs(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)

	// A symlink: the target is written, the link stays.
	require.NoError(t, os.WriteFile(p("target.tape"), []byte("old"), 0o600))
	require.NoError(t, os.Symlink("target.tape", p("link.tape")))
	code, _, errOut := desrun("run", "--policy", "unsync", "--seed", "53", "--tape", p("link.tape"), "--out", p("new.json"))
	require.Equal(t, 1, code, errOut)
	fi, err := os.Lstat(p("link.tape"))
	require.NoError(t, err)
	assert.Equal(t, os.ModeSymlink, fi.Mode()&os.ModeSymlink, "the link is still a link")
	_, err = des.LoadTape(p("target.tape"))
	assert.NoError(t, err, "the tape went to the link's target")
	fi, _ = os.Stat(p("target.tape"))
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a replaced file keeps its mode")
	fi, _ = os.Stat(p("new.json"))
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "a new file is 0644 less the umask")

	// A device: written in place, never replaced (as root, /dev/null became a regular file).
	code, _, errOut = desrun("run", "--policy", "unsync", "--seed", "53", "--tape", os.DevNull, "--trace", os.DevNull+"")
	assert.Equal(t, ExitUsage, code, "two outputs on one path are refused: %s", errOut)
	code, _, errOut = desrun("run", "--policy", "unsync", "--seed", "53", "--tape", os.DevNull)
	require.Equal(t, 1, code, errOut)
	fi, err = os.Stat(os.DevNull)
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode()&os.ModeCharDevice, "/dev/null is still a device")

	// A FIFO: written in place, for whoever reads it.
	fifo := p("trace.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		var b bytes.Buffer
		b.ReadFrom(f)
		got <- b.Bytes()
	}()
	code, _, errOut = desrun("run", "--policy", "unsync", "--seed", "53", "--trace", fifo)
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, string(<-got), "traceEvents")
	fi, _ = os.Lstat(fifo)
	assert.NotZero(t, fi.Mode()&os.ModeNamedPipe, "the FIFO is still a FIFO")

	// sweep --out needs a regular file it can read back.
	oneLineErr(t, "is not a regular file", "sweep", "--seeds", "1:3", "--out", fifo)

	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".desrun", "no temporary file left")
	}
}

// An output path equal to an input destroyed the input.
func TestOutputIsNotAnInput(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	code, _, _ := desrun("run", "--policy", "unsync", "--seed", "53", "--tape", p("t.tape"))
	require.Equal(t, 1, code)
	code, _ = sweepFile(t, p("r.jsonl"), "--policy", "unsync", "--seeds", "1:300")
	require.Equal(t, 1, code)
	require.NoError(t, os.WriteFile(p("s.json"), []byte(`{"topology": {"devices": [{"name": "gpu0", "driver": "demo"}]},
	 "apps": [{"kind": "render", "device": "gpu0", "count": 2, "ops": 10, "interval_ns": 2000}],
	 "events": [{"kind": "surprise-removal", "device": "gpu0", "at_ns": 15000}]}`), 0o644))
	require.NoError(t, os.Symlink("t.tape", p("alias.tape")))
	before := map[string][]byte{}
	for _, f := range []string{"t.tape", "r.jsonl", "s.json"} {
		before[f], _ = os.ReadFile(p(f))
	}
	oneLineErr(t, "is also an input", "replay", p("t.tape"), "--trace", p("t.tape"))
	oneLineErr(t, "is also an input", "replay", p("t.tape"), "--trace", p("alias.tape"))
	oneLineErr(t, "is also an input", "replay", p("r.jsonl")+"#2", "--trace", p("r.jsonl"))
	oneLineErr(t, "is also an input", "run", "--spec", p("s.json"), "--out", p("s.json"))
	oneLineErr(t, "is also an input", "sweep", "--spec", p("s.json"), "--out", p("s.json"))
	oneLineErr(t, "is also an input", "shrink", p("t.tape"), "--out", p("t.tape"))
	oneLineErr(t, "is also an input", "merge", "--out", p("r.jsonl"), p("r.jsonl"))
	oneLineErr(t, "are the same file", "run", "--tape", p("x"), "--trace", p("x"))
	oneLineErr(t, "are the same file", "run", "--tape", p("x"), "--out", p("./x"))
	for f, b := range before {
		got, _ := os.ReadFile(p(f))
		assert.Equal(t, string(b), string(got), "%s is untouched", f)
	}
	assert.NoFileExists(t, p("x"))
	// plot into the directory holding its input: the trace.json it draws would replace it.
	code, _, _ = desrun("run", "--policy", "unsync", "--seed", "53", "--tape", p("plotdir/trace.json"))
	require.Equal(t, ExitUsage, code, "no such directory yet")
	require.NoError(t, os.Mkdir(p("plotdir"), 0o755))
	code, _, _ = desrun("run", "--policy", "unsync", "--seed", "53", "--tape", p("plotdir/trace.json"))
	require.Equal(t, 1, code)
	oneLineErr(t, "is also an input", "plot", p("plotdir/trace.json"), "-o", p("plotdir"))
}

// '#' in a tape's name: replay reads the file, and the reproduce line quotes it.
func TestHashInTapeName(t *testing.T) {
	dir := t.TempDir()
	tape := filepath.Join(dir, "run#1.tape")
	code, _, errOut := desrun("run", "--policy", "unsync", "--seed", "53", "--tape", tape)
	require.Equal(t, 1, code, errOut)
	code, out, errOut := desrun("replay", tape)
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "reproduce    desrun replay '"+tape+"'")
	assert.Contains(t, out, "replayed     exactly")
	// A results file with '#' in its name, by line.
	res := filepath.Join(dir, "sweep#2.jsonl")
	code, _ = sweepFile(t, res, "--policy", "unsync", "--seeds", "1:300")
	require.Equal(t, 1, code)
	code, out, errOut = desrun("replay", res+"#2")
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "reproduce    desrun replay '"+res+"'#2")
}

// A cut or misfitting tape replays with defaults: replay says so instead of "exactly".
func TestReplayOfACutTapeSaysSo(t *testing.T) {
	dir := t.TempDir()
	tape := filepath.Join(dir, "t.tape")
	code, _, _ := desrun("run", "--policy", "unsync", "--seed", "53", "--tape", tape)
	require.Equal(t, 1, code)
	tp, err := des.LoadTape(tape)
	require.NoError(t, err)
	for _, edit := range []func(t *des.Tape){
		func(t *des.Tape) { // cut: keep the first decision of each stream
			for k, v := range t.Streams {
				t.Streams[k] = v[:1]
			}
		},
		func(t *des.Tape) { // misfit: a pick past the end of every choice
			for k, v := range t.Streams {
				if k == "sched" {
					for i := range v {
						v[i] = math.MaxUint32
					}
				}
			}
		},
	} {
		c := tp.Clone()
		edit(c)
		delete(c.Meta, "fingerprint") // nothing to compare against: only the tape can tell
		require.NoError(t, c.Save(tape))
		code, out, errOut := desrun("replay", tape)
		assert.NotEqual(t, ExitUsage, code, errOut)
		assert.NotContains(t, out, "replayed     exactly")
		assert.Contains(t, out, "replayed     not exactly: the tape ran out")
		// With the recorded fingerprint, a different run is an error that says why.
		c.Meta["fingerprint"] = tp.Meta["fingerprint"]
		require.NoError(t, c.Save(tape))
		code, _, errOut = desrun("replay", tape)
		if code == ExitUsage {
			assert.Contains(t, errOut, "the default 0 was used")
		}
	}
}

// JSON names are exact: a file spelled with other cases is refused, not read as the same.
func TestJSONNamesAreCaseSensitive(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	require.NoError(t, os.WriteFile(p("s.json"), []byte(`{"Topology": {"devices": [{"name": "gpu0", "driver": "demo"}]}}`), 0o644))
	oneLineErr(t, `field "Topology": JSON names are case-sensitive`, "run", "--spec", p("s.json"))
	code, _, _ := desrun("run", "--policy", "unsync", "--seed", "53", "--tape", p("t.tape"), "--out", p("run.json"))
	require.Equal(t, 1, code)
	b, _ := os.ReadFile(p("t.tape"))
	require.NoError(t, os.WriteFile(p("t2.tape"), bytes.Replace(b, []byte(`"seed"`), []byte(`"Seed"`), 1), 0o644))
	oneLineErr(t, `field "Seed"`, "replay", p("t2.tape"))
	b, _ = os.ReadFile(p("run.json"))
	require.NoError(t, os.WriteFile(p("run2.json"), bytes.Replace(b, []byte(`"fingerprint"`), []byte(`"Fingerprint"`), 1), 0o644))
	oneLineErr(t, `field "Fingerprint"`, "plot", p("run2.json"), "-o", p("out"))
	code, _ = sweepFile(t, p("r.jsonl"), "--policy", "unsync", "--seeds", "1:300")
	require.Equal(t, 1, code)
	b, _ = os.ReadFile(p("r.jsonl"))
	require.NoError(t, os.WriteFile(p("r2.jsonl"), bytes.Replace(b, []byte(`"violations"`), []byte(`"Violations"`), 1), 0o644))
	oneLineErr(t, `field "Violations"`, "merge", p("r2.jsonl"))
}

// Small things users trip on are refused, not silently accepted.
func TestFlagMistakes(t *testing.T) {
	dir := t.TempDir()
	tape := filepath.Join(dir, "t.tape")
	code, _, _ := desrun("run", "--policy", "unsync", "--seed", "53", "--tape", tape)
	require.Equal(t, 1, code)
	oneLineErr(t, "bad --max-repros -1", "report", tape, "--max-repros", "-1", "-o", filepath.Join(dir, "rep"))
	oneLineErr(t, `bad --policies "sync,": an empty policy name`, "compare", "--scenario", "engine-demo", "--policies", "sync,", "-o", dir)
	oneLineErr(t, `sync twice`, "compare", "--scenario", "engine-demo", "--policies", "sync,sync", "-o", dir)
	oneLineErr(t, `bad --devices "1,1"`, "compare", "--scenario", "engine-demo", "--devices", "1,1", "-o", dir)
	oneLineErr(t, "--policy applies to a run given by flags", "shrink", tape, "--policy", "sync", "--out", filepath.Join(dir, "m.tape"))
	oneLineErr(t, "--seed applies to a run given by flags", "shrink", tape, "--seed", "7", "--out", filepath.Join(dir, "m.tape"))
}

// compare exits 1 when a compared policy violated (unsync does in most runs).
func TestCompareExitsOneOnAViolation(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := desrun("compare", "--scenario", "engine-demo", "--policies", "unsync", "--devices", "1", "--seeds", "50:60", "-o", dir)
	assert.Equal(t, ExitViolation, code, errOut)
	assert.Contains(t, out, "unsync")
}

// Runs a budget cut short are counted, not passes, in every summary.
func TestBudgetEndedRunsAreCounted(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	require.NoError(t, os.WriteFile(p("s.json"), []byte(`{"topology": {"devices": [{"name": "gpu0", "driver": "demo"}]},
	 "apps": [{"kind": "render", "device": "gpu0", "count": 2, "ops": 50, "interval_ns": 2000}],
	 "events": [{"kind": "surprise-removal", "device": "gpu0", "at_ns": 15000}],
	 "budgets": {"max_events": 20}}`), 0o644))
	code, out, errOut := desrun("sweep", "--policy", "unsync", "--spec", p("s.json"), "--seeds", "1:100", "--strategy", "fifo")
	require.Equal(t, ExitPass, code, errOut)
	assert.Contains(t, out, "budget      100 runs cut short by the Spec's budget")
	code, out, _ = desrun("sweep", "--policy", "unsync", "--spec", p("s.json"), "--seeds", "1:100", "--strategy", "fifo", "--json", "--out", p("r.jsonl"))
	require.Equal(t, ExitPass, code)
	assert.Contains(t, out, `"budget_ended":100`)
	code, out, _ = desrun("merge", p("r.jsonl"))
	require.Equal(t, ExitPass, code)
	assert.Contains(t, out, `"budget_ended":100`)
	code, _, errOut = desrun("report", p("r.jsonl"), "-o", p("rep"))
	require.Equal(t, ExitPass, code, errOut)
	page, _ := os.ReadFile(p("rep/index.html"))
	assert.Contains(t, string(page), "cut short by a budget")
	assert.Contains(t, string(page), `<td class="num">100</td>`)
}

// results rewrites a results file line by line.
func rewrite(t *testing.T, from, to string, edit func(lines []string) []string) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	require.NoError(t, os.WriteFile(to, []byte(strings.Join(edit(lines[:len(lines)-1]), "")), 0o644))
}

// Files that contradict themselves are refused by merge and by resume, with one line.
func TestInconsistentResultsRefused(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	args := []string{"--policy", "unsync", "--seeds", "1:600", "--keep-runs", "0"}
	sweepFile(t, p("s1.jsonl"), append(args, "--shard", "1/2")...)
	sweepFile(t, p("s2.jsonl"), append(args, "--shard", "2/2")...)
	sweepFile(t, p("full.jsonl"), args...)

	// Shard 1 relabelled as shard 2: its seeds are not shard 2's.
	rewrite(t, p("s1.jsonl"), p("relabel.jsonl"), func(l []string) []string {
		l[0] = strings.Replace(l[0], `"shard":"1/2"`, `"shard":"2/2"`, 1)
		return l
	})
	oneLineErr(t, "is not one of the file's seeds", "merge", p("s1.jsonl"), p("relabel.jsonl"))
	// Overlapping: the same run lines twice.
	rewrite(t, p("s1.jsonl"), p("dup.jsonl"), func(l []string) []string {
		return append([]string{l[0], l[1]}, l[1:]...)
	})
	oneLineErr(t, "increasing seed order", "merge", p("dup.jsonl"), p("s2.jsonl"))
	// A summary (and checkpoint) claiming 0 violations over failing run lines.
	rewrite(t, p("full.jsonl"), p("liar.jsonl"), func(l []string) []string {
		for i, s := range l {
			if strings.Contains(s, `"type":"checkpoint"`) || strings.Contains(s, `"type":"summary"`) {
				var m map[string]any
				require.NoError(t, json.Unmarshal([]byte(s), &m))
				m["violations"], m["kinds"], m["first_violation_seed"] = 0, map[string]int{}, nil
				b, _ := json.Marshal(m)
				l[i] = string(b) + "\n"
			}
		}
		return l
	})
	oneLineErr(t, "0 violations, but", "merge", p("liar.jsonl"))
	oneLineErr(t, "0 violations, but", "report", p("liar.jsonl"), "-o", p("rep"))
	// A "complete" file with a part of the runs: the summary says 256 runs of 600 seeds.
	rewrite(t, p("full.jsonl"), p("short.jsonl"), func(l []string) []string {
		var keep []string
		var firstCP string
		for _, s := range l {
			if firstCP != "" {
				break
			}
			keep = append(keep, s)
			if strings.Contains(s, `"type":"checkpoint"`) {
				firstCP = s
			}
		}
		sum := strings.Replace(strings.Replace(firstCP, `"type":"checkpoint","next":256,`, `"type":"summary",`, 1), "}\n",
			`,"runs_per_sec":1,"scenario":"engine-demo","policy":"unsync","strategy":"pct:3","seeds":"1:600"}`+"\n", 1)
		return append(keep, sum)
	})
	oneLineErr(t, "256 runs, but the file has 600 seeds", "merge", p("short.jsonl"))
	oneLineErr(t, "256 runs, but the file has 600 seeds", append([]string{"sweep", "--out", p("short.jsonl")}, args...)...)
	// An edited checkpoint: seeds skipped on resume.
	rewrite(t, p("full.jsonl"), p("skip.jsonl"), func(l []string) []string {
		var keep []string
		for _, s := range l {
			if strings.Contains(s, `"type":"checkpoint"`) {
				keep = append(keep, strings.Replace(strings.Replace(s, `"next":256`, `"next":512`, 1), `"runs":256`, `"runs":512`, 1))
				break
			}
			keep = append(keep, s)
		}
		return keep
	})
	oneLineErr(t, "next 512 is 512 seeds past the previous checkpoint", append([]string{"sweep", "--out", p("skip.jsonl")}, args...)...)
	rewrite(t, p("full.jsonl"), p("dupseeds.jsonl"), func(l []string) []string {
		var keep []string
		for _, s := range l {
			if strings.Contains(s, `"type":"checkpoint"`) {
				keep = append(keep, strings.Replace(s, `"next":256`, `"next":128`, 1))
				break
			}
			keep = append(keep, s)
		}
		return keep
	})
	oneLineErr(t, "256 runs, but next is 128", append([]string{"sweep", "--out", p("dupseeds.jsonl")}, args...)...)
}

// A second sweep on one --out is refused while the first holds the file.
func TestSecondWriterRefused(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.jsonl")
	require.NoError(t, os.WriteFile(out, nil, 0o644))
	f, err := os.OpenFile(out, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, lockFile(f))
	oneLineErr(t, "is being written by another desrun", "sweep", "--seeds", "1:10", "--out", out)
	f.Close()
	code, _, errOut := desrun("sweep", "--seeds", "1:10", "--out", out)
	assert.Equal(t, ExitPass, code, errOut)
}

// merge's runs/s is not the shards' rates added up.
func TestMergeRate(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	args := []string{"--policy", "unsync", "--seeds", "1:600"}
	sweepFile(t, p("s1.jsonl"), append(args, "--shard", "1/2")...)
	sweepFile(t, p("s2.jsonl"), append(args, "--shard", "2/2")...)
	var rates []float64
	for _, f := range []string{"s1.jsonl", "s2.jsonl"} {
		rf, err := readResults(p(f))
		require.NoError(t, err)
		rates = append(rates, rf.summary.RunsPerSec)
	}
	code, out, _ := desrun("merge", "--json", "--out", p("m.jsonl"), p("s1.jsonl"), p("s2.jsonl"))
	require.Equal(t, 1, code)
	var sum summary
	require.NoError(t, json.Unmarshal([]byte(out), &sum))
	want := 600 / (300/rates[0] + 300/rates[1])
	assert.InEpsilon(t, want, sum.RunsPerSec, 1e-9)
	assert.LessOrEqual(t, sum.RunsPerSec, max(rates[0], rates[1])+1e-9)
}

// Signals: a sweep without --out reports what it found and exits 130; an interrupted plot,
// report or compare leaves no staging directory.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds desrun")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "desrun")
	build := exec.Command("go", "build", "-o", bin, "hotplugsim/cmd/desrun")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	cmd := exec.Command(bin, "sweep", "--scenario", "engine-demo", "--policy", "unsync", "--seeds", "1:100000000", "-j", "2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	time.Sleep(1500 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	_ = cmd.Wait()
	assert.Equal(t, ExitInterrupted, cmd.ProcessState.ExitCode(), stderr.String())
	assert.Contains(t, stdout.String(), "interrupted  after")
	assert.Regexp(t, `violations\s+[1-9]\d* \{"use-after-unmap"`, stdout.String(), "the violations found are reported")
	assert.Contains(t, stderr.String(), "interrupted after")

	// plot: signal it while it stages its files.
	res := filepath.Join(dir, "m.jsonl")
	require.Equal(t, 0, Main([]string{"sweep", "--policy", "sync", "--seeds", "1:2000", "--metrics", "--out", res}, &bytes.Buffer{}, &bytes.Buffer{}))
	caught := false
	for try := 0; try < 10 && !caught; try++ {
		out := filepath.Join(dir, "plots")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, bin, "plot", res, "-o", out)
		require.NoError(t, cmd.Start())
		for cmd.ProcessState == nil {
			if m, _ := filepath.Glob(filepath.Join(dir, ".desrun-out-*")); len(m) > 0 {
				cmd.Process.Signal(syscall.SIGINT)
				caught = true
				break
			}
			if _, err := os.Stat(out); err == nil {
				break // done before we saw it: try again
			}
			time.Sleep(200 * time.Microsecond)
		}
		_ = cmd.Wait()
		cancel()
		if caught {
			assert.Equal(t, ExitInterrupted, cmd.ProcessState.ExitCode())
			assert.NoDirExists(t, out)
		}
		os.RemoveAll(out)
	}
	require.True(t, caught, "never saw plot's staging directory")
	m, _ := filepath.Glob(filepath.Join(dir, ".desrun-*"))
	assert.Empty(t, m, "staging removed on SIGINT")
}
