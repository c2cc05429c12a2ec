// Package properties runs gopter property runs over the registered scenarios: for each
// scenario and policy, ForAll(Spec, seed) the run has no violation. Fixed policies must hold;
// for a buggy policy the property must fail with the policy's expected violation kind, and
// gopter shrinks the failing Spec and seed.
//
// A property run is deterministic: its gopter seed comes from the -desseed flag, else the
// DES_SEED environment variable, else 1. A failure report prints the shrunk Spec, the des seed,
// the `desrun run ...` line that reproduces the run (the Spec is saved to a file for it) and
// the -desseed that reruns the whole property run.
//
// A user's own scenario gets the same treatment from a _test.go file:
//
//	func TestMyDriver(t *testing.T) {
//		sc, _ := workloads.Lookup("my-driver-unplug") // registered in an init function
//		f, err := properties.Check(sc, "fixed", properties.Config{})
//		require.NoError(t, err)
//		if f != nil {
//			t.Fatal(f.Report(t.Name()))
//		}
//	}
package properties
