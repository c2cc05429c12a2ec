package lock_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
)

// collect runs a simulation that keeps going after violations.
func collect() *des.Sim { return des.MustNew(des.Config{CollectAll: true}) }

// kinds lists the violation kinds of r in order.
func kinds(r des.Result) []des.ViolationKind {
	var ks []des.ViolationKind
	for _, v := range r.Violations {
		ks = append(ks, v.Kind)
	}
	return ks
}

// onlyLockOrder asserts r has exactly one violation, a lock-order one containing every want.
func onlyLockOrder(t *testing.T, r des.Result, want ...string) des.Violation {
	t.Helper()
	require.Len(t, r.Violations, 1, "violations: %v", r.Violations)
	v := r.Violations[0]
	require.Equal(t, oracle.LockOrder, v.Kind, v.Msg)
	for _, w := range want {
		require.Contains(t, v.Msg, w)
	}
	return v
}

func requireOK(t *testing.T, r des.Result) {
	t.Helper()
	require.True(t, r.OK(), "violations: %v", r.Violations)
}
