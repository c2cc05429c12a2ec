package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
)

// printMetrics prints one line per metric: count, p50, p90, p99, p999 and max in µs of
// virtual time, the numbers right-aligned.
func printMetrics(w io.Writer, rec *metrics.Recorder) {
	sums := rec.Summaries()
	if len(sums) == 0 {
		fmt.Fprintln(w, "metrics      none recorded (the scenario's model records none, or nothing ran)")
		return
	}
	rows := [][]string{{"metric", "count", "p50", "p90", "p99", "p999", "max"}}
	for _, s := range sums {
		rows = append(rows, []string{s.Name, strconv.FormatUint(s.Count, 10), micros(s.P50), micros(s.P90),
			micros(s.P99), micros(s.P999), micros(s.Max)})
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	fmt.Fprintln(w, "metrics (µs of virtual time):")
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-len([]rune(c)))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// micros prints d in µs with 3 decimals (exact: d is in ns).
func micros(d des.Duration) string {
	neg, u := "", uint64(d)
	if d < 0 {
		neg, u = "-", -uint64(d) // exact for every int64, math.MinInt64 too
	}
	return fmt.Sprintf("%s%d.%03d", neg, u/1000, u%1000)
}
