// Package cli is desrun's command line as a library: Main runs it on any argument list and any
// writers, with the scenarios registered in the binary. A driver model of your own gets a desrun
// with a main of a few lines that imports the package registering your scenario:
//
//	package main
//
//	import (
//		"os"
//
//		"hotplugsim/cmd/desrun/cli"
//		_ "example.com/mydriver/scenarios" // calls workloads.Register in an init function
//	)
//
//	func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
//
// The engine-demo scenario is always there (this package imports it).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	_ "hotplugsim/workloads/enginedemo" // the built-in scenario
)

// Exit codes.
const (
	ExitPass      = 0 // no violation
	ExitViolation = 1 // a violation was found
	ExitUsage     = 2 // usage or input error: one line on stderr
)

const usage = `desrun: deterministic hot-unplug and BAR-move race finder

Usage:
  desrun <command> [flags]

Commands:
  list     scenarios, policies, oracles, strategies, app and event kinds
  run      run one seed of a scenario: verdict, violation, causal trace, reproduce line
  sweep    run a range of seeds in parallel; resumable, shardable JSONL results
  merge    join the results files of a sharded sweep
  replay   rerun a results line (results.jsonl#LINE) or a tape file exactly
  shrink   minimise a failing run: first its Spec, then its choice tape
  explore  run every schedule within a bound of delays: "exhausted, none failed" or the first failure
  plot     draw latency plots of a sweep (--metrics), or the swimlane of one run
  report   one self-contained HTML page of sweeps and runs: summary, plots, repros
  compare  p50/p99 ioctl and fault latency of policies as the number of devices grows
  help     show this help, or a command's: desrun help run

Without --scenario, commands use the default scenario (see 'desrun list').
Exit codes: 0 no violation, 1 violation found, 2 usage or input error (one line on stderr).
Run 'desrun <command> -h' for a command's flags.
`

type command struct {
	name string
	run  func(args []string, stdout, stderr io.Writer) (int, error)
}

var commands = []command{
	{"list", runList},
	{"run", runRun},
	{"sweep", runSweep},
	{"merge", runMerge},
	{"replay", runReplay},
	{"shrink", runShrink},
	{"explore", runExplore},
	{"plot", runPlot},
	{"report", runReport},
	{"compare", runCompare},
}

// Main runs desrun with args (without the program name) and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		if len(args) > 1 {
			return Main([]string{args[1], "-h"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return ExitPass
	}
	for _, c := range commands {
		if c.name == name {
			code, err := c.run(args[1:], stdout, stderr)
			if err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return ExitPass
				}
				fmt.Fprintf(stderr, "desrun %s: %s\n", name, oneLine(err.Error()))
				return ExitUsage
			}
			return code
		}
	}
	fmt.Fprintf(stderr, "desrun: unknown command %q (run 'desrun help')\n", name)
	return ExitUsage
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flags is a subcommand's flag set with its help text.
type flags struct {
	*flag.FlagSet
	synopsis string
	args     string // positional arguments, for the usage line
}

func newFlags(name, args, synopsis string) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors come back as one line; help is printed by parse
	return flags{fs, synopsis, args}
}

// parse handles -h (help to stdout, flag.ErrHelp), returns flag errors as one line, and
// checks the number of positional arguments (flags may follow them).
func (f flags) parse(args []string, stdout io.Writer, minPos, maxPos int) ([]string, error) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprintf(stdout, "Usage: desrun %s [flags]%s\n\n%s\n\nFlags:\n", f.Name(), f.args, f.synopsis)
			f.SetOutput(stdout)
			f.PrintDefaults()
			return nil, flag.ErrHelp
		}
	}
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			return nil, err
		}
		if f.NArg() == 0 {
			break
		}
		pos = append(pos, f.Arg(0))
		args = f.Args()[1:]
	}
	switch {
	case len(pos) > maxPos && maxPos == 0:
		return nil, fmt.Errorf("unexpected argument %q", pos[0])
	case len(pos) > maxPos:
		return nil, fmt.Errorf("unexpected argument %q", pos[maxPos])
	case len(pos) < minPos:
		return nil, fmt.Errorf("missing argument:%s", f.args)
	}
	return pos, nil
}
