package cli

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"hotplugsim/reports"
)

const plotSynopsis = `Draw the plots of a results file, a run file or a tape into DIR (PNG and SVG):

  results.jsonl  from 'desrun sweep --metrics --out results.jsonl': for every metric a latency
                 CDF (<metric>.cdf.png) and a histogram (<metric>.hist.png)
  run.json       from 'desrun run --out run.json' (with --metrics for the latency plots): the
                 run is rerun (it must reproduce its fingerprint) and drawn as a swimlane
                 timeline (swimlane.png; slice-swimlane.png of the violation's causal slice),
                 with its Chrome trace (trace.json, for Perfetto) and text timeline
  file.tape      from 'desrun run --tape' or 'desrun shrink': replayed and drawn as a run file

DIR is created if missing (its parent must exist). Files are written whole: on an error DIR
is left as it was.`

func runPlot(args []string, stdout, _ io.Writer) (int, error) {
	f := newFlags("plot", " FILE", plotSynopsis)
	dir := f.String("o", "", "write the plots into this directory (required)")
	formats := f.String("format", "png,svg", "image formats: png, svg or both")
	pos, err := f.parse(args, stdout, 1, 1)
	if err != nil {
		return ExitUsage, err
	}
	fmts, err := parseFormats(*formats)
	if err != nil {
		return ExitUsage, err
	}
	if *dir == "" {
		return ExitUsage, fmt.Errorf("missing -o DIR: the directory to write the plots into")
	}
	in, err := loadInput(pos[0])
	if err != nil {
		return ExitUsage, err
	}
	if in.results != nil && !in.results.header.Metrics {
		return ExitUsage, fmt.Errorf("%s has no metrics: run the sweep with --metrics", in.path)
	}
	written, err := writeDir(*dir, []string{in.path}, func(stage string) error { return drawInput(stage, in, fmts) })
	if err != nil {
		return ExitUsage, err
	}
	for _, p := range written {
		fmt.Fprintln(stdout, p)
	}
	return ExitPass, nil
}

// drawInput writes the input's plots into dir.
func drawInput(dir string, in *input, formats []string) error {
	rec := in.rec
	if in.src != nil {
		o, run, err := in.rerun()
		if err != nil {
			return err
		}
		if _, err := reports.SaveRun(dir, run, formats...); err != nil {
			return fmt.Errorf("cannot write the run's plots: %w", err)
		}
		if rec == nil {
			rec = o.Metrics // a tape: the rerun recorded them
		}
	}
	if rec == nil {
		return nil
	}
	if _, err := reports.MetricPlots(dir, []reports.NamedRecorder{{Name: in.legend(), Rec: rec}}, formats...); err != nil {
		return fmt.Errorf("cannot write the metric plots: %w", err)
	}
	return nil
}

func parseFormats(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f != "png" && f != "svg" {
			return nil, fmt.Errorf("bad -format %q: want png, svg or png,svg", s)
		}
		out = append(out, f)
	}
	return out, nil
}

// plotTitle names the plot file MetricPlots wrote at path for one of the metric names.
func plotTitle(path string, names []string) string {
	base := filepath.Base(path)
	for _, n := range names {
		stem := reports.FileStem(n)
		switch {
		case strings.HasPrefix(base, stem+".cdf."):
			return n + ": latency CDF"
		case strings.HasPrefix(base, stem+".hist."):
			return n + ": latency histogram"
		}
	}
	return base
}
