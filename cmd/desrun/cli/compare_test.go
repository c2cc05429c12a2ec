package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compare's plots mark a policy that violated with its count from compare.json, and leave a
// policy that did not unmarked.
func TestComparePlotsMarkViolatedPolicies(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := desrun("compare", "--scenario", "engine-demo", "--policies", "sync,unsync", "--devices", "1", "--seeds", "50:60", "-o", dir)
	require.Equal(t, ExitViolation, code, errOut)
	b, err := os.ReadFile(filepath.Join(dir, "compare.json"))
	require.NoError(t, err)
	var cf compareFile
	require.NoError(t, json.Unmarshal(b, &cf))
	svgs, err := filepath.Glob(filepath.Join(dir, "compare-*.svg"))
	require.NoError(t, err)
	require.NotEmpty(t, svgs)
	marked := 0
	for _, r := range cf.Rows {
		for _, path := range svgs {
			svg, err := os.ReadFile(path)
			require.NoError(t, err)
			label := regexp.MustCompile(`>` + regexp.QuoteMeta(r.Policy) + `: violated in \d+/\d+ runs`)
			if r.Violations == 0 {
				assert.NotRegexp(t, label, string(svg), "%s in %s", r.Policy, path)
				continue
			}
			if !strings.Contains(string(svg), ">"+r.Policy+" p50") {
				continue // the metric has no latency for this policy
			}
			assert.Contains(t, string(svg), fmt.Sprintf(">%s: violated in %d/%d runs", r.Policy, r.Violations, r.Runs), path)
			marked++
		}
	}
	assert.Positive(t, marked, "unsync violated: at least one plot marks it")
}
