package reports_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/reports"
	"hotplugsim/reports/reportstest"
)

func TestFileStem(t *testing.T) {
	assert.Equal(t, "ioctl_AMDGPU_CS", reports.FileStem(metrics.Ioctl("AMDGPU_CS")))
	assert.Equal(t, "barmove-stall_0000_03_00.0", reports.FileStem(metrics.BarMoveStall("0000:03:00.0")))
}

func TestMetricPlots(t *testing.T) {
	fast, slow := latencyFixture()
	a, b := metrics.NewRecorder(), metrics.NewRecorder()
	for _, bk := range fast.Buckets() {
		for range bk.Count {
			a.Observe(metrics.Fault, bk.Value)
		}
	}
	for _, bk := range slow.Buckets() {
		for range bk.Count {
			b.Observe(metrics.Fault, bk.Value)
		}
	}
	b.Observe(metrics.Ioctl("AMDGPU_CS"), 7*des.Microsecond)
	b.Observe(metrics.IrqWork, 0) // only a zero: no log-axis plot, no error
	dir := t.TempDir()
	files, err := reports.MetricPlots(dir, []reports.NamedRecorder{{Name: "per-device-lock", Rec: a}, {Name: "global-rwsem", Rec: b}}, "png", "svg")
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		if filepath.Ext(f) == ".png" {
			_, drawn := reportstest.DrawnPixels(t, data)
			assert.Positive(t, drawn)
		}
	}
	// A metric of both recorders has a histogram per recorder (not pooled); one of a single
	// recorder has one.
	assert.Equal(t, []string{"fault.cdf.png", "fault.hist.per-device-lock.png", "fault.hist.global-rwsem.png",
		"fault.cdf.svg", "fault.hist.per-device-lock.svg", "fault.hist.global-rwsem.svg",
		"ioctl_AMDGPU_CS.cdf.png", "ioctl_AMDGPU_CS.hist.png", "ioctl_AMDGPU_CS.cdf.svg", "ioctl_AMDGPU_CS.hist.svg"}, names)
}

func TestSaveRun(t *testing.T) {
	r, _ := fixtureRun()
	dir := t.TempDir()
	files, err := reports.SaveRun(dir, r)
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	assert.Equal(t, []string{"trace.json", "timeline.txt", "slice.txt", "swimlane.png", "swimlane.svg",
		"slice-swimlane.png", "slice-swimlane.svg"}, names)
	data, err := os.ReadFile(filepath.Join(dir, "slice-swimlane.png"))
	require.NoError(t, err)
	_, drawn := reportstest.DrawnPixels(t, data)
	assert.Positive(t, drawn)
	if d := os.Getenv("REPORTS_PNG_DIR"); d != "" {
		require.NoError(t, os.WriteFile(filepath.Join(d, "slice-swimlane.png"), data, 0o644))
	}

	ok := r
	ok.Violations = nil
	files, err = reports.SaveRun(t.TempDir(), ok, "svg")
	require.NoError(t, err)
	assert.Len(t, files, 3)
}
