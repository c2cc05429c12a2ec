package hotplugsim_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
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

// Every driver model under model/drivers/ declares its policies in policy.go, as the page says:
// a Policies table and the ParsePolicy made from it.
func TestDriverPolicyTables(t *testing.T) {
	dirs, err := os.ReadDir("model/drivers")
	require.NoError(t, err)
	n := 0
	for _, d := range dirs {
		if !d.IsDir() || d.Name() == "policy" {
			continue
		}
		n++
		b, err := os.ReadFile("model/drivers/" + d.Name() + "/policy.go")
		if !assert.NoError(t, err, "driver %s has no policy.go", d.Name()) {
			continue
		}
		src := string(b)
		assert.Contains(t, src, "var Policies = []Policy{", d.Name())
		assert.Contains(t, src, "func ParsePolicy(", d.Name())
	}
	assert.GreaterOrEqual(t, n, 5)
}

// README.md's strategies bullet names every strategy of des.Strategies.
func TestReadmeNamesEveryStrategy(t *testing.T) {
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	_, bullet, ok := strings.Cut(string(b), "\n- Strategies: ")
	require.True(t, ok, "README.md has no '- Strategies:' bullet")
	bullet, _, _ = strings.Cut(bullet, "\n- ")
	for _, st := range des.Strategies {
		assert.Contains(t, bullet, "`"+st.Syntax+"`", "README.md's strategies bullet")
	}
}
