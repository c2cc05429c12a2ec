package reports_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	update  = flag.Bool("update", false, "rewrite the golden files in testdata/")
	rewrite = flag.Bool("rewrite", false, "same as -update")
)

// golden compares got with testdata/name, or rewrites it under -update / -rewrite.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update || *rewrite {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./reports -run %s -update", t.Name())
	if !bytes.Equal(want, got) {
		out := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(out, got, 0o644))
		t.Fatalf("%s differs from the golden file (got: %s); if the change is intended, run go test ./reports -run %s -update", path, out, t.Name())
	}
}

func fmtSscan(s string, v *float64) (int, error) { return fmt.Sscan(s, v) }
