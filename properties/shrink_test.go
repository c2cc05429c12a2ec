package properties_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/properties"
	"hotplugsim/workloads"
)

func TestViolationTitle(t *testing.T) {
	a := "BUG: unable to handle page fault: writel at iomem:0000:04:00.0:bar5+0x0+0x100 after iounmap by unplug0 at @2us\nsecond line"
	b := "BUG: unable to handle page fault: writel at iomem:0000:04:00.0:bar5+0x8+0x1f0 after iounmap by unplug1 at @3.5ms"
	assert.Equal(t, "BUG: unable to handle page fault: writel at iomem:N:N:N.N:barN+N+N after iounmap by unplugN at @N", properties.ViolationTitle(a))
	assert.Equal(t, properties.ViolationTitle(a), properties.ViolationTitle(b))
	assert.Equal(t, "fence:N waited N", properties.ViolationTitle("fence:12 waited 1.5s"))
	assert.NotEqual(t, properties.ViolationTitle("readl(gpu0:status) after iounmap"), properties.ViolationTitle("writel(gpu0:status) after iounmap"))
}

// Shrink keeps the violation and never lengthens the run; the tape it returns replays the
// minimal run; a run limit is reported.
func TestShrink(t *testing.T) {
	sc := engineDemo(t)
	cfg := workloads.RunConfig{Scenario: sc, Policy: "unsync", Seed: 53}
	s, err := properties.Shrink(cfg, 0)
	require.NoError(t, err)
	assert.Equal(t, "use-after-unmap", s.Kind)
	assert.Equal(t, "BUG: unable to handle page fault for address", s.Title)
	assert.False(t, s.Limited)
	assert.Equal(t, properties.DefaultMaxRuns, s.MaxRuns)
	assert.Less(t, s.Events, s.Base.Events)
	assert.Equal(t, s.Base.Tape().Len(), s.TapeBefore)
	assert.Less(t, s.Tape.Len(), s.TapeBefore)
	assert.LessOrEqual(t, s.Spec.Size().Total(), s.Base.Spec.Size().Total())
	min, err := workloads.Run(workloads.RunConfig{Scenario: sc, Policy: "unsync", Spec: &s.Spec, Tape: s.Tape})
	require.NoError(t, err)
	assert.True(t, s.Same(min))
	assert.Equal(t, s.Events, min.Events)

	// NoTape in cfg: Shrink records the decisions itself.
	cfg.NoTape = true
	again, err := properties.Shrink(cfg, 0)
	require.NoError(t, err)
	assert.Equal(t, s.Events, again.Events)

	few, err := properties.Shrink(workloads.RunConfig{Scenario: sc, Policy: "unsync", Seed: 53}, 4)
	require.NoError(t, err)
	assert.True(t, few.Limited)
	assert.Equal(t, 4, few.Runs)
	assert.LessOrEqual(t, few.Events, few.Base.Events)

	_, err = properties.Shrink(workloads.RunConfig{Scenario: sc, Policy: "sync", Seed: 53}, 0)
	assert.ErrorContains(t, err, "the run does not fail (seed 53, engine-demo/sync): nothing to shrink")
}
