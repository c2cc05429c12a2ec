package newdriver

import "hotplugsim/workloads"

// SmallSpec is a configuration for the systematic search (desrun explore): two apps that each
// submit a job and close its buffer at once, as an app that frees a buffer right after its last
// submit. A search never shortens a think time or a GPU job (a seed fixes both; delays only make
// things later), so under the scenario's Spec a seed whose closes all come after the jobs ended
// has no failing schedule; here every close comes while its job (1-8 µs) may run, on any seed.
func SmallSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "toy"}}},
		Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 2, Ops: 2}},
	}
}
