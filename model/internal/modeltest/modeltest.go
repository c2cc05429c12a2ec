// Package modeltest holds the checks that the model packages' tests make on a run's result:
// no violation, exactly one, or a first one of a kind whose report says what it should.
package modeltest

import (
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
)

// T is what the checks need of a *testing.T.
type T interface {
	require.TestingT
	Helper()
}

// Collect is a simulation that keeps running after a violation, so a test sees them all.
func Collect() *des.Sim { return des.MustNew(des.Config{CollectAll: true}) }

// OK asserts r has no violation.
func OK(t T, r des.Result) {
	t.Helper()
	require.True(t, r.OK(), "violations: %v", r.Violations)
}

// First asserts r's first violation is of kind and its report contains every want, and
// returns it.
func First(t T, r des.Result, kind des.ViolationKind, want ...string) des.Violation {
	t.Helper()
	require.NotEmpty(t, r.Violations, "want a %s violation", kind)
	v := r.Violations[0]
	require.Equal(t, kind, v.Kind, v.Msg)
	for _, w := range want {
		require.Contains(t, v.Msg, w)
	}
	return v
}

// Only is First for a run with exactly one violation.
func Only(t T, r des.Result, kind des.ViolationKind, want ...string) des.Violation {
	t.Helper()
	require.Len(t, r.Violations, 1, "violations: %v", r.Violations)
	return First(t, r, kind, want...)
}

// Kinds lists the kinds of r's violations in order.
func Kinds(r des.Result) []des.ViolationKind {
	var ks []des.ViolationKind
	for _, v := range r.Violations {
		ks = append(ks, v.Kind)
	}
	return ks
}
