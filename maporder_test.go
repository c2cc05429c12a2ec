package hotplugsim_test

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/packages"
)

// orderFreeMark on a range statement's line, or the line above it, says the loop's result does
// not depend on the order it visits a map in (a sum, a lookup, a delete, building another map),
// with why after it.
const orderFreeMark = "order-free:"

// mapRanges lists the loops of pkgs over a map, or over maps.Keys, maps.Values or maps.All of
// one, that carry no orderFreeMark: Go randomises their order on every run.
func mapRanges(pkgs []*packages.Package) []string {
	out := []string{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Syntax {
			marked := markedLines(pkg.Fset, f)
			ast.Inspect(f, func(n ast.Node) bool {
				rs, ok := n.(*ast.RangeStmt)
				if !ok || !rangesOverMap(pkg.TypesInfo, rs.X) {
					return true
				}
				pos := pkg.Fset.Position(rs.Pos())
				if !marked[pos.Line] && !marked[pos.Line-1] && !slices.Contains(out, pos.String()) {
					out = append(out, pos.String())
				}
				return true
			})
		}
	}
	return out
}

// markedLines are the lines of f with an orderFreeMark comment.
func markedLines(fset *token.FileSet, f *ast.File) map[int]bool {
	out := map[int]bool{}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.Contains(c.Text, orderFreeMark) {
				out[fset.Position(c.Pos()).Line] = true
			}
		}
	}
	return out
}

// rangesOverMap reports whether x is a map, or a maps.Keys/Values/All call (an iterator in
// map order).
func rangesOverMap(info *types.Info, x ast.Expr) bool {
	if t := info.TypeOf(x); t != nil {
		if _, ok := t.Underlying().(*types.Map); ok {
			return true
		}
	}
	call, ok := x.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	fn, ok := info.Uses[sel.Sel].(*types.Func)
	return ok && fn.Pkg() != nil && fn.Pkg().Path() == "maps" &&
		(fn.Name() == "Keys" || fn.Name() == "Values" || fn.Name() == "All")
}

func loadPackages(t *testing.T, dir string, patterns ...string) []*packages.Package {
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedSyntax | packages.NeedTypes |
		packages.NeedTypesInfo, Dir: dir}
	pkgs, err := packages.Load(cfg, patterns...)
	require.NoError(t, err)
	for _, p := range pkgs {
		require.Empty(t, p.Errors, p.PkgPath)
	}
	return pkgs
}

// Nothing in the deterministic packages depends on map iteration order. Test files are not
// scanned: their map-keyed tables check each entry on its own, whatever the order.
func TestNoMapIterationOrder(t *testing.T) {
	var patterns []string
	for _, d := range deterministicDirs {
		patterns = append(patterns, "./"+d+"/...")
	}
	pkgs := loadPackages(t, ".", patterns...)
	assert.NotEmpty(t, pkgs)
	assert.Empty(t, mapRanges(pkgs), "determinism: loops over a map (sort the keys, or mark the loop %q with why)", orderFreeMark)
}

// checkSource type-checks one file of package x and lists its unmarked map loops.
func checkSource(t *testing.T, src string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, parser.ParseComments)
	require.NoError(t, err)
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "source", nil)}
	_, err = conf.Check("x", fset, []*ast.File{f}, info)
	require.NoError(t, err)
	return mapRanges([]*packages.Package{{Fset: fset, Syntax: []*ast.File{f}, TypesInfo: info}})
}

// The checker itself, both ways.
func TestMapOrderChecker(t *testing.T) {
	assert.Empty(t, checkSource(t, `package x
import ("maps"; "slices")
type set map[string]bool
func f(m map[string]int, s set) (n int) {
	for _, k := range slices.Sorted(maps.Keys(m)) { n += m[k] }
	for range []int{1} {}
	for k := range s { // order-free: a count
		_ = k; n++
	}
	// order-free: a sum
	for _, v := range m { n += v }
	return n
}`))
	bad := checkSource(t, `package x
import "maps"
type set map[string]bool
func f(m map[string]int, s set) (out []string) {
	for k := range m { out = append(out, k) }
	for k := range s { out = append(out, k) }
	for k := range maps.Keys(m) { out = append(out, k) }
	for _, v := range maps.All(m) { _ = v }
	return out
}`)
	assert.Len(t, bad, 4, "a map, a named map type, maps.Keys and maps.All: %v", bad)
}
