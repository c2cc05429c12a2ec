package properties_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"hotplugsim/properties"
	"hotplugsim/workloads"
)

// printTB stands in for the *testing.T of a test function: it prints the first line of what
// Run reports.
type printTB struct{ name string }

func (p printTB) Helper()      {}
func (p printTB) Name() string { return p.name }
func (p printTB) Errorf(format string, args ...any) {
	fmt.Println(strings.SplitN(fmt.Sprintf(format, args...), "\n", 2)[0])
}
func (p printTB) Logf(string, ...any) {}

// In a _test.go file, Run checks a policy as a test:
//
//	func TestEngineDemo(t *testing.T) {
//		sc, _ := workloads.Lookup("engine-demo")
//		properties.Run(t, sc, "sync", properties.Config{})
//	}
//
// A fixed policy passes. A buggy one fails the test with the shrunk violation and saves it
// to testdata/hotplugsim/TestEngineDemo/<hash>.json, which the next go test replays first.
func ExampleRun() {
	sc, _ := workloads.Lookup("engine-demo")
	dir, _ := os.MkdirTemp("", "hotplugsim-example")
	defer os.RemoveAll(dir)
	t := printTB{name: "TestEngineDemo"}
	properties.Run(t, sc, "sync", properties.Config{Tests: 20, Seed: 1, Dir: dir})
	f := properties.Run(t, sc, "unsync", properties.Config{Tests: 150, Seed: 1, Dir: dir})
	rel, _ := filepath.Rel(dir, filepath.Dir(f.Saved))
	fmt.Println("saved under", rel)
	// Output:
	// property engine-demo/unsync failed: use-after-unmap at 0ns in render1.0: BUG: unable to handle page fault for address
	// saved under TestEngineDemo
}
