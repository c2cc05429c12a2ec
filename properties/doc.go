// Package properties runs gopter property runs over the registered scenarios: for each
// scenario and policy, ForAll(Spec, seed) the run has no violation. Fixed policies must hold;
// for a buggy policy the property must fail with the policy's expected violation kind, and
// gopter shrinks the failing Spec and seed.
//
// A property run is deterministic: its gopter seed comes from the DES_SEED environment
// variable (or the -desseed flag, defined in test binaries that import this package), else 1.
// A failure report prints the shrunk Spec, the des seed, the desrun line that reproduces the
// run and the line that reruns the property run, DES_SEED=N go test <package> -run '^TestX$',
// naming the package of the test that failed. Times print as desrun prints them (3.142us).
//
// Run makes a property a test, as rapid and go fuzz do. A user's own scenario gets the same
// treatment from a _test.go file:
//
//	func TestMyDriver(t *testing.T) {
//		sc, _ := workloads.Lookup("my-driver-unplug") // registered in an init function
//		properties.Run(t, sc, "fixed", properties.Config{})
//	}
//
// If the policy violates, Run shrinks the failing run further with Shrink (the shrinker of
// 'desrun shrink': the same violation kind and title in a run no longer than before), fails
// the test with the violation and saves the shrunk failure in the test's package, as testdata/hotplugsim/TestMyDriver/<hash>.json: a desrun tape
// holding the Spec, the des seed and every decision of the run, which replays it exactly (also
// with 'desrun replay FILE', in a desrun built with the scenario). The next go test replays the
// saved failures of the test before its property run, so a fixed bug stays fixed; commit the
// file to keep it as a regression case. Check is the same property run without a test: it
// returns the failure instead.
package properties
