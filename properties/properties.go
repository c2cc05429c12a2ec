package properties

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

var desSeed = flag.String("desseed", "", "gopter seed of property runs (replays a failing property run); also $DES_SEED")

// DefaultSeed is the gopter seed when neither -desseed nor DES_SEED is set.
const DefaultSeed = 1

// Seed returns the gopter seed for property runs: -desseed, else $DES_SEED, else DefaultSeed.
func Seed() (int64, error) {
	s, from := *desSeed, "-desseed"
	if s == "" {
		s, from = os.Getenv("DES_SEED"), "DES_SEED"
	}
	if s == "" {
		return DefaultSeed, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want an integer", from, s)
	}
	return n, nil
}

// Config tunes a property run. The zero value is usable.
type Config struct {
	Tests      int    // successful cases needed (default 100)
	MaxShrinks int    // shrink steps at most (default 200)
	Seed       int64  // gopter seed (0: Seed())
	Strategy   string // des strategy ("": the scenario's)
	MaxDesSeed uint64 // des seeds are drawn from [1, MaxDesSeed] (default 1,000,000)
	Limits     *workloads.GenLimits
	// Kind, if set, is the only violation kind that falsifies the property: runs ending in
	// another kind count as passing cases. A buggy policy's check sets it to the policy's
	// expected kind so shrinking keeps the bug it was asked about instead of drifting to
	// another one (as desrun shrink keeps the violation kind).
	Kind string
	// Pool, if set, lends every run its process coroutines (des.Pool). Check makes one for
	// its runs when it is nil, and closes it.
	Pool *des.Pool
	// Dir is where Run saves failures and replays them from ("": DefaultFailureDir).
	Dir string
	// ShrinkRuns bounds the runs Run takes, after gopter's shrinking of the Spec and seed, to
	// shrink the failing run itself with Shrink (0: DefaultShrinkRuns; < 0: not at all).
	ShrinkRuns int
}

func (c Config) withDefaults() (Config, error) {
	if c.Tests <= 0 {
		c.Tests = 100
	}
	if c.MaxShrinks <= 0 {
		c.MaxShrinks = 200
	}
	if c.MaxDesSeed == 0 {
		c.MaxDesSeed = 1_000_000
	}
	if c.Seed == 0 {
		s, err := Seed()
		if err != nil {
			return c, err
		}
		c.Seed = s
	}
	return c, nil
}

// Failure is a property run's failing case after shrinking.
type Failure struct {
	Scenario   *workloads.Scenario
	Policy     string
	Spec       workloads.Spec // shrunk
	Seed       uint64         // des seed, shrunk
	Outcome    *workloads.Outcome
	OrigSpec   workloads.Spec
	OrigSeed   uint64
	Shrinks    int   // accepted shrink steps, Spec and seed together
	GopterSeed int64 // DES_SEED that reruns the property run
	// Package is the import path of the test's package, for the rerun line ("": the package
	// that calls Report).
	Package string
	// Saved is the failure file Run saved or replayed ("" if none).
	Saved string
	// Shrunk is Run's shrinking of the failing run (Spec, Outcome and the saved tape are its
	// result); nil if it did not shrink it.
	Shrunk *Shrunk
}

// Property is ForAll(Spec, seed): the scenario under policy runs without a violation.
func Property(sc *workloads.Scenario, policy string, cfg Config) gopter.Prop {
	specs := workloads.GenSpec(sc)
	if cfg.Limits != nil {
		specs = workloads.GenSpecWithin(sc, *cfg.Limits)
	}
	return prop.ForAll(func(spec workloads.Spec, seed uint64) (string, error) {
		o, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Spec: &spec, Seed: seed,
			Strategy: cfg.Strategy, NoTape: true, TraceRing: -1, Pool: cfg.Pool})
		if err != nil {
			return "", err
		}
		if o.Violation != nil && (cfg.Kind == "" || o.Violation.Kind == cfg.Kind) {
			v := o.Violation
			return fmt.Sprintf("%s at %v in %s: %s", v.Kind, des.Duration(v.TimeNs), v.Process, v.Message), nil
		}
		return "", nil
	}, specs, gen.UInt64Range(1, max(1, cfg.MaxDesSeed)))
}

// Check runs the property of sc under policy. It returns nil if the property held, the
// shrunk failing case if it did not, and an error if the run itself could not be made (a bad
// policy or strategy, a Build error).
func Check(sc *workloads.Scenario, policy string, cfg Config) (*Failure, error) {
	if _, err := sc.Policy(policy); err != nil {
		return nil, err
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Pool == nil {
		cfg.Pool = des.NewPool(0)
		defer cfg.Pool.Close()
	}
	params := gopter.DefaultTestParametersWithSeed(cfg.Seed)
	params.MinSuccessfulTests = cfg.Tests
	params.MaxShrinkCount = cfg.MaxShrinks
	res := Property(sc, policy, cfg).Check(params)
	switch res.Status {
	case gopter.TestPassed, gopter.TestProved:
		return nil, nil
	case gopter.TestError:
		return nil, fmt.Errorf("property %s/%s: %v", sc.Name, policy, res.Error)
	case gopter.TestExhausted:
		return nil, fmt.Errorf("property %s/%s: exhausted after %d cases", sc.Name, policy, res.Succeeded)
	}
	f := &Failure{Scenario: sc, Policy: policy, GopterSeed: cfg.Seed}
	for _, a := range res.Args {
		switch v := a.Arg.(type) {
		case workloads.Spec:
			f.Spec, f.OrigSpec = v, a.OrigArg.(workloads.Spec)
		case uint64:
			f.Seed, f.OrigSeed = v, a.OrigArg.(uint64)
		}
		f.Shrinks += a.Shrinks
	}
	f.Outcome, err = workloads.Run(workloads.RunConfig{Scenario: sc, Policy: policy, Spec: &f.Spec,
		Seed: f.Seed, Strategy: cfg.Strategy, NoTape: true})
	if err != nil {
		return nil, err
	}
	if f.Outcome.Violation == nil || (cfg.Kind != "" && f.Outcome.Kind() != cfg.Kind) {
		return nil, fmt.Errorf("property %s/%s: the shrunk case (seed %d) does not fail with %q when rerun",
			sc.Name, policy, f.Seed, cfg.Kind)
	}
	return f, nil
}

// SpecPath is where Report saves the shrunk Spec for the desrun line.
func (f *Failure) SpecPath() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("hotplugsim-%s-%s-%s.json", f.Scenario.Name, f.Policy, f.Spec.Hash()))
}

// Report describes the failure: the violation, the shrunk Spec, the seeds, the desrun line
// that reproduces the run and the go test line that reruns the property run (testName may be
// ""). It saves the Spec to SpecPath.
func (f *Failure) Report(testName string) string {
	if f.Package == "" {
		f.Package = callerPackage()
	}
	return f.report(testName, "")
}

// report is Report with a note line (what happened to the failure file) after the first line.
func (f *Failure) report(testName, note string) string {
	var b strings.Builder
	o := f.Outcome
	v := o.Violation
	fmt.Fprintf(&b, "property %s/%s failed: %s at %v in %s: %s\n", f.Scenario.Name, f.Policy, v.Kind, des.Duration(v.TimeNs), v.Process, v.Message)
	if note != "" {
		fmt.Fprintf(&b, "%s\n", note)
	}
	if f.Saved == "" || f.OrigSeed != f.Seed || !f.OrigSpec.Equal(f.Spec) {
		spec := f.Spec
		if f.Shrunk != nil {
			spec = f.Shrunk.Base.Spec
		}
		fmt.Fprintf(&b, "shrunk in %d steps: %v (was %v), des seed %d (was %d)\n", f.Shrinks, spec.Size(), f.OrigSpec.Size(), f.Seed, f.OrigSeed)
	}
	if s := f.Shrunk; s != nil {
		limit := ""
		if s.Limited {
			limit = fmt.Sprintf("; stopped at the run limit (%d): it may not be minimal", s.MaxRuns)
		}
		fmt.Fprintf(&b, "then its run: %d -> %d trace events, %v, tape %d -> %d decisions, in %d runs%s\n",
			s.Base.Events, s.Events, s.Spec.Size(), s.TapeBefore, s.Tape.Len(), s.Runs, limit)
	}
	fmt.Fprintf(&b, "spec:\n%s\n", f.Spec.JSON())
	if f.Saved != "" {
		fmt.Fprintf(&b, "reproduce: desrun replay %s\n", shellArg(f.Saved))
	} else {
		path := ""
		if !o.DefaultSpec {
			path = f.SpecPath()
			if err := os.WriteFile(path, append(f.Spec.JSON(), '\n'), 0o644); err != nil {
				fmt.Fprintf(&b, "(could not save the spec: %v; save it as spec.json)\n", err)
				path = ""
			}
		}
		fmt.Fprintf(&b, "reproduce: %s\n", o.Command(path))
	}
	fmt.Fprintf(&b, "rerun the property run: %s\n", RerunLine(f.Package, testName, f.GopterSeed))
	return b.String()
}

func shellArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;~#") {
		return s
	}
	return shellQuote(s)
}
