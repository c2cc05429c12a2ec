package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// profileFlags are a sweep's Go profiles of desrun itself (go tool pprof reads them): where
// the CPU goes, and where workers wait on each other (mutex: contended locks; block:
// channel operations, locks and waits).
type profileFlags struct {
	cpu, mutex, block *string
}

func addProfileFlags(f flags) profileFlags {
	return profileFlags{
		cpu:   f.String("cpuprofile", "", "write a CPU profile of the sweep to this file (go tool pprof)"),
		mutex: f.String("mutexprofile", "", "write a profile of contended locks (every contention event) to this file"),
		block: f.String("blockprofile", "", "write a profile of where goroutines blocked (channels, locks, waits; every event) to this file"),
	}
}

// start starts the profiles asked for; stop writes them and puts the runtime's sampling back.
// The files are created before the sweep starts, so a bad path fails at once.
func (pf profileFlags) start() (stop func() error, err error) {
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	create := func(path string) (*os.File, error) {
		if path == "" {
			return nil, nil
		}
		f, err := os.Create(path)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
		}
		files = append(files, f)
		return f, nil
	}
	cpu, err := create(*pf.cpu)
	if err != nil {
		return nil, err
	}
	mutex, err := create(*pf.mutex)
	if err != nil {
		return nil, err
	}
	block, err := create(*pf.block)
	if err != nil {
		return nil, err
	}
	if cpu != nil {
		if err := pprof.StartCPUProfile(cpu); err != nil {
			closeAll()
			return nil, fmt.Errorf("cannot start the CPU profile: %w", err)
		}
	}
	oldMutex := -1
	if mutex != nil {
		oldMutex = runtime.SetMutexProfileFraction(1)
	}
	if block != nil {
		runtime.SetBlockProfileRate(1)
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
		}
		if mutex != nil {
			errs = append(errs, pprof.Lookup("mutex").WriteTo(mutex, 0))
			runtime.SetMutexProfileFraction(oldMutex)
		}
		if block != nil {
			errs = append(errs, pprof.Lookup("block").WriteTo(block, 0))
			runtime.SetBlockProfileRate(0)
		}
		for _, f := range files {
			errs = append(errs, f.Close())
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("cannot write profile: %w", err)
		}
		return nil
	}, nil
}
