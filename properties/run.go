package properties

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"

	"hotplugsim/des"
	"hotplugsim/internal/atomicfile"
	"hotplugsim/workloads"
)

// TB is the part of testing.TB that Run uses; *testing.T and *testing.B satisfy it.
type TB interface {
	Helper()
	Name() string
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// DefaultFailureDir is where Run saves failures and replays them from, relative to the
// directory go test runs a package's tests in (the package's own directory).
var DefaultFailureDir = filepath.Join("testdata", "hotplugsim")

// Run is a property run as a test: it checks that sc under policy runs without a violation
// (Check) and fails t with the violation if not. A failure is saved, gopter-shrunk, as a
// desrun tape file (its Spec, des seed and every decision of the run, enough to replay it
// exactly, also with 'desrun replay FILE') under <cfg.Dir>/<test name>/<hash>.json, and the
// failure message names the file, the desrun line that replays it and the line that reruns
// the property run (DES_SEED=N go test <the caller's package> -run '^TestX$').
//
// Before the property run, Run replays the failures saved for the test, scenario and policy,
// in file name order: the first that still fails fails t, and the property run is skipped.
// Saved failures that pass (the bug was fixed) stay, as regression cases; delete a file to
// drop it. Run returns the failure it reported (nil if the property held) or nil after an
// error it reported through t (a bad policy, an unreadable failure file).
func Run(t TB, sc *workloads.Scenario, policy string, cfg Config) *Failure {
	t.Helper()
	dir, err := failureDir(cfg.Dir, t.Name())
	if err != nil {
		t.Errorf("properties.Run: %v", err)
		return nil
	}
	pkg := callerPackage()
	if f, err := replaySaved(dir, sc, policy, cfg.Kind); err != nil {
		t.Errorf("properties.Run: %v", err)
		return nil
	} else if f != nil {
		f.Package = pkg
		if c, err := cfg.withDefaults(); err == nil {
			f.GopterSeed = c.Seed
		}
		t.Errorf("%s", f.report(t.Name(), "saved failure "+f.Saved+" fails again (replayed before the property run)"))
		return f
	}
	f, err := Check(sc, policy, cfg)
	if err != nil {
		t.Errorf("properties.Run: %v", err)
		return nil
	}
	if f == nil {
		return nil
	}
	f.Package = pkg
	note := ""
	if err := f.shrinkRun(cfg); err != nil {
		note = "could not shrink the failing run: " + err.Error() + "\n"
	}
	if err := f.save(dir); err != nil {
		note += "could not save the failure: " + err.Error()
	} else {
		note += "saved to " + f.Saved + " (replayed first by the next go test)"
	}
	t.Errorf("%s", f.report(t.Name(), note))
	return f
}

// shrinkRun shrinks the run gopter's shrunk case makes (Shrink: the same violation in a run
// no longer, in trace events), within cfg.ShrinkRuns runs, and makes the result the failure.
func (f *Failure) shrinkRun(cfg Config) error {
	if cfg.ShrinkRuns < 0 {
		return nil
	}
	runs := cfg.ShrinkRuns
	if runs == 0 {
		runs = DefaultShrinkRuns
	}
	s, err := Shrink(workloads.RunConfig{Scenario: f.Scenario, Policy: f.Policy, Spec: &f.Spec, Seed: f.Seed,
		Strategy: f.Outcome.Strategy, Faults: f.Outcome.Faults}, runs)
	if err != nil {
		return err
	}
	o, err := workloads.Run(workloads.RunConfig{Scenario: f.Scenario, Policy: f.Policy, Spec: &s.Spec,
		Strategy: f.Outcome.Strategy, Tape: s.Tape})
	if err != nil {
		return err
	}
	if !s.Same(o) {
		return fmt.Errorf("the shrunk run gives %q, not %q", o.Kind(), s.Kind)
	}
	f.Spec, f.Outcome, f.Shrunk = s.Spec, o, s
	return nil
}

// DefaultShrinkRuns bounds the runs Run takes to shrink a failing run when Config.ShrinkRuns
// is 0.
const DefaultShrinkRuns = 1000

// failureDir is base/<test name>, each part of the name cleaned to a file name.
func failureDir(base, test string) (string, error) {
	if base == "" {
		base = DefaultFailureDir
	}
	parts := []string{base}
	for _, p := range strings.Split(test, "/") {
		p = reUnsafe.ReplaceAllString(p, "_")
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("test name %q: cannot make a directory of it", test)
		}
		parts = append(parts, p)
	}
	return filepath.Join(parts...), nil
}

var reUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.=+-]`)

// save writes the failure's run, with its tape, to dir/<hash>.json (a temporary file renamed,
// so that no half-written failure is ever replayed) after checking that it replays.
func (f *Failure) save(dir string) error {
	var tape *des.Tape
	if f.Shrunk != nil {
		tape = f.Shrunk.Tape.Clone()
	} else {
		o, err := workloads.Run(workloads.RunConfig{Scenario: f.Scenario, Policy: f.Policy, Spec: &f.Spec, Seed: f.Seed,
			Strategy: f.Outcome.Strategy, Faults: f.Outcome.Faults, TraceRing: -1})
		if err != nil {
			return err
		}
		tape = o.Tape()
	}
	tape.Meta = f.Outcome.Meta()
	tape.Meta["spec"] = string(f.Spec.JSON())
	var buf bytes.Buffer
	if err := tape.Encode(&buf); err != nil {
		return err
	}
	b := buf.Bytes()
	back, err := decodeFailure(b, f.Scenario)
	if err != nil || back.Outcome.Fingerprint != f.Outcome.Fingerprint {
		return fmt.Errorf("the failure's tape does not replay it (%v)", err)
	}
	sum := sha256.Sum256(b)
	path := filepath.Join(dir, hex.EncodeToString(sum[:8])+".json")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	f.Saved = path
	return nil
}

// decodeFailure replays a saved failure file of scenario sc.
func decodeFailure(b []byte, sc *workloads.Scenario) (*Failure, error) {
	tape, err := des.DecodeTape(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	m := tape.Meta
	if m["scenario"] != sc.Name {
		return nil, fmt.Errorf("scenario %q, not %q", m["scenario"], sc.Name)
	}
	spec, err := workloads.DecodeSpec(strings.NewReader(m["spec"]))
	if err != nil {
		return nil, fmt.Errorf("its spec: %w", err)
	}
	o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: m["policy"], Spec: &spec, Strategy: m["strategy"],
		Tape: tape, TraceRing: -1})
	if err != nil {
		return nil, err
	}
	return &Failure{Scenario: sc, Policy: m["policy"], Spec: spec, Seed: tape.Seed, Outcome: o, OrigSpec: spec,
		OrigSeed: tape.Seed}, nil
}

// replaySaved replays the saved failures of dir that are of sc and policy, in name order, and
// returns the first that fails (with kind, if kind is set).
func replaySaved(dir string, sc *workloads.Scenario, policy, kind string) (*Failure, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		tape, err := des.DecodeTape(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("saved failure %s: %w", name, err)
		}
		if tape.Meta["scenario"] != sc.Name || tape.Meta["policy"] != policy {
			continue
		}
		f, err := decodeFailure(b, sc)
		if err != nil {
			return nil, fmt.Errorf("saved failure %s: %w", name, err)
		}
		if v := f.Outcome.Violation; v != nil && (kind == "" || v.Kind == kind) {
			f.Saved = name
			return f, nil
		}
	}
	return nil, nil
}

// callerPackage is the import path of the package whose code called into this one (a test's
// package, without an external test package's _test suffix), or "" if none is found.
func callerPackage() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		fr, more := frames.Next()
		pkg := funcPackage(fr.Function)
		if pkg != "" && pkg != selfPackage && pkg != "testing" && pkg != "runtime" {
			return strings.TrimSuffix(pkg, "_test")
		}
		if !more {
			return ""
		}
	}
}

// selfPackage is this package's import path.
var selfPackage = funcPackage(runtime.FuncForPC(thisPC()).Name())

func thisPC() uintptr {
	pc, _, _, _ := runtime.Caller(0)
	return pc
}

// funcPackage is the import path part of a function name such as "a/b/c.T.m.func1" (the
// runtime writes a dot in the last path element as %2e: "gopkg.in/yaml%2ev3.F").
func funcPackage(fn string) string {
	slash := strings.LastIndex(fn, "/")
	dot := strings.Index(fn[slash+1:], ".")
	if dot < 0 {
		return ""
	}
	return strings.ReplaceAll(fn[:slash+1+dot], "%2e", ".")
}

// RerunLine is the command that reruns a property run of test in pkg with gopter seed seed.
// DES_SEED works in every package, where -desseed is defined only in test binaries that
// import this package.
func RerunLine(pkg, test string, seed int64) string {
	if pkg == "" {
		pkg = "."
	}
	line := fmt.Sprintf("DES_SEED=%d go test %s", seed, pkg)
	if test != "" {
		var parts []string
		for _, p := range strings.Split(test, "/") {
			parts = append(parts, "^"+regexp.QuoteMeta(p)+"$")
		}
		line += " -run " + shellQuote(strings.Join(parts, "/"))
	}
	return line
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
