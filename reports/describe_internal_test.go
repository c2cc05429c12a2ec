package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"hotplugsim/des/metrics"
)

func TestDescribeStripsTheFilePrefix(t *testing.T) {
	want := metrics.Describe(metrics.Fault)
	assert.Equal(t, want, describe(metrics.Fault))
	assert.Equal(t, want, describe("global-rwsem: "+metrics.Fault))
	assert.Equal(t, "my-metric", describe("run.json: my-metric"), "unknown metrics describe as themselves")
	stall := metrics.BarMoveStall("0000:01:00.0")
	assert.Equal(t, metrics.Describe(stall), describe("a: "+stall), "a ':' inside a metric name is not a prefix")
	assert.NotEqual(t, stall, metrics.Describe(stall))
}
