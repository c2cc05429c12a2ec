package reports

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"hotplugsim/des"
	"hotplugsim/reports/causal"
)

// WriteTimeline writes events as a text table with aligned columns: trace seq ("#461", the
// number violation messages cite), time in µs (3 decimals, right-aligned), process, kind,
// object, arguments (named where the kind is known, "a=.. b=.." otherwise, addresses in hex;
// zeros left out: causal.Args). A line
// starting with "!" follows each event of kind "violation" with the violation's message when
// vs has one at that time and process.
func WriteTimeline(w io.Writer, events []des.Event, names Names, vs []des.Violation) error {
	if names == nil {
		names = NamesFromEvents(events)
	}
	rows := [][]string{{"seq", "time(µs)", "proc", "kind", "obj", "args"}}
	for _, e := range events {
		rows = append(rows, []string{"#" + itoa(int64(e.Seq)), micros(int64(e.At)), procLabel(names, e.Proc),
			e.Kind.String(), e.Obj.String(), causal.Args(e)})
	}
	width := make([]int, 6)
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b bytes.Buffer
	for i, r := range rows {
		line := pad(r[0], width[0], false) + "  " + pad(r[1], width[1], true) + "  " +
			pad(r[2], width[2], false) + "  " + pad(r[3], width[3], false) + "  " +
			pad(r[4], width[4], false) + "  " + r[5]
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
		if i > 0 && events[i-1].Kind.String() == "violation" {
			if v := findViolation(vs, events[i-1]); v != nil {
				b.WriteString("! " + oneLine(v.String()) + "\n")
			}
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func procLabel(names Names, id int32) string {
	if id < 0 {
		return "des"
	}
	return names.Name(id) + "#" + itoa(int64(id))
}

func pad(s string, n int, right bool) string {
	fill := strings.Repeat(" ", max(0, n-utf8.RuneCountInString(s)))
	if right {
		return fill + s
	}
	return s + fill
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// findViolation returns the violation a "violation" event records (same time, process, kind).
func findViolation(vs []des.Violation, e des.Event) *des.Violation {
	for i := range vs {
		v := &vs[i]
		if v.At == e.At && int32(v.PID) == e.Proc && string(v.Kind) == e.Obj.String() {
			return v
		}
	}
	return nil
}
