package hotplugsim_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
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
