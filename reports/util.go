package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"hotplugsim/des"
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// Unit is a time unit for axes and tables.
type Unit struct {
	Name string       // "ns", "µs", "ms", "s"
	Size des.Duration // ns per unit
}

var units = []Unit{{"ns", des.Nanosecond}, {"µs", des.Microsecond}, {"ms", des.Millisecond}, {"s", des.Second}}

// UnitFor picks the largest unit in which d is at least 1 (ns for d < 1µs).
func UnitFor(d des.Duration) Unit {
	u := units[0]
	for _, c := range units[1:] {
		if d >= c.Size {
			u = c
		}
	}
	return u
}

// In converts d to the unit.
func (u Unit) In(d des.Duration) float64 { return float64(d) / float64(u.Size) }

// FormatDuration prints d with the unit UnitFor(d) picks and up to 3 significant decimals:
// "12.5µs", "3ms", "800ns".
func FormatDuration(d des.Duration) string {
	if d < 0 {
		// -d overflows for the most negative Duration: print the magnitude as a float.
		u := UnitFor(-max(d, -des.Duration(math.MaxInt64)))
		return "-" + trimNum(-u.In(d)) + u.Name
	}
	u := UnitFor(d)
	return trimNum(u.In(d)) + u.Name
}

// trimNum prints f with at most 3 decimals and no trailing zeros.
func trimNum(f float64) string {
	s := strconv.FormatFloat(f, 'f', 3, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// micros prints a time in µs with exactly 3 decimals ("12.345"), from integers only.
func micros(t int64) string {
	neg, u := "", uint64(t)
	if t < 0 {
		neg, u = "-", -uint64(t) // exact for every int64, math.MinInt64 too
	}
	return fmt.Sprintf("%s%d.%03d", neg, u/1000, u%1000)
}
