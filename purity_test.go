package hotplugsim_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deterministicDirs may not read the wall clock or a global random source.
var deterministicDirs = []string{"des", "model", "workloads", "properties"}

// randConstructors are the math/rand names that make a seeded generator; everything else at
// package level draws from the global source.
var randConstructors = map[string]bool{
	"New": true, "NewPCG": true, "NewSource": true, "NewChaCha8": true, "NewZipf": true,
	"Rand": true, "Source": true, "PCG": true, "ChaCha8": true, "Zipf": true,
}

var bannedTime = map[string]bool{"Now": true, "Sleep": true, "Since": true, "Until": true,
	"After": true, "Tick": true, "NewTimer": true, "NewTicker": true, "AfterFunc": true}

// impurities lists wall-clock and global-randomness uses in one Go file. Test files are
// included: a test that reads the clock can make a determinism check pass by accident.
func impurities(fset *token.FileSet, f *ast.File) []string {
	local := map[string]string{} // local name -> import path
	var out []string
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		local[name] = path
		if path == "crypto/rand" {
			out = append(out, fset.Position(imp.Pos()).String()+": imports crypto/rand")
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok || id.Obj != nil {
			return true
		}
		pos := fset.Position(sel.Pos()).String()
		switch local[id.Name] {
		case "time":
			if bannedTime[sel.Sel.Name] {
				out = append(out, pos+": time."+sel.Sel.Name)
			}
		case "math/rand", "math/rand/v2":
			if !randConstructors[sel.Sel.Name] {
				out = append(out, pos+": global rand."+sel.Sel.Name)
			}
		}
		return true
	})
	return out
}

func scan(t *testing.T, src string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	require.NoError(t, err)
	return impurities(fset, f)
}

func TestNoWallClockOrGlobalRandomness(t *testing.T) {
	var found []string
	files := 0
	for _, dir := range deterministicDirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			fset := token.NewFileSet()
			f, perr := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if perr != nil {
				return perr
			}
			files++
			found = append(found, impurities(fset, f)...)
			return nil
		})
		require.NoError(t, err)
	}
	assert.Positive(t, files)
	assert.Empty(t, found, "determinism: these read the wall clock or a global random source")
}

// The scanner itself, both ways.
func TestImpurityScanner(t *testing.T) {
	assert.Empty(t, scan(t, `package x
import ("math/rand/v2"; "time")
func f() { r := rand.New(rand.NewPCG(1, 2)); _ = r.IntN(3); _ = time.Duration(5) * time.Millisecond }`))
	bad := scan(t, `package x
import ("math/rand"; rv2 "math/rand/v2"; "time"; _ "crypto/rand")
func f() { _ = rand.Intn(3); _ = rv2.N(5); _ = time.Now(); time.Sleep(1); _ = time.Since(time.Time{}) }`)
	joined := strings.Join(bad, "\n")
	for _, want := range []string{"crypto/rand", "global rand.Intn", "global rand.N", "time.Now", "time.Sleep", "time.Since"} {
		assert.Contains(t, joined, want)
	}
}

// maxFuncLines is the longest a function may be, from its func line to its closing brace.
const maxFuncLines = 70

// longFuncs are the functions longer than maxFuncLines, with their length: the ones there were
// when the limit came. The list may only shrink: a function may not grow past its length here,
// and one that is back within the limit (or gone) must leave the list.
var longFuncs = map[string]int{
	"cmd/desrun/cli/cli_test.go:TestBadInput":                         108,
	"cmd/desrun/cli/compare.go:runCompare":                            81,
	"cmd/desrun/cli/hardening_test.go:TestInconsistentResultsRefused": 79,
	"cmd/desrun/cli/merge.go:mergeResults":                            102,
	"cmd/desrun/cli/reports_test.go:TestReportsBadInput":              82,
	"cmd/desrun/cli/results.go:parseResults":                          104,
	"cmd/desrun/cli/run.go:runRun":                                    72,
	"cmd/desrun/cli/shrink.go:runShrink":                              95,
	"cmd/desrun/cli/sweep.go:sweep":                                   76,
	"cmd/desrun/cli/verify.go:resultsFile.verify":                     104,
	"model/dmabuf/dmabuf_test.go:TestUseAfterFree":                    75,
	"model/dmabuf/dmabuf_test.go:TestWarnings":                        106,
	"workloads/run.go:Run":                                            71,
	"model/mem/mem_test.go:TestGoneCheck":                             128,
	"model/ttm/metrics_test.go:unplugWorld":                           78,
	"reports/causal/causal.go:Compute":                                81,
	"reports/chrome.go:BuildChromeTrace":                              100,
	"reports/compare.go:ComparisonPlot":                               79,
	"speclimits_test.go:maxima":                                       85,
}

// funcKey names a function declaration as longFuncs does: path:Name or path:Recv.Name.
func funcKey(path string, fd *ast.FuncDecl) string {
	name := fd.Name.Name
	if fd.Recv != nil && len(fd.Recv.List) > 0 {
		t := fd.Recv.List[0].Type
		if s, ok := t.(*ast.StarExpr); ok {
			t = s.X
		}
		if ix, ok := t.(*ast.IndexExpr); ok {
			t = ix.X
		}
		if ix, ok := t.(*ast.IndexListExpr); ok {
			t = ix.X
		}
		if id, ok := t.(*ast.Ident); ok {
			name = id.Name + "." + name
		}
	}
	return filepath.ToSlash(path) + ":" + name
}

// funcLengths lists the length of every function declaration of the module's Go files (the
// bench module and testdata excluded), by funcKey.
func funcLengths(t *testing.T) map[string]int {
	out := map[string]int{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (path == "bench" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		fset := token.NewFileSet()
		f, perr := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if perr != nil {
			return perr
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok {
				out[funcKey(path, fd)] = fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestFunctionLengthRatchet(t *testing.T) {
	lengths := funcLengths(t)
	require.NotEmpty(t, lengths)
	var bad []string
	for _, key := range slices.Sorted(maps.Keys(lengths)) {
		n, allowed := lengths[key], longFuncs[key]
		switch {
		case n > maxFuncLines && allowed == 0:
			bad = append(bad, fmt.Sprintf("%s is %d lines (at most %d)", key, n, maxFuncLines))
		case allowed > 0 && n > allowed:
			bad = append(bad, fmt.Sprintf("%s grew to %d lines (longFuncs allows %d, and the list may only shrink)", key, n, allowed))
		case allowed > 0 && n <= maxFuncLines:
			bad = append(bad, fmt.Sprintf("%s is %d lines now: remove it from longFuncs", key, n))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(longFuncs)) {
		if _, ok := lengths[key]; !ok {
			bad = append(bad, key+" is gone: remove it from longFuncs")
		}
	}
	assert.Empty(t, bad, "function length")
}
