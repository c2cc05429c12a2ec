// Command desrun runs hotplugsim simulations. This build has the engine demo; the scenario
// commands (list, run, sweep, replay, shrink, plot, report, merge) arrive with the scenarios.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `desrun: deterministic hot-unplug and BAR-move race finder

Usage:
  desrun <command> [flags]

Commands:
  demo    sweep seeds of a small built-in unplug race on the bare engine
  help    show this help, or a command's: desrun help demo

Exit codes: 0 no violation, 1 violation found, 2 usage or input error.
Run 'desrun <command> -h' for a command's flags.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type command struct {
	name string
	run  func(args []string, stdout, stderr io.Writer) (int, error)
}

var commands = []command{{"demo", runDemo}}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		if len(args) > 1 {
			return run([]string{args[1], "-h"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	for _, c := range commands {
		if c.name == name {
			code, err := c.run(args[1:], stdout, stderr)
			if err != nil {
				if errors.Is(err, flag.ErrHelp) {
					return 0
				}
				fmt.Fprintf(stderr, "desrun %s: %v\n", name, err)
				return 2
			}
			return code
		}
	}
	fmt.Fprintf(stderr, "desrun: unknown command %q (run 'desrun help')\n", name)
	return 2
}

// flags is a subcommand's flag set with its help text.
type flags struct {
	*flag.FlagSet
	synopsis string
}

func newFlags(name, synopsis string) flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors come back as one line; help is printed by parse
	return flags{fs, synopsis}
}

// parse handles -h (help to stdout, flag.ErrHelp) and returns flag errors as one line.
func (f flags) parse(args []string, stdout io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprintf(stdout, "Usage: desrun %s [flags]\n\n%s\n\nFlags:\n", f.Name(), f.synopsis)
			f.SetOutput(stdout)
			f.PrintDefaults()
			return flag.ErrHelp
		}
	}
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", f.Arg(0))
	}
	return nil
}
