package pcibars

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The PCI core's order passes; anything else panics naming the transition.
func TestLifecycleTransitions(t *testing.T) {
	var l lifecycle
	l.assertProbe("gpu0")
	l.probed("gpu0")
	l.prepared("gpu0")
	l.removed("gpu0") // a remove inside a rescan
	l.assertProbe("gpu0")
	l.probed("gpu0")
	l.prepared("gpu0")
	l.done("gpu0")
	assert.PanicsWithValue(t, "pcibars: gpu0: invalid transition: bound -> probe", func() { l.assertProbe("gpu0") })
	assert.PanicsWithValue(t, "pcibars: gpu0: invalid transition: bound -> rescan_done", func() { l.done("gpu0") })
	l.prepared("gpu0")
	assert.PanicsWithValue(t, "pcibars: gpu0: invalid transition: moving -> rescan_prepare", func() { l.prepared("gpu0") })
	l.removed("gpu0")
	assert.PanicsWithValue(t, "pcibars: gpu0: invalid transition: unbound -> remove", func() { l.removed("gpu0") })
}
