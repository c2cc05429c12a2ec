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
	"strconv"
	"strings"
	"unicode/utf8"

	_ "hotplugsim/workloads/enginedemo" // the built-in scenario
)

// Exit codes.
const (
	ExitPass      = 0 // no violation
	ExitViolation = 1 // a violation was found
	ExitUsage     = 2 // usage or input error: one line on stderr
	// ExitInterrupted: a signal (Ctrl-C, SIGTERM) stopped the command; what it had done is
	// reported and nothing is left half-written.
	ExitInterrupted = 130
)

const usageHead = `desrun: deterministic hot-unplug and BAR-move race finder

Usage:
  desrun <command> [flags]

Commands:
`

const usageTail = `
Without --scenario, commands use the default scenario (see 'desrun list').
Exit codes: 0 no violation, 1 violation found, 2 usage or input error (one line on stderr),
130 interrupted (Ctrl-C).
Run 'desrun <command> -h' for a command's flags.
`

type command struct {
	name    string
	summary string // one line of the usage text
	run     func(args []string, stdout, stderr io.Writer) (int, error)
	// ownSignals: the command ends cleanly on SIGINT/SIGTERM itself (else exitOnSignal).
	ownSignals bool
}

// commands are desrun's subcommands, in the order the usage text lists them; Main
// dispatches from it and usage is made from it.
var commands = []command{
	{"list", "scenarios, policies, oracles, strategies, app and event kinds", runList, false},
	{"run", "run one seed of a scenario: verdict, violation, causal trace, reproduce line", runRun, false},
	{"sweep", "run a range of seeds in parallel; resumable, shardable JSONL results", runSweep, true},
	{"merge", "join the results files of a sharded sweep", runMerge, false},
	{"replay", "rerun a results line (results.jsonl#LINE) or a tape file exactly", runReplay, false},
	{"shrink", "minimise a failing run: first its Spec, then its choice tape", runShrink, false},
	{"explore", `run every schedule within a bound of delays: "exhausted, none failed" or the first failure`, runExplore, false},
	{"plot", "draw latency plots of a sweep (--metrics), or the swimlane of one run", runPlot, false},
	{"report", "one self-contained HTML page of sweeps and runs: summary, plots, repros", runReport, false},
	{"compare", "p50/p99 ioctl and fault latency of policies as the number of devices grows", runCompare, false},
	{"version", "print desrun's version (every file desrun writes carries it as tool_version)", runVersion, false},
}

// helpSummary is the usage line of help, which Main handles itself.
const helpSummary = "show this help, or a command's: desrun help run"

// usage is desrun's help text, its command list made from commands.
func usage() string {
	var b strings.Builder
	b.WriteString(usageHead)
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, "  %-8s %s\n", "help", helpSummary)
	b.WriteString(usageTail)
	return b.String()
}

// Main runs desrun with args (without the program name) and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "desrun: missing command (run 'desrun help' for the commands)")
		return ExitUsage
	}
	name := args[0]
	if isHelp(name) {
		// 'desrun help CMD' is 'desrun CMD -h'; help about help (or a second -h) is the usage.
		if len(args) > 1 && !isHelp(args[1]) {
			if cmd := lookupCommand(args[1]); cmd != nil {
				return runCommand(cmd, []string{"-h"}, stdout, stderr)
			}
			fmt.Fprintf(stderr, "desrun: unknown command %s (run 'desrun help')\n", quoteArg(args[1]))
			return ExitUsage
		}
		fmt.Fprint(stdout, usage())
		return ExitPass
	}
	if cmd := lookupCommand(name); cmd != nil {
		return runCommand(cmd, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "desrun: unknown command %s (run 'desrun help')\n", quoteArg(name))
	return ExitUsage
}

func isHelp(s string) bool { return s == "help" || s == "-h" || s == "--help" || s == "-help" }

func lookupCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// runCommand runs c and turns its error into one line on stderr and exit 2.
func runCommand(c *command, args []string, stdout, stderr io.Writer) int {
	if !c.ownSignals {
		defer exitOnSignal(c.name, stderr)()
	}
	code, err := c.run(args, stdout, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPass
		}
		fmt.Fprintf(stderr, "desrun %s: %s\n", c.name, errLine(err))
		if code == ExitInterrupted {
			return code
		}
		return ExitUsage
	}
	return code
}

// maxErrLine bounds an error line: messages quote what they reject, and that can be a whole
// file's worth of input.
const maxErrLine = 400

// errLine is err as one line of at most maxErrLine bytes (cut on a rune boundary).
func errLine(err error) string { return clip(oneLine(err.Error()), maxErrLine) }

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("... (%d more bytes)", len(s)-cut)
}

// quoteArg quotes a command-line argument for a message, clipped.
func quoteArg(s string) string { return strconv.Quote(clip(s, 80)) }

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
