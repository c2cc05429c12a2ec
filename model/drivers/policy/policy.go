// Package policy is the one shape in which a driver model declares its policies: a table of
// named, documented designs of its protocol, each with the switches it sets. The driver's
// ParsePolicy (and its error text), a scenario's policy list (workloads.PoliciesOf) and
// desrun list are all made from that table.
package policy

import (
	"fmt"
	"strings"
)

// Decl is what every policy declares: its name, as specs and the command line give it, and
// a one-line doc.
type Decl struct {
	Name string
	Doc  string
}

// Declared is a driver's policy type: a struct with Name and Doc fields and its switches,
// which returns the first two as a Decl.
type Declared interface {
	Decl() Decl
}

// Parse returns the policy of table named name, or an error, prefixed with driver, that lists
// every name of table.
func Parse[P Declared](driver string, table []P, name string) (P, error) {
	for _, p := range table {
		if p.Decl().Name == name {
			return p, nil
		}
	}
	var zero P
	return zero, fmt.Errorf("%s: no policy %q (have %s)", driver, name, strings.Join(Names(table), ", "))
}

// Names lists the names of table, in its order.
func Names[P Declared](table []P) []string {
	names := make([]string, len(table))
	for i, p := range table {
		names[i] = p.Decl().Name
	}
	return names
}

// Decls lists the declarations of table, in its order.
func Decls[P Declared](table []P) []Decl {
	ds := make([]Decl, len(table))
	for i, p := range table {
		ds[i] = p.Decl()
	}
	return ds
}
