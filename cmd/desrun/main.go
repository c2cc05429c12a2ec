// Command desrun runs hotplugsim scenarios: list, run, sweep, merge, replay, shrink, plot,
// report, compare.
// See 'desrun help'. It is a thin main around hotplugsim/cmd/desrun/cli, which a driver model
// of your own can reuse (see that package's documentation).
package main

import (
	"os"

	"hotplugsim/cmd/desrun/cli"
	// Scenario packages register themselves in init functions.
	_ "hotplugsim/workloads/all"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
