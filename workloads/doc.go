// Package workloads holds what a run is made of above the kernel model: the workload Spec,
// its gopter generators and shrinkers, the generic app and platform event processes, and the
// scenario registry with the Run function that desrun and the property runs share.
//
//   - Spec (spec.go, validate.go) is plain data, read from JSON by DecodeSpec with unknown
//     fields rejected and checked by Validate, whose errors name the field
//     (`apps[1].count: must be >= 1`).
//   - Spec.WithDevices (devices.go) grows a Spec to N devices of its first device's kind,
//     with their apps and events, for comparisons as the topology grows (desrun compare).
//   - GenSpec and ShrinkSpec (gen.go) generate Specs for a scenario and shrink them: fewer
//     apps, events and BOs, fewer instances and ops, earlier events, smaller sizes.
//   - Start (spawn.go) spawns one task per app instance and per platform event of a Spec,
//     driving a scenario's Target; relative events wait for their app event.
//   - ProbeBarrier (probe.go) is the end of the boot-time probe: the probe path finishes it
//     once, with its error, and StartProbed's apps wait for it before AppOpen and its
//     platform events before Platform; a failed probe releases them with the error.
//   - Register, Lookup, Names, All and Default (registry.go) keep the scenarios. Register from
//     an init function in any package, a _test.go file included; it panics on a duplicate
//     name or a malformed scenario. DefaultScenario is "amdgpu-unplug"; until it is
//     registered Default falls back to the first scenario by name.
//   - Run (run.go) builds a scenario on a fresh Sim and runs it, and returns an Outcome: the
//     fields `desrun run --json` prints, the engine Result, the causal slice of the trace
//     and the desrun command that reproduces the run. RunConfig.Metrics attaches a
//     des/metrics Recorder to the run's Sim before the model is built.
//
// Nothing here reads the wall clock or a global random source, and no map iteration order
// reaches behaviour.
package workloads
