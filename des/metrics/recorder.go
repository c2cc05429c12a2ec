package metrics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"hotplugsim/des"
	"hotplugsim/internal/strictjson"
)

// Format and Version identify the metrics file format:
//
//	{"format": "hotplugsim-metrics", "version": 1,
//	 "metrics": {"fault": {"count": 3, "ns": [[1500, 2], [40000, 1]]}, ...}}
//
// Metric names are sorted (encoding/json sorts map keys), so the same observations always
// encode to the same bytes.
const (
	Format  = "hotplugsim-metrics"
	Version = 1
)

// Recorder holds one histogram per metric name. A nil *Recorder is valid: Observe does
// nothing and the accessors report no metrics, so model code calls it unconditionally.
// A Recorder is not safe for concurrent use; give each simulation its own and Merge them.
type Recorder struct {
	byName map[string]*Histogram
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{byName: map[string]*Histogram{}} }

// On reports whether r records (r is not nil).
func (r *Recorder) On() bool { return r != nil }

// Observe records d under metric. It is a no-op on a nil Recorder.
func (r *Recorder) Observe(metric string, d des.Duration) {
	if r == nil {
		return
	}
	h := r.byName[metric]
	if h == nil {
		if r.byName == nil {
			r.byName = map[string]*Histogram{}
		}
		h = &Histogram{}
		r.byName[metric] = h
	}
	h.Observe(d)
}

// ObserveSpan records to.Sub(from) under metric. It is a no-op on a nil Recorder.
func (r *Recorder) ObserveSpan(metric string, from, to des.Time) {
	if r == nil {
		return
	}
	r.Observe(metric, to.Sub(from))
}

// Names returns the recorded metric names, sorted.
func (r *Recorder) Names() []string {
	if r == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(r.byName))
}

// Histogram returns the histogram of metric, or nil if nothing was recorded under it. The
// histogram is the recorder's own: do not change it.
func (r *Recorder) Histogram(metric string) *Histogram {
	if r == nil {
		return nil
	}
	return r.byName[metric]
}

// Merge adds every histogram of o into r (r must not be nil).
func (r *Recorder) Merge(o *Recorder) {
	for _, name := range o.Names() {
		if r.byName == nil {
			r.byName = map[string]*Histogram{}
		}
		h := r.byName[name]
		if h == nil {
			h = &Histogram{}
			r.byName[name] = h
		}
		h.Merge(o.byName[name])
	}
}

// Summaries returns one Summary per metric, sorted by name.
func (r *Recorder) Summaries() []Summary {
	var out []Summary
	for _, name := range r.Names() {
		s := r.byName[name].Summary()
		s.Name = name
		out = append(out, s)
	}
	return out
}

type file struct {
	Format  string                `json:"format"`
	Version int                   `json:"version"`
	Metrics map[string]*Histogram `json:"metrics"`
}

// MarshalJSON encodes the recorder in the metrics file format.
func (r *Recorder) MarshalJSON() ([]byte, error) {
	f := file{Format: Format, Version: Version, Metrics: map[string]*Histogram{}}
	if r != nil {
		maps.Copy(f.Metrics, r.byName)
	}
	return json.Marshal(f)
}

// UnmarshalJSON decodes and validates a metrics file.
func (r *Recorder) UnmarshalJSON(data []byte) error {
	var f file
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, ErrBadHistogram) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrBadHistogram, oneLine(err))
	}
	if err := strictjson.Keys(data, &f); err != nil {
		return fmt.Errorf("%w: %v", ErrBadHistogram, err)
	}
	if f.Format != Format || f.Version != Version {
		return fmt.Errorf("%w: format %q version %d, want %q version %d", ErrBadHistogram,
			f.Format, f.Version, Format, Version)
	}
	out := map[string]*Histogram{}
	for _, name := range slices.Sorted(maps.Keys(f.Metrics)) { // the first null metric by name
		h := f.Metrics[name]
		if h == nil {
			return fmt.Errorf("%w: metric %q is null", ErrBadHistogram, name)
		}
		out[name] = h
	}
	r.byName = out
	return nil
}

// Encode writes r as one line of JSON.
func (r *Recorder) Encode(w io.Writer) error {
	b, err := r.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Decode reads one metrics file from rd.
func Decode(rd io.Reader) (*Recorder, error) {
	data, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	r := NewRecorder()
	if err := r.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return r, nil
}

// oneLine flattens an error message to one line.
func oneLine(err error) string {
	return string(bytes.ReplaceAll([]byte(err.Error()), []byte("\n"), []byte(" ")))
}

var simKey = des.NewSimKey[holder]()

type holder struct {
	r     *Recorder
	marks simMarks
}

// Attach makes r the recorder Of(s) returns. Call it before building the model on s (model
// objects look their recorder up once); nil turns metrics off.
func Attach(s *des.Sim, r *Recorder) {
	holderOf(s).r = r
}

// Of returns the recorder attached to s, or nil (metrics off). Model objects call it once, at
// construction, and keep the result.
func Of(s *des.Sim) *Recorder {
	return holderOf(s).r
}
