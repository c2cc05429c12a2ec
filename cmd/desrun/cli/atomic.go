package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"hotplugsim/internal/atomicfile"
)

// Every file desrun writes goes through writeFile; every output directory through writeDir
// (outdir.go). The rules:
//
//   - A regular file (or a new one) is replaced atomically: the data goes to a temporary file
//     next to it, which is fsynced and renamed over it (the directory is fsynced too), so a
//     reader, a crash or a Ctrl-C sees the old file or the whole new one. A new file gets mode
//     0644 (less the umask), a replaced one keeps its mode.
//   - A symlink is followed: its target is written, the link stays.
//   - Anything else that is not a directory (a device such as /dev/null, a FIFO) is written in
//     place, never replaced.
//   - Temporary files and staging directories are removed on error and on SIGINT/SIGTERM
//     (Main's signal handler calls removeStaged).

// maxLinks bounds the symlinks resolveLinks follows.
const maxLinks = 40

// resolveLinks follows path's symlinks to the path to write: the final target, which need not
// exist.
func resolveLinks(path string) (string, error) {
	for range maxLinks {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		to, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(to) {
			to = filepath.Join(filepath.Dir(path), to)
		}
		path = to
	}
	return "", fmt.Errorf("too many levels of symbolic links")
}

// outKind says how an output path is written.
type outKind int

const (
	outNew     outKind = iota // nothing there: created atomically
	outRegular                // a regular file: replaced atomically
	outInPlace                // a device, FIFO...: written in place
)

// classifyOut resolves path and says how it is written.
func classifyOut(path string) (target string, kind outKind, fi fs.FileInfo, err error) {
	target, err = resolveLinks(path)
	if err != nil {
		return "", 0, nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	fi, err = os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return target, outNew, nil, nil
	case err != nil:
		return "", 0, nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	case fi.IsDir():
		return "", 0, nil, fmt.Errorf("cannot write %s: is a directory", path)
	case fi.Mode().IsRegular():
		return target, outRegular, fi, nil
	}
	return target, outInPlace, fi, nil
}

// checkWritable fails early, with one line, if path cannot be written: nothing is run for an
// output that could not be written.
func checkWritable(path string) error {
	if path == "" {
		return nil
	}
	target, kind, fi, err := classifyOut(path)
	if err != nil {
		return err
	}
	if kind == outInPlace {
		if fi.Mode()&fs.ModeNamedPipe != 0 {
			return nil // opening it would wait for a reader
		}
		f, err := os.OpenFile(target, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
		return f.Close()
	}
	f, tmp, err := createTemp(target)
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	f.Close()
	os.Remove(tmp)
	unstage(tmp)
	return nil
}

// unwrapPath drops the temporary name from a *PathError, keeping its cause.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// createTemp creates a new temporary file next to target, registered for removal on a
// signal. Its mode is 0644 less the umask.
func createTemp(target string) (*os.File, string, error) {
	dir, base := filepath.Split(target)
	for {
		tmp := filepath.Join(dir, fmt.Sprintf(".%s.desrun-%d-%08x.tmp", clip(base, 64), os.Getpid(), rand.Uint32()))
		stage(tmp)
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, tmp, nil
		}
		unstage(tmp)
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", err
		}
	}
}

// mkdirStaging creates a new staging directory (mode 0700) in parent, staged for removal on a
// signal before it exists, so that no signal can leave it behind.
func mkdirStaging(parent string) (string, error) {
	for {
		dir := filepath.Join(parent, fmt.Sprintf(".desrun-out-%d-%08x", os.Getpid(), rand.Uint32()))
		stage(dir)
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			return dir, nil
		}
		unstage(dir)
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
}

// writeFile writes path with write, by the rules above. Errors name path and are one line.
func writeFile(path string, write func(w io.Writer) error) error {
	target, kind, fi, err := classifyOut(path)
	if err != nil {
		return err
	}
	if kind == outInPlace {
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
		err = write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		return nil
	}
	var tmp string // staged from its creation until Write is done with it
	opt := atomicfile.Options{Create: func(target string) (f *os.File, err error) {
		f, tmp, err = createTemp(target)
		return f, err
	}}
	if kind == outRegular {
		opt.Perm = fi.Mode().Perm()
	}
	err = atomicfile.Write(target, opt, write)
	if tmp != "" {
		unstage(tmp)
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	return nil
}

// writeBytes writes b to path with writeFile.
func writeBytes(path string, b []byte) error {
	return writeFile(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// staged are the temporary files and staging directories being written, removed if a signal
// ends desrun.
var staged struct {
	sync.Mutex
	paths map[string]bool
}

func stage(path string) {
	staged.Lock()
	defer staged.Unlock()
	if staged.paths == nil {
		staged.paths = map[string]bool{}
	}
	staged.paths[path] = true
}

func unstage(path string) {
	staged.Lock()
	defer staged.Unlock()
	delete(staged.paths, path)
}

// removeStaged removes every staged path. A command may still be writing into a staging
// directory while its signal is handled: RemoveAll is retried until the directory is gone.
func removeStaged() {
	staged.Lock()
	defer staged.Unlock()
	for p := range staged.paths {
		for try := 0; try < 100; try++ {
			if os.RemoveAll(p) == nil {
				if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
	}
	staged.paths = nil
}

// exitOnSignal makes SIGINT and SIGTERM remove what is staged, print one line and exit 130,
// until the returned function is called. Commands that end cleanly on a signal themselves
// (sweep) do not use it.
func exitOnSignal(name string, stderr io.Writer) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			removeStaged()
			fmt.Fprintf(stderr, "desrun %s: interrupted (%v): nothing was written\n", name, sig)
			os.Exit(ExitInterrupted)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// sameFile reports an error if out names the same file as one of the inputs: writing it would
// destroy the input before (or while) it is read.
func sameFile(out string, inputs ...string) error {
	if out == "" {
		return nil
	}
	ofi, err := os.Stat(out)
	if err != nil {
		return nil // nothing there yet (or unreadable: writing it will say)
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		if ifi, err := os.Stat(in); err == nil && os.SameFile(ofi, ifi) && ofi.Mode().IsRegular() {
			return fmt.Errorf("%s is also an input (%s): refusing to overwrite it", out, in)
		}
	}
	return nil
}

// distinctOutputs reports an error if two of the output paths name one file: the second
// would replace the first.
func distinctOutputs(paths ...string) error {
	seen := map[string]string{}
	for _, p := range paths {
		if p == "" {
			continue
		}
		key := p
		if t, err := resolveLinks(p); err == nil {
			if abs, err := filepath.Abs(t); err == nil {
				key = abs
			}
		}
		if prev, dup := seen[key]; dup {
			return fmt.Errorf("%s and %s are the same file: give each output its own", prev, p)
		}
		for q, prevName := range seen {
			if fi1, err1 := os.Stat(q); err1 == nil {
				if fi2, err2 := os.Stat(key); err2 == nil && os.SameFile(fi1, fi2) && fi1.Mode().IsRegular() {
					return fmt.Errorf("%s and %s are the same file: give each output its own", prevName, p)
				}
			}
		}
		seen[key] = p
	}
	return nil
}

// checkOutputs checks outputs before anything runs: each writable, none the same file as
// another or as one of inputs.
func checkOutputs(outputs, inputs []string) error {
	if err := distinctOutputs(outputs...); err != nil {
		return err
	}
	for _, o := range outputs {
		if err := sameFile(o, inputs...); err != nil {
			return err
		}
		if err := checkWritable(o); err != nil {
			return err
		}
	}
	return nil
}
