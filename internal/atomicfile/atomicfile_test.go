package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/internal/atomicfile"
)

// A write replaces the file whole and leaves no temporary file; a failed one leaves the old
// file as it was and no temporary file either.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	require.NoError(t, atomicfile.WriteFile(path, []byte("one"), 0o640))
	require.NoError(t, atomicfile.WriteFile(path, []byte("two"), 0o640))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "two", string(b))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), fi.Mode().Perm())

	boom := errors.New("boom")
	err = atomicfile.Write(path, atomicfile.Options{}, func(w io.Writer) error {
		_, _ = w.Write([]byte("partial"))
		return boom
	})
	assert.ErrorIs(t, err, boom)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "two", string(b))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, ents, 1, "no temporary file is left")
}
