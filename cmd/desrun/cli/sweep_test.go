package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sweepFile(t *testing.T, path string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"sweep", "--out", path}, args...), &out, &errb)
	require.Empty(t, errb.String())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return code, string(b)
}

// Results are identical whatever -j is.
func TestSweepIndependentOfJobs(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--policy", "unsync", "--seeds", "1:1500"}
	_, one := sweepFile(t, filepath.Join(dir, "j1.jsonl"), append(args, "-j", "1")...)
	_, four := sweepFile(t, filepath.Join(dir, "j4.jsonl"), append(args, "-j", "4")...)
	_, many := sweepFile(t, filepath.Join(dir, "j13.jsonl"), append(args, "-j", "13")...)
	assert.Equal(t, normalise(one, ""), normalise(four, ""))
	assert.Equal(t, normalise(one, ""), normalise(many, ""))
	// --stop-after is deterministic too.
	_, s1 := sweepFile(t, filepath.Join(dir, "s1.jsonl"), append(args, "-j", "1", "--stop-after", "7")...)
	_, s4 := sweepFile(t, filepath.Join(dir, "s4.jsonl"), append(args, "-j", "4", "--stop-after", "7")...)
	assert.Equal(t, normalise(s1, ""), normalise(s4, ""))
	assert.Contains(t, s1, `"violations":7,`)
	assert.Contains(t, s1, `"stopped":true`)
}

// Shards cover the range exactly once, and merge gives the unsharded results.
func TestShardAndMerge(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	args := []string{"--policy", "unsync", "--seeds", "1:1000"}
	_, full := sweepFile(t, p("full.jsonl"), args...)
	for _, k := range []string{"1/3", "2/3", "3/3"} {
		sweepFile(t, p("part"+k[:1]+".jsonl"), append(args, "--shard", k)...)
	}
	code, out, errOut := desrun("merge", "--out", p("merged.jsonl"), p("part3.jsonl"), p("part1.jsonl"), p("part2.jsonl"))
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "runs        1000")
	merged, err := os.ReadFile(p("merged.jsonl"))
	require.NoError(t, err)
	fr, err := parseResults([]byte(full))
	require.NoError(t, err)
	mr, err := parseResults(merged)
	require.NoError(t, err)
	assert.Equal(t, runsOf(fr), runsOf(mr))
	assert.Equal(t, fr.summary.totals, mr.summary.totals)
	require.NotEmpty(t, fr.summary.Signatures)
	assert.Equal(t, fr.summary.Signatures, mr.summary.Signatures)
	assert.Equal(t, "1/1", mr.header.Shard)
	// The merged file is a complete results file of the whole sweep: sweep --out just reports it.
	code, again, _ := desrun(append([]string{"sweep", "--out", p("merged.jsonl")}, args...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, again, "violations  ")
	// Replay a merged line.
	code, rep, errOut := desrun("replay", p("merged.jsonl")+"#2")
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, rep, "replayed     exactly")

	// Two of three shards: merged, with the shards named; to stdout without --out.
	code, out, _ = desrun("merge", p("part1.jsonl"), p("part2.jsonl"))
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `"shards":[1,2]`)
	assert.Contains(t, out, `"shard":"1,2/3"`)
}

func runsOf(rf *resultsFile) []string {
	var out []string
	for _, r := range rf.runs {
		out = append(out, r.Fingerprint)
	}
	return out
}

// A sweep cut anywhere (as kill -9 would leave it, even mid-line) resumes to the same file.
func TestSweepResume(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--policy", "unsync", "--seeds", "1:1000", "-j", "2"}
	_, want := sweepFile(t, filepath.Join(dir, "full.jsonl"), args...)
	wantRes, err := parseResults([]byte(want))
	require.NoError(t, err)
	for _, cut := range []int{0, 10, len(want) / 3, len(want) / 2, len(want) - 5, len(want) - 1} {
		path := filepath.Join(dir, "cut.jsonl")
		require.NoError(t, os.WriteFile(path, []byte(want[:cut]), 0o644))
		code, got := sweepFile(t, path, args...)
		assert.Equal(t, 1, code)
		gotRes, err := parseResults([]byte(got))
		require.NoError(t, err, "cut at %d", cut)
		assert.Equal(t, runsOf(wantRes), runsOf(gotRes), "cut at %d", cut)
		assert.Equal(t, wantRes.summary.totals, gotRes.summary.totals, "cut at %d", cut)
		assert.Equal(t, wantRes.summary.Signatures, gotRes.summary.Signatures, "cut at %d", cut)
	}
	// A complete file is not rerun: the command reprints its summary.
	before, _ := os.ReadFile(filepath.Join(dir, "full.jsonl"))
	code, out, _ := desrun(append([]string{"sweep", "--out", filepath.Join(dir, "full.jsonl")}, args...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "runs        1000")
	after, _ := os.ReadFile(filepath.Join(dir, "full.jsonl"))
	assert.Equal(t, before, after)
}

// A results file from before --keep-runs (its header has no keep_runs: every failing run has
// a run line) resumes as that, without the flag; with another --keep-runs the error names the
// one to give.
func TestSweepResumesFileFromBeforeKeepRuns(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--policy", "unsync", "--seeds", "1:600", "-j", "2"}
	_, want := sweepFile(t, filepath.Join(dir, "full.jsonl"), append(args, "--keep-runs", "0")...)
	require.NotContains(t, want, "keep_runs", "a --keep-runs 0 header is the one written before the flag")
	wantRes, err := parseResults([]byte(want))
	require.NoError(t, err)
	path := filepath.Join(dir, "old.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(want[:len(want)/2]), 0o644))

	code, out, errOut := desrun(append([]string{"sweep", "--out", path, "--keep-runs", "10"}, args...)...)
	assert.Equal(t, ExitUsage, code, out)
	assert.Contains(t, errOut, "was written with --keep-runs 0 (0: every run): rerun with --keep-runs 0 to resume it")

	code, got := sweepFile(t, path, args...)
	assert.Equal(t, 1, code)
	gotRes, err := parseResults([]byte(got))
	require.NoError(t, err)
	assert.Equal(t, runsOf(wantRes), runsOf(gotRes))
	assert.Equal(t, wantRes.summary.totals, gotRes.summary.totals)
	assert.NotContains(t, got, "keep_runs")
}

// The real thing: a desrun process killed mid-sweep (SIGKILL, then SIGINT) leaves a file that
// reads back consistent, and rerunning the command finishes it with the uninterrupted result.
func TestKilledMidSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds desrun")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "desrun")
	build := exec.Command("go", "build", "-o", bin, "hotplugsim/cmd/desrun")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	out := filepath.Join(dir, "r.jsonl")
	args := []string{"sweep", "--scenario", "engine-demo", "--policy", "unsync", "--seeds", "1:60000", "-j", "2", "--out", out}

	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		before := countCheckpoints(out)
		require.NoError(t, cmd.Start())
		waitForCheckpoints(t, out, before+3)
		require.NoError(t, cmd.Process.Signal(sig))
		err := cmd.Wait()
		require.Error(t, err, "the sweep finished before the signal: make it longer")
		b, rerr := os.ReadFile(out)
		require.NoError(t, rerr)
		rf, perr := parseResults(b)
		require.NoError(t, perr, "%v left a file that does not read back", sig)
		assert.Nil(t, rf.summary, "%v: no summary in an unfinished file", sig)
		require.NotNil(t, rf.last)
		if sig == syscall.SIGINT {
			assert.Equal(t, ExitInterrupted, cmd.ProcessState.ExitCode())
			assert.Contains(t, stdout.String(), "interrupted  after", "a partial summary")
			assert.Contains(t, stdout.String(), "violations  ")
			assert.Contains(t, stderr.String(), "interrupted after")
			assert.Contains(t, stderr.String(), "rerun the same command to resume")
			assert.True(t, bytes.HasSuffix(b, []byte("\n")), "SIGINT leaves only whole lines")
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"))
		}
	}
	cmd := exec.Command(bin, args...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	require.Equal(t, 1, cmd.ProcessState.ExitCode(), "%v", err)
	assert.Contains(t, stdout.String(), "runs        60000")
	resumed, _ := os.ReadFile(out)

	_, want := sweepFile(t, filepath.Join(dir, "whole.jsonl"), args[1:len(args)-2]...)
	wr, err := parseResults([]byte(want))
	require.NoError(t, err)
	rr, err := parseResults(resumed)
	require.NoError(t, err)
	assert.Equal(t, runsOf(wr), runsOf(rr))
	assert.Equal(t, wr.summary.totals, rr.summary.totals)
}

func waitForCheckpoints(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if countCheckpoints(path) >= n {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("no %d checkpoints in %s", n, path)
}

func countCheckpoints(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	c := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"type":"checkpoint"`) {
			c++
		}
	}
	return c
}

// Each signature's count, first seed and reproduce line are those of its run lines, and a
// summary whose signatures disagree with them is refused.
func TestSweepSignatures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.jsonl")
	_, got := sweepFile(t, path, "--policy", "unsync", "--seeds", "1:300", "-j", "2")
	rf, err := parseResults([]byte(got))
	require.NoError(t, err)
	sigs := rf.summary.Signatures
	require.NotEmpty(t, sigs)
	total := uint64(0)
	for i, s := range sigs {
		total += s.Count
		assert.Equal(t, s.Signature.ID(), s.ID)
		assert.Contains(t, s.Reproduce, fmt.Sprintf("--seed %d ", s.FirstSeed))
		if i > 0 {
			assert.Less(t, sigs[i-1].FirstSeed, s.FirstSeed)
		}
	}
	assert.Equal(t, rf.summary.Violations, total)
	assert.Equal(t, "mmio-read", sigs[0].Func)
	code, out, _ := desrun("sweep", "--out", path, "--policy", "unsync", "--seeds", "1:300")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "signatures ("+fmt.Sprint(len(sigs))+")")
	assert.Contains(t, out, "  "+sigs[0].ID+"  "+sigs[0].Reproduce)

	bad := strings.Replace(got, fmt.Sprintf(`"count":%d,`, sigs[0].Count), fmt.Sprintf(`"count":%d,`, sigs[0].Count+1), 1)
	_, err = parseResults([]byte(bad))
	assert.ErrorContains(t, err, "signatures are not those of the run lines")
}

// --keep-runs N writes the first N failing runs of each signature and counts the rest: the
// summary is the one of a sweep that kept every line, resuming with another N is refused (the
// error names the N to give), and
// a checkpoint that drops runs before N lines of their signature is refused.
func TestSweepKeepRuns(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	args := []string{"--policy", "unsync", "--seeds", "1:600", "-j", "2"}
	_, all := sweepFile(t, p("all.jsonl"), append(args, "--keep-runs", "0")...)
	_, three := sweepFile(t, p("three.jsonl"), append(args, "--keep-runs", "3")...)
	ra, err := parseResults([]byte(all))
	require.NoError(t, err)
	r3, err := parseResults([]byte(three))
	require.NoError(t, err)
	assert.Len(t, r3.runs, 3*len(r3.summary.Signatures))
	assert.Greater(t, len(ra.runs), len(r3.runs))
	assert.Equal(t, ra.summary.totals, r3.summary.totals)
	assert.Equal(t, ra.summary.Signatures, r3.summary.Signatures)
	assert.Equal(t, runsOf(ra)[:3], runsOf(r3))
	assert.Less(t, len(three), len(all)/4)

	code, _, errOut := desrun(append([]string{"sweep", "--out", p("three.jsonl"), "--keep-runs", "4"}, args...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "was written with --keep-runs 3 (0: every run): rerun with --keep-runs 3 to resume it")
	code, _, errOut = desrun(append([]string{"sweep", "--keep-runs", "-1"}, args...)...)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "bad --keep-runs -1")

	// Two lines instead of three above the first drop.
	lines := strings.SplitAfter(three, "\n")
	var cut []string
	dropped := 0
	for _, l := range lines {
		if strings.Contains(l, `"type":"run"`) {
			if dropped == 0 {
				dropped++
				continue
			}
		}
		cut = append(cut, l)
	}
	_, err = parseResults([]byte(strings.Join(cut, "")))
	assert.Error(t, err)
}
