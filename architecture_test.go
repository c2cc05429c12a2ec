package hotplugsim_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// codePath is a backquoted file or directory path of the module: one with a slash or a .go or
// .md name, and no spaces or placeholders.
var codePath = regexp.MustCompile("`([A-Za-z0-9_./-]+)`")

// docPaths lists the file and directory paths doc names.
func docPaths(doc string) []string {
	var out []string
	for _, m := range codePath.FindAllStringSubmatch(doc, -1) {
		p := m[1]
		if strings.Contains(p, "/") || strings.HasSuffix(p, ".go") || strings.HasSuffix(p, ".md") {
			out = append(out, p)
		}
	}
	return out
}

// Every file path docs/ARCHITECTURE.md names exists.
func TestArchitecturePathsExist(t *testing.T) {
	b, err := os.ReadFile("docs/ARCHITECTURE.md")
	require.NoError(t, err)
	paths := docPaths(string(b))
	assert.Greater(t, len(paths), 20)
	for _, p := range paths {
		_, err := os.Stat(p)
		assert.NoError(t, err, "docs/ARCHITECTURE.md names %s", p)
	}
	assert.Equal(t, []string{"a/b.go", "c.md"}, docPaths("`a/b.go`, `c.md`, `x y/z`, `<drv>/p.go`, `go test`"))
}
