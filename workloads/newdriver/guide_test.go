package newdriver_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The guide shows this package's files verbatim: every "<!-- file: PATH -->" line is followed
// by a go block that must equal the file at PATH (from the repository root).
func TestGuideShowsTheseFiles(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "new-driver.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)<!-- file: (\\S+) -->\n```go\n(.*?)```\n").FindAllSubmatch(doc, -1)
	require.Len(t, blocks, 2, "the driver file and its Example")
	for _, b := range blocks {
		src, err := os.ReadFile(filepath.Join(root, string(b[1])))
		require.NoError(t, err)
		assert.Equal(t, string(src), string(b[2]), "docs/new-driver.md shows %s as it is", b[1])
	}
}
