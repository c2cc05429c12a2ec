package des

import (
	"fmt"
	"math"
)

// Time is a point in virtual time, in nanoseconds since the start of a run.
type Time int64

// Duration is a span of virtual time in nanoseconds.
type Duration int64

// Units of virtual time.
const (
	Nanosecond  Duration = 1
	Microsecond          = 1000 * Nanosecond
	Millisecond          = 1000 * Microsecond
	Second               = 1000 * Millisecond
	Minute               = 60 * Second
)

// Forever is the largest representable time; a wait with this deadline never times out.
const Forever Time = math.MaxInt64

// Add returns t+d, saturating at Forever.
func (t Time) Add(d Duration) Time {
	u := t + Time(d)
	if d > 0 && u < t { // wrapped around: t+d is past Forever
		return Forever
	}
	return u
}

// Sub returns t-u.
func (t Time) Sub(u Time) Duration { return Duration(t - u) }

// String prints t as a duration since the start of the run.
func (t Time) String() string { return "@" + Duration(t).String() }

// String prints d with the largest unit that keeps it readable: 1.5ms, 20us, 3s.
func (d Duration) String() string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d >= Second:
		s = trimFloat(float64(d)/float64(Second)) + "s"
	case d >= Millisecond:
		s = trimFloat(float64(d)/float64(Millisecond)) + "ms"
	case d >= Microsecond:
		s = trimFloat(float64(d)/float64(Microsecond)) + "us"
	default:
		s = fmt.Sprintf("%dns", int64(d))
	}
	if neg {
		return "-" + s
	}
	return s
}

func trimFloat(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
