package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// writeDir fills the output directory dir through a staging directory next to it: fill
// writes every file into the staging directory, and only if it succeeds are the files moved
// into dir (created if missing; its parent must exist). An error leaves dir as it was: no
// partial output, and so does a signal (the staging directory is removed). A file that would
// replace one of inputs is refused. It returns the final paths of the files, sorted.
func writeDir(dir string, inputs []string, fill func(stage string) error) ([]string, error) {
	if dir == "" {
		return nil, errors.New("missing -o DIR: the directory to write into")
	}
	exists := false
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("cannot write %s: not a directory", dir)
		}
		exists = true
		if err := checkWritable(filepath.Join(dir, "probe")); err != nil {
			return nil, err
		}
	}
	staging, err := mkdirStaging(filepath.Dir(filepath.Clean(dir)))
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
	}
	defer func() {
		os.RemoveAll(staging)
		unstage(staging)
	}()
	if err := fill(staging); err != nil {
		return nil, err
	}
	var rel []string
	err = filepath.WalkDir(staging, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			r, _ := filepath.Rel(staging, path)
			rel = append(rel, r)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", dir, err)
	}
	sort.Strings(rel)
	for _, r := range rel {
		if err := sameFile(filepath.Join(dir, r), inputs...); err != nil {
			return nil, err
		}
	}
	if !exists {
		if err := os.Chmod(staging, 0o755); err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", dir, err)
		}
		if err := os.Rename(staging, dir); err != nil {
			return nil, fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
		}
	} else {
		for _, r := range rel {
			to := filepath.Join(dir, r)
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return nil, fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
			}
			if err := os.Rename(filepath.Join(staging, r), to); err != nil {
				return nil, fmt.Errorf("cannot write %s: %w", dir, unwrapPath(err))
			}
		}
	}
	out := make([]string, len(rel))
	for i, r := range rel {
		out[i] = filepath.Join(dir, r)
	}
	return out, nil
}
