package cli

import (
	"flag"
	"fmt"
	"io"
	"maps"
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
		spec:     f.String("spec", "", "workload Spec JSON file, or sparse: the scenario's sparse Spec (default: the scenario's Spec)"),
		strategy: f.String("strategy", "", "scheduling strategy, one of those 'desrun list' lists (default: the scenario's)"),
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
	if *fl.spec == "sparse" {
		if sc.SparseSpec == nil {
			return ident{}, fmt.Errorf("scenario %s has no sparse spec", sc.Name)
		}
		s := sc.SparseSpec.Clone()
		id.spec = &s
	} else if *fl.spec != "" {
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

// flagSet reports whether the flag name was given on the command line.
func flagSet(f flags, name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
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

// saveTape writes a tape file (writeFile's rules), with the desrun that wrote it in its meta.
func saveTape(path string, t *des.Tape) error {
	c := *t
	c.Meta = maps.Clone(t.Meta)
	if c.Meta == nil {
		c.Meta = map[string]string{}
	}
	c.Meta["tool_version"] = toolVersion()
	return writeFile(path, func(w io.Writer) error { return c.Encode(w) })
}
