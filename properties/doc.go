// Package properties will hold which oracles apply to which scenario, the gopter property
// runs and the bug-zoo table (issue 5). Nothing is implemented here yet.
package properties
