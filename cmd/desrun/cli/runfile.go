package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"hotplugsim/internal/strictjson"
	"hotplugsim/workloads"
)

// A run file ('desrun run --out run.json') is one JSON object: the run result as
// 'desrun run --json' prints it (with "metrics" under --metrics), its format and version, and
// the Spec when it is not the scenario's default, so the run can be rerun from the file alone:
//
//	{"format": "hotplugsim-run", "version": 1, "scenario": ..., "seed": ..., "fingerprint": ...,
//	 "metrics": {...}, "reproduce": "desrun run ...", "spec": {...}}
const (
	runFileFormat  = "hotplugsim-run"
	runFileVersion = 1
)

// runFile is the content of a run file.
type runFile struct {
	Format      string `json:"format"`
	Version     int    `json:"version"`
	ToolVersion string `json:"tool_version,omitempty"`
	*workloads.Outcome
	Reproduce string          `json:"reproduce"`
	Spec      *workloads.Spec `json:"spec,omitempty"`
}

func saveRunFile(path string, o *workloads.Outcome, repro string) error {
	b, err := encodeRunFile(o, repro)
	if err != nil {
		return err
	}
	return writeBytes(path, b)
}

// encodeRunFile is the content of the run file of o.
func encodeRunFile(o *workloads.Outcome, repro string) ([]byte, error) {
	rf := runFile{Format: runFileFormat, Version: runFileVersion, ToolVersion: toolVersion(), Outcome: o, Reproduce: repro}
	if !o.DefaultSpec {
		spec := o.Spec
		rf.Spec = &spec
	}
	b, err := json.Marshal(rf)
	return append(b, '\n'), err
}

var errNotRunFile = errors.New("not a desrun run file")

// parseRunFile reads and checks a run file.
func parseRunFile(b []byte) (*runFile, error) {
	var probe struct {
		Format string `json:"format"`
	}
	if json.Unmarshal(b, &probe) != nil || probe.Format != runFileFormat {
		return nil, errNotRunFile
	}
	rf := &runFile{}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(rf); err != nil {
		return nil, fmt.Errorf("corrupt run file: %v", err)
	}
	if dec.More() {
		return nil, errors.New("corrupt run file: data after the run")
	}
	if err := strictjson.Keys(b, rf); err != nil {
		return nil, fmt.Errorf("corrupt run file: %v", err)
	}
	if rf.Version != runFileVersion {
		return nil, fmt.Errorf("run file version %d, this build reads %d", rf.Version, runFileVersion)
	}
	if rf.Outcome == nil || rf.Scenario == "" || rf.Fingerprint == "" {
		return nil, errors.New("corrupt run file: no scenario or fingerprint")
	}
	if err := checkMetrics(rf.Metrics); err != nil {
		return nil, fmt.Errorf("run file: %w", err)
	}
	rf.DefaultSpec = rf.Spec == nil
	if rf.Spec != nil {
		if err := rf.Spec.Validate(); err != nil {
			return nil, fmt.Errorf("corrupt run file: spec: %w", err)
		}
		rf.Outcome.Spec = *rf.Spec
	}
	return rf, nil
}

// source is the run of the file, to rerun it.
func (rf *runFile) source(path string) (source, error) {
	id, err := identOf(rf.Scenario, rf.Policy, rf.Strategy, rf.Spec)
	if err != nil {
		return source{}, fmt.Errorf("%s: %w", path, err)
	}
	if got := id.specOf().Hash(); got != rf.SpecHash {
		return source{}, fmt.Errorf("%s: spec hash %s, but the spec is %s here: the scenario's default Spec changed", path, rf.SpecHash, got)
	}
	return source{id: id, seed: rf.Seed, fingerprint: rf.Fingerprint, name: path, repro: rf.Reproduce}, nil
}
