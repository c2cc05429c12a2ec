package sched_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
)

// Fini runs once on a scheduler Init made; Ready is what drivers check to keep it so. Fini
// twice, or on a scheduler never initialized, panics naming the transition.
func TestFiniLifecycle(t *testing.T) {
	cases := []struct {
		name string
		body func(p *des.Proc, s *sched.Scheduler)
		want string // "" for a clean run, else a part of the panic message
	}{
		{"init, fini", func(p *des.Proc, s *sched.Scheduler) { sched.Fini(p, s) }, ""},
		{"fini guarded by ready", func(p *des.Proc, s *sched.Scheduler) {
			for i := 0; i < 2; i++ {
				if s.Ready() {
					sched.Fini(p, s)
				}
			}
		}, ""},
		{"fini twice", func(p *des.Proc, s *sched.Scheduler) {
			sched.Fini(p, s)
			sched.Fini(p, s)
		}, "finished -> fini"},
		{"fini before init", func(p *des.Proc, _ *sched.Scheduler) {
			sched.Fini(p, &sched.Scheduler{})
		}, "uninitialized -> fini"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim := des.MustNew(des.Config{})
			ring := sched.NewRing(sim, "gfx")
			s := sched.Init(sim, sched.Config{Name: "gfx"}, sched.Ops{
				RunJob: func(p *des.Proc, j *sched.Job) *fence.Fence { return ring.Submit(p, des.Millisecond, false) }})
			sim.Spawn("driver", des.Task, func(p *des.Proc) { tc.body(p, s) })
			res := sim.Run()
			if tc.want == "" {
				require.True(t, res.OK(), res.Violations)
				assert.False(t, s.Ready())
				return
			}
			v := res.First()
			require.NotNil(t, v)
			assert.Equal(t, oracle.Panic, v.Kind)
			assert.Contains(t, v.Msg, tc.want)
		})
	}
}
