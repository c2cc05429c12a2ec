package des

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

type localKeyA struct{}
type localKeyB struct{}
type localKeyN int

// TestLocalsKeepOneValuePerKey: each key gets its own value, made once, also past the number
// of keys kept in the scanned slice.
func TestLocalsKeepOneValuePerKey(t *testing.T) {
	var l locals
	made := 0
	mk := func(s string) func() any { return func() any { made++; return s } }
	assert.Equal(t, "a", l.get(localKeyA{}, mk("a")))
	assert.Equal(t, "b", l.get(localKeyB{}, mk("b")))
	assert.Equal(t, "a", l.get(localKeyA{}, mk("x")), "second lookup finds the first value")
	for i := range 3 * localsScan {
		assert.Equal(t, fmt.Sprint(i), l.get(localKeyN(i), mk(fmt.Sprint(i))))
	}
	for i := range 3 * localsScan {
		assert.Equal(t, fmt.Sprint(i), l.get(localKeyN(i), mk("x")), "key %d", i)
	}
	assert.Equal(t, "b", l.get(localKeyB{}, mk("x")))
	assert.Equal(t, 2+3*localsScan, made, "mk runs once per key")
	assert.Len(t, l.few, localsScan)
}
