package model_test

import (
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tablePackages returns the first column of the package table in doc's package comment: the
// comma-separated names that start each indented line between "Packages and what they
// import" and the first blank line after the table.
func tablePackages(doc string) []string {
	_, rest, _ := strings.Cut(doc, "Packages and what they import")
	var names []string
	inTable := false
	for line := range strings.SplitSeq(rest, "\n") {
		if !strings.HasPrefix(line, "\t") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		col, _, _ := strings.Cut(strings.TrimSpace(line), "  ")
		col, _, _ = strings.Cut(col, " (")
		for n := range strings.SplitSeq(col, ",") {
			names = append(names, strings.TrimSuffix(strings.TrimSpace(n), "/"))
		}
	}
	slices.Sort(names)
	return names
}

// The package table of doc.go names every package directory under model/, and nothing else.
func TestDocTableListsEveryPackage(t *testing.T) {
	pkg, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	require.NoError(t, err)
	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	slices.Sort(dirs)
	assert.Equal(t, dirs, tablePackages(pkg.Doc.Text()))
}

// The parser reads a table as the test expects, and a package left out shows.
func TestTablePackagesParses(t *testing.T) {
	doc := "Intro.\n\nPackages and what they import:\n\n\toracle, kasan   kinds\n\tlock   (atomic)  locks\n\tdrivers/   (any)   models\n\nMore text.\n\n\tcode block\n"
	assert.Equal(t, []string{"drivers", "kasan", "lock", "oracle"}, tablePackages(doc))
	assert.NotContains(t, tablePackages(doc), "sound")
}
