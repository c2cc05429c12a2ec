package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sweepSummary(t *testing.T, out string) summary {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s summary
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &s))
	return s
}

// A sweep's coverage does not depend on -j, on the shard split (merged) or on a resume, and
// the summary says how many PCT runs had no change point inside.
func TestSweepCoverageIsTheSameHoweverRun(t *testing.T) {
	dir := t.TempDir()
	args := []string{"sweep", "--policy", "sync", "--seeds", "1:400", "--coverage", "--json"}
	code, out, errOut := desrun(append(args, "-j", "1")...)
	require.Equal(t, 0, code, errOut)
	one := sweepSummary(t, out)
	require.NotNil(t, one.Coverage)
	assert.NotEmpty(t, one.Coverage.Pairs)
	assert.Positive(t, one.Coverage.BothOrders)
	assert.Positive(t, one.NoChangePoint, "some engine-demo runs are shorter than the estimated k")

	code, out, _ = desrun(append(args, "-j", "2")...)
	require.Equal(t, 0, code)
	assert.Equal(t, one.Coverage, sweepSummary(t, out).Coverage)

	var parts []string
	for _, k := range []string{"1/2", "2/2"} {
		p := filepath.Join(dir, strings.Replace(k, "/", "of", 1)+".jsonl")
		code, _, errOut = desrun(append(args, "--shard", k, "--out", p)...)
		require.Equal(t, 0, code, errOut)
		parts = append(parts, p)
	}
	code, out, errOut = desrun(append([]string{"merge", "--json"}, parts...)...)
	require.Equal(t, 0, code, errOut)
	merged := sweepSummary(t, out)
	assert.Equal(t, one.Coverage.Pairs, merged.Coverage.Pairs)
	assert.Equal(t, one.Coverage.Steps, merged.Coverage.Steps)
	assert.Equal(t, one.NoChangePoint, merged.NoChangePoint)

	// A file cut after its first checkpoint resumes to the same coverage.
	whole := filepath.Join(dir, "whole.jsonl")
	code, _, errOut = desrun(append(args, "--out", whole)...)
	require.Equal(t, 0, code, errOut)
	b, err := os.ReadFile(whole)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	cut := ""
	for _, l := range lines {
		cut += l
		if strings.Contains(l, `"type":"checkpoint"`) {
			break
		}
	}
	require.NoError(t, os.WriteFile(whole, []byte(cut), 0o644))
	code, out, errOut = desrun(append(args, "--out", whole)...)
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, one.Coverage, sweepSummary(t, out).Coverage)
}
