package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func smallSpec(t *testing.T, json string) string {
	p := filepath.Join(t.TempDir(), "spec.json")
	require.NoError(t, os.WriteFile(p, []byte(json), 0o644))
	return p
}

const demoSmall = `{"topology":{"devices":[{"name":"gpu0","driver":"demo"}]},"apps":[{"kind":"render","device":"gpu0","count":1,"ops":3,"interval_ns":3000}],"events":[{"kind":"unplug","device":"gpu0","at_ns":5000}]}`

// explore proves the fixed engine-demo policy clean within bound 2 and finds the buggy one,
// whose saved schedule replays exactly.
func TestExploreProvesAndFinds(t *testing.T) {
	spec := smallSpec(t, demoSmall)
	code, out, errOut := desrun("explore", "--policy", "sync", "--spec", spec)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "exhausted: 43 schedules within delay bound 2 (seeds 1), none failed")

	tape := filepath.Join(t.TempDir(), "f.tape")
	code, out, errOut = desrun("explore", "--policy", "unsync", "--spec", spec, "--tape", tape)
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "use-after-unmap")
	assert.Contains(t, out, "desrun replay "+tape)
	code, out, errOut = desrun("replay", tape)
	assert.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "replayed     exactly")
}

// --cost deviations searches by deviations, finds the buggy policy, and its state file is
// not resumed by a delay search.
func TestExploreDeviations(t *testing.T) {
	spec := smallSpec(t, demoSmall)
	code, out, errOut := desrun("explore", "--policy", "sync", "--spec", spec, "--cost", "deviations")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "within deviation bound 2")
	code, out, errOut = desrun("explore", "--policy", "unsync", "--spec", spec, "--cost", "deviations")
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "deviations, use-after-unmap")

	state := filepath.Join(t.TempDir(), "st.json")
	code, _, errOut = desrun("explore", "--policy", "sync", "--spec", spec, "--cost", "deviations", "--state", state, "--max-schedules", "5")
	require.Equal(t, 0, code, errOut)
	code, _, errOut = desrun("explore", "--policy", "sync", "--spec", spec, "--state", state)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "state of another search")
	code, _, _ = desrun("explore", "--policy", "sync", "--spec", spec, "--cost", "preemptions")
	assert.Equal(t, 2, code)
}

// A search interrupted by its schedule limit resumes from its state file and ends where a
// whole search ends; a finished state refuses to run again.
func TestExploreResumes(t *testing.T) {
	spec := smallSpec(t, demoSmall)
	state := filepath.Join(t.TempDir(), "st.json")
	code, out, errOut := desrun("explore", "--policy", "sync", "--spec", spec, "--state", state, "--max-schedules", "20")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "not exhausted: stopped after 20 schedules")
	code, out, errOut = desrun("explore", "--policy", "sync", "--spec", spec, "--state", state)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "exhausted: 23 schedules", "the rest of the 43")
	code, _, errOut = desrun("explore", "--policy", "sync", "--spec", spec, "--state", state)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "has finished")
	code, _, errOut = desrun("explore", "--policy", "unsync", "--spec", spec, "--state", state)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "state of another search")
}

func TestExploreBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"explore", "--bound", "9"},
		{"explore", "--bound", "-1"},
		{"explore", "--max-schedules", "0"},
		{"explore", "--shard", "3/2"},
		{"explore", "--seeds", "5:1"},
		{"explore", "--seeds", "1:3", "--state", "x.json"},
	} {
		code, _, errOut := desrun(args...)
		assert.Equal(t, 2, code, "%v", args)
		assert.Regexp(t, `^desrun explore: [^\n]+\n$`, errOut, "%v", args)
	}
}

// The reduction's pruned schedules are counted in the verdict; --por=false runs them all to
// the same verdict.
func TestExplorePOR(t *testing.T) {
	code, out, errOut := desrun("explore", "--policy", "sync", "--cost", "deviations")
	require.Equal(t, 0, code, errOut)
	assert.Regexp(t, `exhausted: \d+ schedules within deviation bound 2 \(seeds 1\) \(\d+ pruned as equivalent\), none failed`, out)
	code, out, errOut = desrun("explore", "--policy", "sync", "--cost", "deviations", "--por=false")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "exhausted: 2217 schedules within deviation bound 2 (seeds 1), none failed")
}
