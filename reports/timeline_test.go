package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/reports"
)

func TestTimelineGolden(t *testing.T) {
	r, _ := fixtureRun()
	var b bytes.Buffer
	require.NoError(t, reports.WriteTimeline(&b, r.Events, r.Names, r.Violations))
	golden(t, "fixture.timeline.txt", b.Bytes())
}

func TestTimelineColumnsAligned(t *testing.T) {
	r, _ := fixtureRun()
	var b bytes.Buffer
	require.NoError(t, reports.WriteTimeline(&b, r.Events, nil, r.Violations))
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, lines, len(r.Events)+2) // header + events + the violation's message
	assert.True(t, strings.HasPrefix(lines[0], "seq  time(µs)"))
	// The proc column ends at the same rune offset on every event line (the time column is
	// right-aligned after the seq).
	col := -1
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "!") {
			assert.Contains(t, l, "use-after-unmap at @24us in app0")
			continue
		}
		require.True(t, strings.HasPrefix(l, "#"), l)
		rs := []rune(l)
		i := 0
		for rs[i] != ' ' {
			i++
		}
		for rs[i] == ' ' {
			i++
		}
		for rs[i] != ' ' {
			i++
		}
		if col < 0 {
			col = i
		}
		require.Equal(t, col, i, l)
		assert.Equal(t, strings.TrimRight(l, " "), l)
	}
}
