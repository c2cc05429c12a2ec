package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/properties"
)

type shrinkOut struct {
	runJSON
	Shrink shrinkStats `json:"shrink"`
}

// The minimal run is the same violation (kind and title) in a run no longer than the
// original; the printed command replays it with the fingerprint shrink verified.
func TestShrinkMinimisesTheRun(t *testing.T) {
	dir := t.TempDir()
	tape := filepath.Join(dir, "m.tape")
	code, out, errOut := desrun("shrink", "--policy", "unsync", "--seed", "53", "--out", tape, "--json")
	require.Equal(t, 1, code, errOut)
	var got shrinkOut
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	s := got.Shrink
	assert.Equal(t, "use-after-unmap", s.Kind)
	assert.Equal(t, properties.ViolationTitle(got.Violation.Message), s.Title)
	assert.LessOrEqual(t, s.EventsAfter, s.EventsBefore)
	assert.Less(t, s.EventsAfter, s.EventsBefore, "a 36-event run shrinks")
	assert.Equal(t, got.Events, s.EventsAfter)
	assert.False(t, s.RunLimit)
	assert.Empty(t, s.Note)
	assert.Equal(t, got.Fingerprint, s.Verified)
	assert.Equal(t, "desrun replay "+tape, got.Reproduce)

	// The printed command reproduces exactly that run.
	code, rep, errOut := desrun(append(strings.Fields(got.Reproduce)[1:], "--json")...)
	require.Equal(t, 1, code, errOut)
	var again runJSON
	require.NoError(t, json.Unmarshal([]byte(rep), &again))
	assert.Equal(t, got.Fingerprint, again.Fingerprint)
	assert.Equal(t, got.Events, again.Events)
	assert.Equal(t, s.Title, properties.ViolationTitle(again.Violation.Message))
}

// Shrinking that stops at --max-runs says so, in text and JSON, and still saves a tape that
// reproduces.
func TestShrinkRunLimit(t *testing.T) {
	dir := t.TempDir()
	want := "stopped at the run limit (5): the result may not be minimal; raise --max-runs"
	code, out, errOut := desrun("shrink", "--policy", "unsync", "--seed", "53", "--max-runs", "5", "--out", filepath.Join(dir, "a.tape"))
	require.Equal(t, 1, code, errOut)
	assert.Contains(t, out, "note    "+want)
	assert.Contains(t, out, "note         "+want)
	code, out, errOut = desrun("shrink", "--policy", "unsync", "--seed", "53", "--max-runs", "5", "--out", filepath.Join(dir, "b.tape"), "--json")
	require.Equal(t, 1, code, errOut)
	var got shrinkOut
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.True(t, got.Shrink.RunLimit)
	assert.Equal(t, want, got.Shrink.Note)
	assert.Equal(t, 5, got.Shrink.Runs)
	assert.Equal(t, 5, got.Shrink.MaxRuns)
	code, _, errOut = desrun("replay", filepath.Join(dir, "b.tape"))
	assert.Equal(t, 1, code, errOut)

	// Enough runs: no note.
	code, out, _ = desrun("shrink", "--policy", "unsync", "--seed", "53", "--out", filepath.Join(dir, "c.tape"))
	require.Equal(t, 1, code)
	assert.NotContains(t, out, "run limit")
}
