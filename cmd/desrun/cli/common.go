package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"hotplugsim/des"
	"hotplugsim/workloads"
)

// ident is a run's identity without its seed: what run, sweep and shrink are told by flags.
type ident struct {
	sc       *workloads.Scenario
	policy   string
	spec     *workloads.Spec // nil: the scenario's default
	specPath string
	strategy string
	faults   bool
}

type identFlags struct {
	scenario, policy, spec, strategy *string
	faults                           *bool
}

func addIdentFlags(f flags) identFlags {
	return identFlags{
		scenario: f.String("scenario", "", "scenario name (default: the default scenario, see 'desrun list')"),
		policy:   f.String("policy", "", "policy name (default: the scenario's default policy)"),
		spec:     f.String("spec", "", "workload Spec JSON file (default: the scenario's Spec)"),
		strategy: f.String("strategy", "", "scheduling strategy: fifo, random, random:<dur>, pct:D[:K] (default: the scenario's)"),
		faults:   f.Bool("faults", false, "enable the model's fault sites: each is switched on for a run at random and then fails at random (part of the run's identity)"),
	}
}

func (fl identFlags) resolve() (ident, error) {
	sc, err := workloads.Lookup(*fl.scenario)
	if err != nil {
		return ident{}, err
	}
	id := ident{sc: sc, strategy: *fl.strategy, specPath: *fl.spec, faults: *fl.faults}
	pol, err := sc.Policy(*fl.policy)
	if err != nil {
		return ident{}, err
	}
	id.policy = pol.Name
	if id.strategy == "" {
		id.strategy = sc.Strategy
	}
	if _, err := des.ParseStrategy(id.strategy); err != nil {
		return ident{}, err
	}
	if id.strategy == "replay" {
		return ident{}, fmt.Errorf("strategy replay needs a tape: use 'desrun replay file.tape'")
	}
	if *fl.spec != "" {
		s, err := workloads.LoadSpec(*fl.spec)
		if err != nil {
			return ident{}, err
		}
		if err := sc.CheckSpec(s); err != nil {
			return ident{}, fmt.Errorf("%s: spec: %w", *fl.spec, err)
		}
		id.spec = &s
	}
	return id, nil
}

func (id ident) config(seed uint64) workloads.RunConfig {
	return workloads.RunConfig{Scenario: id.sc, Policy: id.policy, Spec: id.spec, Seed: seed, Strategy: id.strategy,
		Faults: id.faults}
}

// specOf is the Spec the run uses.
func (id ident) specOf() workloads.Spec {
	if id.spec != nil {
		return *id.spec
	}
	return id.sc.Spec
}

// checkWritable fails early, with one line, if path cannot be created: nothing is run for an
// output that could not be written.
func checkWritable(path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("cannot write %s: is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".desrun-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// unwrapPath drops the temporary name from a *PathError, keeping its cause.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// writeAtomic writes a file through a temporary file and a rename: readers see the old file
// or the whole new one, never a part.
func writeAtomic(path string, write func(f *os.File) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".desrun-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	tmp := f.Name()
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}

// parseSeeds parses "lo:hi" (inclusive) or a single seed.
func parseSeeds(s string) (uint64, uint64, error) {
	los, his, isRange := strings.Cut(s, ":")
	if !isRange {
		his = los
	}
	lo, err1 := strconv.ParseUint(los, 10, 64)
	hi, err2 := strconv.ParseUint(his, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad seed range %q: want lo:hi such as 1:1000", s)
	}
	if lo > hi {
		return 0, 0, fmt.Errorf("bad seed range %q: lo > hi", s)
	}
	if hi-lo == ^uint64(0) {
		return 0, 0, fmt.Errorf("bad seed range %q: too many seeds", s)
	}
	return lo, hi, nil
}

// parseShard parses "k/n" with 1 <= k <= n.
func parseShard(s string) (int, int, error) {
	if s == "" {
		return 1, 1, nil
	}
	ks, ns, ok := strings.Cut(s, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, fmt.Errorf("bad shard %q: want k/n with 1 <= k <= n, such as 1/4", s)
	}
	return k, n, nil
}
