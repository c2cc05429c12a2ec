package des

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDurationString(t *testing.T) {
	for d, want := range map[Duration]string{
		0: "0ns", 999: "999ns", 1500: "1.5us", 2 * Millisecond: "2ms",
		1500 * Millisecond: "1.5s", -3 * Microsecond: "-3us",
	} {
		assert.Equal(t, want, d.String())
	}
	assert.Equal(t, "@1.5us", Time(1500).String())
	assert.Equal(t, Forever, Time(10).Add(Duration(Forever)))
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]Duration{
		"50us": 50 * Microsecond, "2ms": 2 * Millisecond, "1s": Second, "300ns": 300, "42": 42,
		"1.5ms": 1500 * Microsecond,
	} {
		d, err := ParseDuration(in)
		assert.NoError(t, err, in)
		assert.Equal(t, want, d, in)
	}
	for _, in := range []string{"", "x", "-1ms", "5m", "us"} {
		_, err := ParseDuration(in)
		assert.Error(t, err, in)
	}
}
