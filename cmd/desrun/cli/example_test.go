package cli_test

import (
	"os"

	"hotplugsim/cmd/desrun/cli"
)

// Main is desrun; a main of your own calls it with os.Args[1:].
func ExampleMain() {
	code := cli.Main([]string{"sweep", "--scenario", "engine-demo", "--policy", "sync", "--seeds", "1:100", "--json"}, os.Stdout, os.Stderr)
	_ = code // 0: no violation
}
