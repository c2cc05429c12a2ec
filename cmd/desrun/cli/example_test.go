package cli_test

import (
	"fmt"
	"os"

	"hotplugsim/cmd/desrun/cli"
)

// Main is desrun; a main of your own calls it with os.Args[1:].
func ExampleMain() {
	code := cli.Main([]string{"run", "--scenario", "engine-demo", "--policy", "sync", "--seed", "1"}, os.Stdout, os.Stderr)
	fmt.Println("exit", code) // 0: no violation
	// Output:
	// scenario     engine-demo
	// policy       sync
	// seed         1
	// strategy     pct:3
	// verdict      pass
	// run          3 processes, 23 steps, 33 events, 21us virtual
	// schedule     pct d=3 k=53, 1 of 2 change points inside the run; time moved on 6 times while processes waited
	// fingerprint  68dd2c42943830a3
	// reproduce    desrun run --scenario engine-demo --policy sync --seed 1 --strategy pct:3
	// exit 0
}
