package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"hotplugsim/des/metrics"
	"hotplugsim/internal/strictjson"
	"hotplugsim/workloads"
)

// The results file of a sweep is JSON Lines, each line one object with a "type":
//
//	{"type":"header", "format":"hotplugsim-sweep", "version":1, scenario, policy, strategy,
//	 seeds "lo:hi", shard "k/n", stop_after, spec_hash, spec (if not the scenario's default)}
//	{"type":"run", ...a run result as 'desrun run --json' prints it..., signature}
//	{"type":"checkpoint", "next": i, runs, violations, first_violation_seed, kinds, metrics, dropped}
//	{"type":"summary", runs, violations, first_violation_seed, kinds, runs_per_sec, metrics,
//	 signatures, ...}
//
// A failing seed has a run line if it is one of the first keep_runs (header; 0: all) failing
// seeds of its signature (workloads.Signature); a checkpoint's "dropped" counts, per
// signature, the failing seeds since the previous checkpoint without one. The summary's
// signatures (id, kind, title, func, count, first_seed, reproduce; in order of first seed)
// are those of the run lines and the dropped counts.
//
// With --metrics the header says "metrics": true, each checkpoint carries the metrics of the
// seeds committed since the previous checkpoint (a des/metrics file, omitted when nothing was
// recorded) and the summary the metrics of the whole sweep: the checkpoints' merged. A resumed
// sweep merges the checkpoints it keeps; 'desrun merge' merges the summaries. Histograms are
// exact and merge commutatively, so the figures are the same whatever -j, sharding or resume.
//
// Seeds of a shard are taken in order; a checkpoint says every seed of the shard before
// index "next" is done and its run lines are above it, with the totals so far. Lines are
// appended in batches, each batch ending with its checkpoint and written by one write call.
// The summary line marks a complete file. A sweep killed at any point leaves a file whose
// lines up to the last checkpoint are whole and true; rerunning the same command cuts what
// follows the last checkpoint and resumes from there.
const (
	resultsFormat  = "hotplugsim-sweep"
	resultsVersion = 1
)

type header struct {
	Type      string          `json:"type"`
	Format    string          `json:"format"`
	Version   int             `json:"version"`
	Scenario  string          `json:"scenario"`
	Policy    string          `json:"policy"`
	Strategy  string          `json:"strategy"`
	Seeds     string          `json:"seeds"`
	Shard     string          `json:"shard"`
	Shards    []int           `json:"shards,omitempty"` // merged files: the shards merged
	StopAfter int             `json:"stop_after,omitempty"`
	SpecHash  string          `json:"spec_hash"`
	Spec      *workloads.Spec `json:"spec,omitempty"`
	Metrics   bool            `json:"metrics,omitempty"` // --metrics: checkpoints and summary carry metrics
	// KeepRuns (--keep-runs; 0: all): run lines are written for the first KeepRuns failing
	// seeds of each signature; checkpoints count the others ("dropped").
	KeepRuns int `json:"keep_runs,omitempty"`
	// Coverage (--coverage): checkpoints carry the coverage their seeds added, the summary all.
	Coverage bool `json:"coverage,omitempty"`
	// Steer (--steer): the generation size; checkpoints carry the corpus entries their seeds added.
	Steer uint64 `json:"steer_generation,omitempty"`
	// Merged: written by 'desrun merge' (one checkpoint for all shards).
	Merged bool `json:"merged,omitempty"`
	// ToolVersion is the desrun that wrote the file (not part of the sweep's identity).
	ToolVersion string `json:"tool_version,omitempty"`
}

// sameSweep reports whether h and o describe the same sweep.
func (h header) sameSweep(o header) bool {
	return h.Format == o.Format && h.Version == o.Version && h.Scenario == o.Scenario && h.Policy == o.Policy &&
		h.Strategy == o.Strategy && h.Seeds == o.Seeds && h.Shard == o.Shard && h.StopAfter == o.StopAfter &&
		h.SpecHash == o.SpecHash && h.Metrics == o.Metrics && h.Coverage == o.Coverage && h.KeepRuns == o.KeepRuns &&
		h.Steer == o.Steer
}

func (h header) describe() string {
	m := ""
	if h.Metrics {
		m = ", --metrics"
	}
	return fmt.Sprintf("scenario %s, policy %s, strategy %s, seeds %s, shard %s, spec %s%s", h.Scenario, h.Policy,
		h.Strategy, h.Seeds, h.Shard, h.SpecHash, m)
}

// totals are the running counts a checkpoint and the summary carry.
type totals struct {
	Runs       uint64 `json:"runs"`
	Violations uint64 `json:"violations"`
	// BudgetEnded counts the runs without a violation that a budget (max_events, max_time_ns)
	// cut short: they did not run to the end, so they are not passes.
	BudgetEnded uint64 `json:"budget_ended"`
	// NoChangePoint counts the runs of a PCT strategy of depth 2 or more none of whose change
	// points fell inside the run: for those PCT was only a random priority order.
	NoChangePoint uint64 `json:"no_change_point,omitempty"`
	// Steered counts the runs that mutated a corpus schedule (--steer).
	Steered   uint64         `json:"steered,omitempty"`
	FirstSeed *uint64        `json:"first_violation_seed"`
	Kinds     map[string]int `json:"kinds"`
}

// add counts the run of seed; o is its outcome if it failed, else nil; ended says a budget
// cut it short.
func (t *totals) add(seed uint64, o *workloads.Outcome, ended bool) {
	t.Runs++
	if o == nil || o.Violation == nil {
		if ended {
			t.BudgetEnded++
		}
		return
	}
	t.Violations++
	if t.FirstSeed == nil || seed < *t.FirstSeed {
		t.FirstSeed = &seed
	}
	if t.Kinds == nil {
		t.Kinds = map[string]int{}
	}
	t.Kinds[o.Violation.Kind]++
}

func (t *totals) merge(o totals) {
	t.Runs += o.Runs
	t.Violations += o.Violations
	t.BudgetEnded += o.BudgetEnded
	t.NoChangePoint += o.NoChangePoint
	t.Steered += o.Steered
	if o.FirstSeed != nil && (t.FirstSeed == nil || *o.FirstSeed < *t.FirstSeed) {
		s := *o.FirstSeed
		t.FirstSeed = &s
	}
	for k, n := range o.Kinds {
		if t.Kinds == nil {
			t.Kinds = map[string]int{}
		}
		t.Kinds[k] += n
	}
}

type checkpoint struct {
	Type string `json:"type"`
	Next uint64 `json:"next"` // index in the shard's seed sequence
	totals
	Metrics *metrics.Recorder `json:"metrics,omitempty"` // of the seeds since the previous checkpoint
	// Coverage is what the seeds since the previous checkpoint added (--coverage).
	Coverage *coverageJSON `json:"coverage,omitempty"`
	// Corpus lists the runs since the previous checkpoint that joined the corpus (--steer).
	Corpus []workloads.CorpusEntry `json:"corpus,omitempty"`
	// Dropped counts, per signature, the failing runs since the previous checkpoint that got
	// no run line (--keep-runs), in order of the signatures' first seeds.
	Dropped []sigDropped `json:"dropped,omitempty"`
}

// sigDropped is how many failing runs of a signature a checkpoint counts without run lines.
type sigDropped struct {
	workloads.Signature
	N uint64 `json:"n"`
}

type summary struct {
	Type string `json:"type"`
	totals
	RunsPerSec float64 `json:"runs_per_sec"`
	Scenario   string  `json:"scenario"`
	Policy     string  `json:"policy"`
	Strategy   string  `json:"strategy"`
	Seeds      string  `json:"seeds"`
	Shard      string  `json:"shard,omitempty"`
	Stopped    bool    `json:"stopped,omitempty"` // --stop-after ended the sweep early
	// Interrupted: a signal ended the sweep (printed only: a results file never has it).
	Interrupted bool   `json:"interrupted,omitempty"`
	ToolVersion string `json:"tool_version,omitempty"`
	// Metrics of the whole sweep (--metrics).
	Metrics *metrics.Recorder `json:"metrics,omitempty"`
	// Coverage of the whole sweep (--coverage).
	Coverage *coverageJSON `json:"coverage,omitempty"`
	// Corpus is the size of the steering corpus at the end (--steer).
	Corpus int `json:"corpus,omitempty"`
	// Signatures buckets the failing runs (workloads.Signature), in order of first seed.
	Signatures []sigSummary `json:"signatures,omitempty"`
}

type runLine struct {
	Type string `json:"type"`
	*workloads.Outcome
	Reproduce string `json:"reproduce"`
	// Signature is the violation's (workloads.SignatureOf).
	Signature *workloads.Signature `json:"signature,omitempty"`
}

// signature is the run's signature; a line without one (written before run lines carried it)
// gets its kind and title, without the function.
func (r runLine) signature() workloads.Signature {
	if r.Signature != nil {
		return *r.Signature
	}
	return workloads.Signature{Kind: r.Violation.Kind, Title: workloads.Title(r.Violation.Message)}
}

// sigSummary is one signature of a sweep: how many failing runs had it, the first of them and
// the command that reproduces it.
type sigSummary struct {
	ID string `json:"id"`
	workloads.Signature
	Count     uint64 `json:"count"`
	FirstSeed uint64 `json:"first_seed"`
	Reproduce string `json:"reproduce"`
	kept      uint64 // run lines written
}

// sigTable accumulates the signatures of failing runs committed in seed order.
type sigTable struct {
	list []sigSummary
	at   map[workloads.Signature]int // index in list (lookups only: list keeps the order)
}

func (t *sigTable) add(r runLine) {
	s := r.signature()
	if t.at == nil {
		t.at = map[workloads.Signature]int{}
	}
	i, ok := t.at[s]
	if !ok {
		i = len(t.list)
		t.at[s] = i
		t.list = append(t.list, sigSummary{ID: s.ID(), Signature: s, FirstSeed: r.Seed, Reproduce: r.Reproduce})
	}
	t.list[i].Count++
	t.list[i].kept++
}

// drop counts n failing runs of s that got no run line; s has one (its first seed's).
func (t *sigTable) drop(s workloads.Signature, n uint64) error {
	i, ok := t.at[s]
	if !ok {
		return fmt.Errorf("%d dropped runs of signature %s, which has no run line", n, s.ID())
	}
	t.list[i].Count += n
	return nil
}

// keeps reports whether the next failing run of s gets a run line, keeping the first keep of
// each signature (0: all).
func (t *sigTable) keeps(s workloads.Signature, keep int) bool {
	i, ok := t.at[s]
	return keep <= 0 || !ok || t.list[i].kept < uint64(keep)
}

// tableOf is the signatures of run lines in seed order and of the dropped counts.
func tableOf(runs []runLine, dropped []sigDropped) (sigTable, error) {
	var t sigTable
	for _, r := range runs {
		t.add(r)
	}
	for _, d := range dropped {
		if err := t.drop(d.Signature, d.N); err != nil {
			return t, err
		}
	}
	return t, nil
}

// resultsFile is a results file as read back.
type resultsFile struct {
	path    string
	header  header
	runs    []runLine // run lines up to the last checkpoint
	runAt   []int     // their line numbers (1-based)
	last    *checkpoint
	summary *summary
	keep    int64                   // bytes up to the end of the last checkpoint (or the header)
	metrics *metrics.Recorder       // the checkpoints' metrics merged (nil: none)
	cov     *workloads.Coverage     // the checkpoints' coverage merged (nil: none)
	covLast *uint64                 // the last seed that added coverage
	corpus  []workloads.CorpusEntry // the checkpoints' corpus entries, in order
	cps     []cpAt                  // every checkpoint, in order
	dropped []sigDropped            // the checkpoints' dropped counts, in order
}

// cpAt is a checkpoint with the number of run lines above it and its line number.
type cpAt struct {
	checkpoint
	runs, line int
	dropped    int // entries of resultsFile.dropped up to it
}

var errNotResults = errors.New("not a desrun results file")

// readResults reads a results file. Lines after the last checkpoint (an interrupted batch) are
// ignored unless they are the summary; a malformed line before it is an error.
func readResults(path string) (*resultsFile, error) {
	b, err := readInput(path, maxResultsBytes)
	if err != nil {
		return nil, fmt.Errorf("cannot read results: %w", err)
	}
	rf, err := parseResults(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	rf.path = path
	return rf, nil
}

func parseResults(b []byte) (*resultsFile, error) {
	rf := &resultsFile{}
	var pendRuns []runLine
	var pendAt []int
	off := int64(0)
	for n := 1; len(b) > 0; n++ {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			break // a partial last line: an interrupted write
		}
		line := b[:i]
		b = b[i+1:]
		off += int64(i + 1)
		var typ struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(line, &typ); err != nil {
			if n == 1 {
				return nil, errNotResults
			}
			return nil, fmt.Errorf("corrupt results file: line %d: %v", n, err)
		}
		if n == 1 {
			if typ.Type != "header" || strictUnmarshal(line, &rf.header) != nil ||
				rf.header.Format != resultsFormat {
				return nil, errNotResults
			}
			if rf.header.Version != resultsVersion {
				return nil, fmt.Errorf("results format version %d, this build reads %d", rf.header.Version, resultsVersion)
			}
			rf.keep = off
			continue
		}
		var err error
		switch typ.Type {
		case "run":
			var r runLine
			if err = json.Unmarshal(line, &r); err == nil && r.Outcome == nil {
				err = errors.New("empty run line")
			}
			if err == nil {
				err = strictjson.Keys(line, &r)
			}
			pendRuns, pendAt = append(pendRuns, r), append(pendAt, n)
		case "checkpoint":
			var c checkpoint
			err = strictUnmarshal(line, &c)
			if err == nil && c.Metrics != nil {
				if rf.metrics == nil {
					rf.metrics = metrics.NewRecorder()
				}
				rf.metrics.Merge(c.Metrics)
			}
			if err == nil && c.Coverage != nil {
				rf.addCoverage(c.Coverage)
			}
			rf.corpus = append(rf.corpus, c.Corpus...)
			rf.last, rf.keep = &c, off
			rf.runs, rf.runAt = append(rf.runs, pendRuns...), append(rf.runAt, pendAt...)
			pendRuns, pendAt = nil, nil
			rf.dropped = append(rf.dropped, c.Dropped...)
			rf.cps = append(rf.cps, cpAt{checkpoint: c, runs: len(rf.runs), line: n, dropped: len(rf.dropped)})
		case "summary":
			var s summary
			err = strictUnmarshal(line, &s)
			rf.summary = &s
		default:
			err = fmt.Errorf("unknown line type %q", typ.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("corrupt results file: line %d: %v", n, err)
		}
		if rf.summary != nil && len(b) > 0 {
			return nil, fmt.Errorf("corrupt results file: line %d: data after the summary", n+1)
		}
	}
	if len(pendRuns) > 0 && rf.summary != nil {
		return nil, errors.New("corrupt results file: run lines after the last checkpoint")
	}
	if rf.summary != nil && rf.last == nil {
		return nil, errors.New("corrupt results file: summary without a checkpoint")
	}
	if rf.header.Type == "" {
		return nil, errNotResults
	}
	if s := rf.summary; s != nil && rf.header.Metrics != (s.Metrics != nil) {
		return nil, errors.New("corrupt results file: the header and the summary disagree on --metrics")
	}
	if !rf.header.Metrics && rf.metrics != nil {
		return nil, errors.New("corrupt results file: metrics in checkpoints of a sweep without --metrics")
	}
	if err := checkMetrics(rf.metrics); err != nil {
		return nil, fmt.Errorf("results file: %w", err)
	}
	if s := rf.summary; s != nil {
		if err := checkMetrics(s.Metrics); err != nil {
			return nil, fmt.Errorf("results file: summary: %w", err)
		}
	}
	if err := rf.verify(); err != nil {
		return nil, fmt.Errorf("inconsistent results file: %w", err)
	}
	return rf, nil
}

// strictUnmarshal decodes one JSON value with no unknown fields, every name spelled exactly,
// and nothing after it.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON object")
	}
	return strictjson.Keys(b, v)
}

// appendLines writes lines with one write call.
func appendLines(w io.Writer, lines ...any) error {
	var buf bytes.Buffer
	for _, l := range lines {
		b, err := json.Marshal(l)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	_, err := w.Write(buf.Bytes())
	return err
}
