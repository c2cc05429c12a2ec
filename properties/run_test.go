package properties_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/properties"
	"hotplugsim/workloads"
)

// fakeTB is a testing.TB that records what Run reports instead of failing the test that runs
// it (any other method of testing.TB panics: Run does not use it).
type fakeTB struct {
	testing.TB
	name string
	errs []string
	logs []string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

var _ properties.TB = testing.TB(nil) // Run takes any testing.TB

func engineDemo(t *testing.T) *workloads.Scenario {
	sc, err := workloads.Lookup("engine-demo")
	require.NoError(t, err)
	return sc
}

// A buggy policy fails the test with the violation and saves the failure under the caller's
// testdata/hotplugsim/<test name>/; the next run replays it before the property run.
func TestRunSavesAndReplaysAFailure(t *testing.T) {
	t.Chdir(t.TempDir()) // the default directory is relative: keep it out of the repository
	t.Setenv("DES_SEED", "")
	sc := engineDemo(t)
	tb := &fakeTB{name: "TestDriver"}
	f := properties.Run(tb, sc, "unsync", properties.Config{Tests: 150})
	require.NotNil(t, f)
	require.Len(t, tb.errs, 1)
	msg := tb.errs[0]
	v := f.Outcome.Violation
	assert.Contains(t, msg, fmt.Sprintf("property engine-demo/unsync failed: use-after-unmap at %v in %s", des.Duration(v.TimeNs), v.Process))
	dir := filepath.Join("testdata", "hotplugsim", "TestDriver")
	assert.Equal(t, dir, filepath.Dir(f.Saved))
	assert.Contains(t, msg, "saved to "+f.Saved+" (replayed first by the next go test)")
	assert.Contains(t, msg, "reproduce: desrun replay "+f.Saved)
	assert.Contains(t, msg, "rerun the property run: DES_SEED=1 go test hotplugsim/properties -run '^TestDriver$'")
	assert.NotContains(t, msg, "-desseed")
	require.NotNil(t, f.Shrunk, "Run shrinks the failing run after gopter")
	assert.Contains(t, msg, fmt.Sprintf("then its run: %d -> %d trace events", f.Shrunk.Base.Events, f.Outcome.Events))
	assert.LessOrEqual(t, f.Outcome.Events, f.Shrunk.Base.Events)

	// The file is a desrun tape: Spec, seed and every decision; it replays the run exactly.
	b, err := os.ReadFile(f.Saved)
	require.NoError(t, err)
	tape, err := des.DecodeTape(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, f.Seed, tape.Seed)
	assert.Equal(t, "engine-demo", tape.Meta["scenario"])
	assert.Equal(t, "unsync", tape.Meta["policy"])
	spec, err := workloads.DecodeSpec(strings.NewReader(tape.Meta["spec"]))
	require.NoError(t, err)
	assert.True(t, spec.Equal(f.Spec))
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: "unsync", Spec: &spec, Tape: tape})
	require.NoError(t, err)
	assert.Equal(t, f.Outcome.Fingerprint, o.Fingerprint)
	assert.Equal(t, f.Outcome.Fingerprint, tape.Meta["fingerprint"])

	// Next run: the saved failure is replayed first, even where the property run (one case)
	// would not find it, and nothing new is saved.
	tb2 := &fakeTB{name: "TestDriver"}
	g := properties.Run(tb2, sc, "unsync", properties.Config{Tests: 1})
	require.NotNil(t, g)
	require.Len(t, tb2.errs, 1)
	assert.Contains(t, tb2.errs[0], "saved failure "+f.Saved+" fails again (replayed before the property run)")
	assert.Equal(t, f.Outcome.Fingerprint, g.Outcome.Fingerprint)
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.Equal(t, []string{f.Saved}, files)

	// Another test's failures are its own.
	tb3 := &fakeTB{name: "TestOther"}
	assert.Nil(t, properties.Run(tb3, sc, "unsync", properties.Config{Tests: 1}))
	assert.Empty(t, tb3.errs)
}

// A fixed policy passes and writes nothing; a saved failure that no longer fails (here: a
// failure file of the fixed policy) is replayed, kept, and the property run goes on.
func TestRunFixedPolicyPasses(t *testing.T) {
	base := t.TempDir()
	sc := engineDemo(t)
	tb := &fakeTB{name: "TestFixed"}
	assert.Nil(t, properties.Run(tb, sc, "sync", properties.Config{Tests: 50, Dir: base}))
	assert.Empty(t, tb.errs)
	_, err := os.Stat(filepath.Join(base, "TestFixed"))
	assert.True(t, os.IsNotExist(err), "nothing saved")

	bug := &fakeTB{name: "TestFixed"}
	f := properties.Run(bug, sc, "unsync", properties.Config{Tests: 150, Dir: base})
	require.NotNil(t, f)
	b, err := os.ReadFile(f.Saved)
	require.NoError(t, err)
	tape, err := des.DecodeTape(bytes.NewReader(b))
	require.NoError(t, err)
	tape.Meta["policy"] = "sync"
	var buf bytes.Buffer
	require.NoError(t, tape.Encode(&buf))
	fixed := filepath.Join(base, "TestFixed", "0fixed.json")
	require.NoError(t, os.WriteFile(fixed, buf.Bytes(), 0o644))
	tb = &fakeTB{name: "TestFixed"}
	assert.Nil(t, properties.Run(tb, sc, "sync", properties.Config{Tests: 50, Dir: base}))
	assert.Empty(t, tb.errs)
	assert.FileExists(t, fixed)
}

// A failure file that cannot be read fails the test with its name, not silently.
func TestRunBadFailureFile(t *testing.T) {
	base := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(base, "TestBad"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(base, "TestBad", "x.json"), []byte("not json"), 0o644))
	tb := &fakeTB{name: "TestBad"}
	assert.Nil(t, properties.Run(tb, engineDemo(t), "sync", properties.Config{Tests: 5, Dir: base}))
	require.Len(t, tb.errs, 1)
	assert.Contains(t, tb.errs[0], "saved failure "+filepath.Join(base, "TestBad", "x.json"))
}

// A subtest's failures live in a directory per name part; the rerun line anchors each part.
func TestRunSubtestNames(t *testing.T) {
	base := t.TempDir()
	tb := &fakeTB{name: "TestDriver/engine demo/unsync"}
	f := properties.Run(tb, engineDemo(t), "unsync", properties.Config{Tests: 150, Dir: base})
	require.NotNil(t, f)
	assert.Equal(t, filepath.Join(base, "TestDriver", "engine_demo", "unsync"), filepath.Dir(f.Saved))
	assert.Equal(t, `DES_SEED=7 go test example.com/x -run '^TestA$/^b\.c$'`, properties.RerunLine("example.com/x", "TestA/b.c", 7))
	assert.Equal(t, `DES_SEED=7 go test .`, properties.RerunLine("", "", 7))
}
