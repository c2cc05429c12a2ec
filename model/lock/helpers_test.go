package lock_test

import (
	"testing"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
)

// onlyLockOrder asserts r has exactly one violation, a lock-order one containing every want.
func onlyLockOrder(t *testing.T, r des.Result, want ...string) des.Violation {
	t.Helper()
	return modeltest.Only(t, r, oracle.LockOrder, want...)
}
