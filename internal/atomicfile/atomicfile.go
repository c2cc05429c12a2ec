// Package atomicfile replaces a file atomically: the data goes to a temporary file next to
// it, which is fsynced and renamed over it, and the directory is fsynced too, so that a
// reader, a crash or a signal sees the old file or the whole new one, never part of it.
// Every file this module writes whole goes through it.
package atomicfile

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Options change how Write makes and finishes the temporary file.
type Options struct {
	// Perm is the mode the file gets; 0 leaves the mode Create gave the temporary file.
	Perm fs.FileMode
	// Create makes the temporary file next to path and returns it open for writing; nil is
	// os.CreateTemp in path's directory (mode 0600), named after path's base.
	Create func(path string) (*os.File, error)
}

// Write writes path with write, atomically. On an error the temporary file is removed and
// path is as it was.
func Write(path string, opt Options, write func(w io.Writer) error) error {
	create := opt.Create
	if create == nil {
		create = createTemp
	}
	f, err := create(path)
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil && opt.Perm != 0 {
		err = f.Chmod(opt.Perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	SyncDir(filepath.Dir(path))
	return nil
}

// WriteFile writes data to path atomically, with mode perm.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, Options{Perm: perm}, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func createTemp(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	return os.CreateTemp(dir, "."+base+".tmp-*")
}

// SyncDir makes a rename in dir durable; a file system that cannot sync a directory is no
// reason to fail.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
