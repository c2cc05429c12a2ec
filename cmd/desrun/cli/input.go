package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/reports"
	"hotplugsim/workloads"
)

// input is a file plot and report read: a sweep's results, a run file or a tape.
type input struct {
	path    string
	results *resultsFile      // a sweep's results file
	run     *runFile          // a run file (desrun run --out)
	src     *source           // a run file or a tape: the run to rerun for its trace
	rec     *metrics.Recorder // the metrics the file holds (nil: none)
}

// loadInput reads path and says what it is; errors are one line and name the file.
func loadInput(path string) (*input, error) {
	b, err := readInput(path, maxResultsBytes)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	return parseInput(path, b)
}

// Bounds on the files desrun reads: far above what desrun writes (a results file has a line
// per failing seed), low enough that a wrong file is refused before it takes the machine's
// memory.
const (
	maxResultsBytes = 1 << 30
	maxTapeBytes    = 64 << 20
	maxRunFileBytes = 64 << 20
	// maxMetrics bounds the metrics of one file: a model records a few dozen.
	maxMetrics = 256
)

// readInput reads the file at path, refusing one larger than max bytes.
func readInput(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a file desrun wrote", path, max>>20)
	}
	return b, nil
}

// checkMetrics bounds the metrics a file brings.
func checkMetrics(rec *metrics.Recorder) error {
	if n := len(rec.Names()); n > maxMetrics {
		return fmt.Errorf("%d metrics: at most %d (a model records a few dozen)", n, maxMetrics)
	}
	return nil
}

// parseInput is loadInput on the bytes b of the file at path.
func parseInput(path string, b []byte) (*input, error) {
	in := &input{path: path}
	rf, err := parseResults(b)
	switch {
	case err == nil:
		if rf.summary == nil {
			return nil, fmt.Errorf("%s is incomplete (no summary line): rerun its sweep to finish it", path)
		}
		rf.path = path
		in.results, in.rec = rf, rf.summary.Metrics
		return in, nil
	case !errors.Is(err, errNotResults):
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxRunFileBytes {
		return nil, fmt.Errorf("%s: not a results file, and larger than a run file or tape can be (%d MiB)", path, maxRunFileBytes>>20)
	}
	run, err := parseRunFile(b)
	switch {
	case err == nil:
		src, err := run.source(path)
		if err != nil {
			return nil, err
		}
		in.run, in.src, in.rec = run, &src, run.Metrics
		return in, nil
	case !errors.Is(err, errNotRunFile):
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var probe struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(b, &probe) != nil || probe.Format != des.TapeFormat {
		return nil, fmt.Errorf("%s: not a desrun results file, run file or tape", path)
	}
	t, err := decodeTape(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	src, err := tapeSource(path, t)
	if err != nil {
		return nil, err
	}
	in.src = &src
	return in, nil
}

// rerun runs the input's run again with every trace event and metrics on, and checks it
// reproduces. The command that reproduces it is repro().
func (in *input) rerun() (*workloads.Outcome, reports.Run, error) {
	tr := &traceRec{}
	cfg := in.src.config()
	cfg.TraceRing = traceRing
	cfg.Sink = tr.add
	cfg.Metrics = metrics.NewRecorder()
	o, err := workloads.Run(cfg)
	if err != nil {
		return nil, reports.Run{}, fmt.Errorf("%s: %w", in.path, err)
	}
	if in.src.fingerprint != "" && o.Fingerprint != in.src.fingerprint {
		return nil, reports.Run{}, fmt.Errorf("%s did not reproduce: fingerprint %s, recorded %s", in.path, o.Fingerprint, in.src.fingerprint)
	}
	names := reports.Names{}
	for id := int32(0); id < int32(o.Procs); id++ {
		names[id] = o.ProcName(id)
	}
	title := fmt.Sprintf("%s / %s, seed %d, %s", o.Scenario, o.Policy, o.Seed, o.Strategy)
	return o, reports.Run{Title: title, Events: tr.events, Names: names, Violations: o.Result.Violations,
		ToolVersion: toolVersion()}, nil
}

// legend names the input in plot legends.
func (in *input) legend() string {
	switch {
	case in.results != nil:
		return in.results.header.Policy
	case in.run != nil:
		return fmt.Sprintf("%s seed %d", in.run.Policy, in.run.Seed)
	}
	return fmt.Sprintf("%s seed %d", in.src.id.policy, in.src.seed)
}

// repro is the command that reproduces the input's run.
func (in *input) repro() string {
	if in.run != nil && in.run.Reproduce != "" {
		return in.run.Reproduce
	}
	return in.src.repro
}
