package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/properties"
	"hotplugsim/workloads"
)

// A failure found by a go test property run is replayed by the desrun line it prints.
func TestPropertyFailureReplaysInDesrun(t *testing.T) {
	sc, err := workloads.Lookup("engine-demo")
	require.NoError(t, err)
	f, err := properties.Check(sc, "unsync", properties.Config{Tests: 500})
	require.NoError(t, err)
	require.NotNil(t, f)
	rep := f.Report("")
	defer os.Remove(f.SpecPath())
	i := strings.Index(rep, "reproduce: ")
	require.GreaterOrEqual(t, i, 0, rep)
	line := strings.TrimSpace(strings.SplitN(rep[i+len("reproduce: "):], "\n", 2)[0])
	args := strings.Fields(line)
	require.Equal(t, "desrun", args[0])
	code, out, errOut := desrun(append(args[1:], "--json")...)
	require.Equal(t, 1, code, errOut)
	var got runJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, f.Outcome.Fingerprint, got.Fingerprint)
	assert.Equal(t, f.Outcome.Kind(), got.Violation.Kind)
}

// A failure that properties.Run saves replays exactly in desrun.
func TestPropertyRunFailureFileReplaysInDesrun(t *testing.T) {
	sc, err := workloads.Lookup("engine-demo")
	require.NoError(t, err)
	tb := &silentTB{name: "TestSaved"}
	f := properties.Run(tb, sc, "unsync", properties.Config{Tests: 500, Dir: t.TempDir()})
	require.NotNil(t, f)
	require.NotEmpty(t, tb.errs)
	assert.Contains(t, tb.errs[0], "reproduce: desrun replay "+f.Saved)
	code, out, errOut := desrun("replay", f.Saved, "--json")
	require.Equal(t, 1, code, errOut)
	var got runJSON
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, f.Outcome.Fingerprint, got.Fingerprint)
	assert.Equal(t, f.Outcome.Kind(), got.Violation.Kind)
}

type silentTB struct {
	name string
	errs []string
}

func (s *silentTB) Helper()      {}
func (s *silentTB) Name() string { return s.name }
func (s *silentTB) Errorf(format string, args ...any) {
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}
func (s *silentTB) Logf(string, ...any) {}
