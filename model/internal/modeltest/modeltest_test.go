package modeltest_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"hotplugsim/des"
	"hotplugsim/model/internal/modeltest"
	"hotplugsim/model/oracle"
)

// recorder is a modeltest.T that records a failure instead of failing the test.
type recorder struct{ failed bool }

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) FailNow()              { r.failed = true; panic(r) }

// fails reports whether check fails on r.
func fails(check func(t modeltest.T)) (failed bool) {
	rec := &recorder{}
	defer func() {
		if p := recover(); p != nil && p != any(rec) {
			panic(fmt.Sprint(p))
		}
		failed = rec.failed
	}()
	check(rec)
	return rec.failed
}

func run(violations int) des.Result {
	sim := modeltest.Collect()
	sim.Spawn("x", des.Task, func(p *des.Proc) {
		for i := 0; i < violations; i++ {
			sim.Violate(p, oracle.LockOrder, des.L("x"), fmt.Sprintf("report %d", i))
		}
	})
	return sim.Run()
}

func TestChecksPassOnTheRightRunAndFailOnTheWrongOne(t *testing.T) {
	none, one, two := run(0), run(1), run(2)
	assert.False(t, fails(func(t modeltest.T) { modeltest.OK(t, none) }))
	assert.True(t, fails(func(t modeltest.T) { modeltest.OK(t, one) }))

	assert.False(t, fails(func(t modeltest.T) { modeltest.Only(t, one, oracle.LockOrder, "report 0") }))
	assert.True(t, fails(func(t modeltest.T) { modeltest.Only(t, two, oracle.LockOrder) }), "two violations")
	assert.True(t, fails(func(t modeltest.T) { modeltest.Only(t, one, oracle.Deadlock) }), "wrong kind")
	assert.True(t, fails(func(t modeltest.T) { modeltest.Only(t, one, oracle.LockOrder, "report 1") }), "wrong text")

	assert.False(t, fails(func(t modeltest.T) { modeltest.First(t, two, oracle.LockOrder, "report 0") }))
	assert.True(t, fails(func(t modeltest.T) { modeltest.First(t, none, oracle.LockOrder) }), "no violation")

	assert.Equal(t, []des.ViolationKind{oracle.LockOrder, oracle.LockOrder}, modeltest.Kinds(two))
	assert.Empty(t, modeltest.Kinds(none))
}
