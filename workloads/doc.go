// Package workloads will hold app behaviours and platform events as processes, the Spec of a
// workload (plain data, JSON), gopter generators of Specs and the scenario registry
// (issue 5). Nothing is implemented here yet.
package workloads
