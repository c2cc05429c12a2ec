package newdriver_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/workloads/newdriver"
)

// ParsePolicy knows the table's names and lists them when it does not.
func TestParsePolicy(t *testing.T) {
	pol, err := newdriver.ParsePolicy(newdriver.WaitIdle)
	require.NoError(t, err)
	assert.Equal(t, newdriver.WaitIdle, pol.Name)
	_, err = newdriver.ParsePolicy("nope")
	assert.EqualError(t, err, `toy: no policy "nope" (have free-now, wait-idle)`)
}
