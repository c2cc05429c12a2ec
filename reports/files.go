package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"hotplugsim/des/metrics"
)

// NamedRecorder is the metrics of one policy (or scenario, or shard) under the name it has in
// legends.
type NamedRecorder struct {
	Name string
	Rec  *metrics.Recorder
}

// FileStem turns a metric name into a file name stem: "ioctl/AMDGPU_CS" → "ioctl_AMDGPU_CS".
func FileStem(metric string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, metric)
}

// MetricPlots writes, for every metric any recorder has, <stem>.cdf.<format> (one line per
// recorder) and its histogram, in each format ("png", "svg"; default png): <stem>.hist.<format>
// when one recorder has the metric, else <stem>.hist.<recorder stem>.<format> per recorder
// (recorders of a fixed and a buggy policy are not pooled). It returns the paths written, in a
// fixed order.
func MetricPlots(dir string, recs []NamedRecorder, formats ...string) ([]string, error) {
	if len(formats) == 0 {
		formats = []string{"png"}
	}
	var names []string
	for _, r := range recs {
		for _, n := range r.Rec.Names() {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	var written []string
	for _, name := range names {
		var series []Series
		for _, r := range recs {
			if h := r.Rec.Histogram(name); h.Count() > 0 {
				series = append(series, Series{Name: r.Name, H: h})
			}
		}
		cdf, err := CDFPlot(metrics.Describe(name), series)
		if err != nil {
			continue // e.g. only zero values: nothing to draw on a log axis
		}
		type out struct {
			kind string
			fig  *Figure
		}
		outs := []out{{"cdf", cdf}}
		for _, s := range series {
			hist, err := HistogramPlot(metrics.Describe(name), s)
			if err != nil {
				return written, err
			}
			kind := "hist"
			if len(series) > 1 {
				kind += "." + FileStem(s.Name)
			}
			outs = append(outs, out{kind, hist})
		}
		for _, f := range formats {
			for _, out := range outs {
				path := filepath.Join(dir, FileStem(name)+"."+out.kind+"."+f)
				if err := out.fig.Save(path); err != nil {
					return written, err
				}
				written = append(written, path)
			}
		}
	}
	return written, nil
}

// SliceRun is r cut down to the causal slice of its first violation (r itself if it has none).
func SliceRun(r Run, opt SliceOptions) Run {
	if len(r.Violations) == 0 {
		return r
	}
	out := r
	out.Events = CausalSlice(r.Events, r.Violations[0], opt)
	out.Violations = r.Violations[:1]
	return out
}

// SaveRun writes the files that explain one run into dir: trace.json (Chrome trace, for
// Perfetto), timeline.txt, swimlane.<format> for each format, and, if the run has a
// violation, slice.txt and slice-swimlane.<format> (its causal slice). It returns the paths
// written.
func SaveRun(dir string, r Run, formats ...string) ([]string, error) {
	if len(formats) == 0 {
		formats = []string{"png", "svg"}
	}
	var written []string
	write := func(name string, fill func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := fill(&b); err != nil {
			return err
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return err
		}
		written = append(written, path)
		return nil
	}
	if err := write("trace.json", func(b *bytes.Buffer) error { return WriteChromeTrace(b, r, ChromeOptions{}) }); err != nil {
		return written, err
	}
	if err := write("timeline.txt", func(b *bytes.Buffer) error { return WriteTimeline(b, r.Events, r.names(), r.Violations) }); err != nil {
		return written, err
	}
	runs := []struct {
		stem string
		run  Run
	}{{"swimlane", r}}
	if len(r.Violations) > 0 {
		s := SliceRun(r, SliceOptions{})
		s.Title = strings.TrimSpace(r.Title + " — causal slice of " + string(r.Violations[0].Kind))
		if s.Names == nil {
			s.Names = r.names()
		}
		if err := write("slice.txt", func(b *bytes.Buffer) error { return WriteTimeline(b, s.Events, s.Names, s.Violations) }); err != nil {
			return written, err
		}
		runs = append(runs, struct {
			stem string
			run  Run
		}{"slice-swimlane", s})
	}
	for _, x := range runs {
		fig, err := SwimlanePlot(x.run, SwimlaneOptions{})
		if err != nil {
			return written, fmt.Errorf("reports: %s: %w", x.stem, err)
		}
		for _, f := range formats {
			path := filepath.Join(dir, x.stem+"."+f)
			if err := fig.Save(path); err != nil {
				return written, err
			}
			written = append(written, path)
		}
	}
	return written, nil
}
