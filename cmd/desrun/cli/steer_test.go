package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// steeredArgs is a steered sweep of a buggy policy: generations of 100 seeds, so that the
// first checkpoint (256 seeds) falls inside one, and every failing run keeps its line.
func steeredArgs(out string) []string {
	return []string{"sweep", "--scenario", "engine-demo", "--policy", "unsync", "--spec", "sparse", "--seeds", "1:500",
		"--steer", "--generation", "100", "--keep-runs", "0", "--out", out}
}

// fileRuns returns a results file's run lines (as written) and its summary without the rate.
func fileRuns(t *testing.T, path string) (runs []string, sum string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for l := range strings.Lines(string(b)) {
		switch {
		case strings.Contains(l, `"type":"run"`):
			runs = append(runs, l)
		case strings.Contains(l, `"type":"summary"`):
			sum = regexp.MustCompile(`"runs_per_sec":[0-9.e+-]+`).ReplaceAllString(l, "")
		}
	}
	return runs, sum
}

// A steered sweep's runs (their schedules, verdicts and fingerprints) and its corpus do not
// depend on -j or on a resume from a file cut inside a generation; a steered run's reproduce
// line and its results line rerun it.
func TestSteeredSweepIsTheSameHoweverRun(t *testing.T) {
	dir := t.TempDir()
	one := filepath.Join(dir, "one.jsonl")
	code, _, errOut := desrun(append(steeredArgs(one), "-j", "1")...)
	require.Equal(t, ExitViolation, code, errOut)
	runs, sum := fileRuns(t, one)
	require.NotEmpty(t, runs)
	assert.Contains(t, sum, `"corpus":`)
	assert.Contains(t, sum, `"steered":`)

	two := filepath.Join(dir, "two.jsonl")
	code, _, errOut = desrun(append(steeredArgs(two), "-j", "2")...)
	require.Equal(t, ExitViolation, code, errOut)
	runs2, sum2 := fileRuns(t, two)
	assert.Equal(t, runs, runs2)
	assert.Equal(t, sum, sum2)

	b, err := os.ReadFile(two)
	require.NoError(t, err)
	cut := ""
	for l := range strings.Lines(string(b)) {
		cut += l
		if strings.Contains(l, `"type":"checkpoint"`) {
			break
		}
	}
	require.Contains(t, cut, `"next":256`, "the cut falls inside the third generation")
	require.NoError(t, os.WriteFile(two, []byte(cut), 0o644))
	code, _, errOut = desrun(append(steeredArgs(two), "-j", "2")...)
	require.Equal(t, ExitViolation, code, errOut)
	runs3, sum3 := fileRuns(t, two)
	assert.Equal(t, runs, runs3)
	assert.Equal(t, sum, sum3)

	// The first steered failing run reruns from its reproduce line and from its results line.
	for n, l := range strings.Split(readString(t, one), "\n") {
		var r runLine
		if !strings.Contains(l, `"type":"run"`) || json.Unmarshal([]byte(l), &r) != nil || !strings.Contains(r.Strategy, "@") {
			continue
		}
		assert.Contains(t, r.Reproduce, "--spec sparse --seed "+strconv.FormatUint(r.Seed, 10)+" --strategy "+r.Strategy)
		code, out, errOut := desrun(append(strings.Fields(r.Reproduce)[1:], "--json")...)
		require.Equal(t, ExitViolation, code, errOut)
		assert.Contains(t, out, `"fingerprint":"`+r.Fingerprint+`"`)
		code, out, errOut = desrun("replay", one+"#"+strconv.Itoa(n+1))
		assert.Equal(t, ExitViolation, code, errOut)
		assert.Contains(t, out, r.Fingerprint)
		return
	}
	t.Fatal("no failing run was steered")
}

func readString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// Steering changes the runs of later generations only: the first generation's runs are the
// unsteered sweep's, and later ones run mutated corpus schedules.
func TestSteeringChangesLaterGenerations(t *testing.T) {
	args := []string{"sweep", "--scenario", "engine-demo", "--policy", "unsync", "--seeds", "1:300", "--json", "--keep-runs", "0"}
	code, plain, errOut := desrun(args...)
	require.Equal(t, ExitViolation, code, errOut)
	code, steered, errOut := desrun(append(args, "--steer", "--generation", "50")...)
	require.Equal(t, ExitViolation, code, errOut)
	byseed := func(out string) map[uint64]runLine {
		m := map[uint64]runLine{}
		for l := range strings.Lines(out) {
			var r runLine
			if strings.Contains(l, `"type":"run"`) && json.Unmarshal([]byte(l), &r) == nil {
				m[r.Seed] = r
			}
		}
		return m
	}
	p, s := byseed(plain), byseed(steered)
	mutated := 0
	for seed := uint64(1); seed <= 300; seed++ {
		a, inP := p[seed]
		b, inS := s[seed]
		if seed <= 50 {
			assert.Equal(t, inP, inS, "seed %d of the first generation", seed)
			if inP && inS {
				assert.Equal(t, a.Fingerprint, b.Fingerprint, "seed %d", seed)
				assert.Equal(t, "pct:3", b.Strategy)
			}
			continue
		}
		if inS && strings.Contains(b.Strategy, "@") {
			mutated++
			assert.Regexp(t, `^pct:3:\d+@\d+/\d+,\d+$`, b.Strategy)
		}
	}
	assert.Positive(t, mutated, "later generations run corpus schedules")
	sum := sweepSummary(t, steered)
	assert.Positive(t, sum.Corpus)
	assert.Positive(t, sum.Steered)
	assert.Less(t, sum.Steered, uint64(250), "about half the later runs are steered")
}

func TestSteerRefusesBadInput(t *testing.T) {
	oneLineErr(t, "--steer steers PCT", "sweep", "--steer", "--strategy", "random")
	oneLineErr(t, "--steer steers PCT", "sweep", "--steer", "--strategy", "pct:3:40@1/2,3")
	oneLineErr(t, "--steer cannot be sharded", "sweep", "--steer", "--shard", "1/2")
	oneLineErr(t, "bad --generation 0", "sweep", "--steer", "--generation", "0")
	oneLineErr(t, "--generation needs --steer", "sweep", "--generation", "10")
	oneLineErr(t, "want pct:D:K@P/C", "run", "--strategy", "pct:3:40@1/50,2")
	oneLineErr(t, "want pct:D:K@P/C", "sweep", "--strategy", "pct:2:40@x/1")
}
