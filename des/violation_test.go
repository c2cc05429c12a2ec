package des

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var objReg = L("reg")

// registers returns a map the caller forgot to make (to provoke a runtime panic).
func registers() map[string]int { return nil }

func TestPanicBecomesViolation(t *testing.T) {
	s := MustNew(Config{})
	s.Spawn("oops", Task, func(p *Proc) {
		p.Sleep(3)
		m := registers()
		m["x"] = 1
	})
	r := s.Run()
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, KindPanic, v.Kind)
	assert.Equal(t, "oops", v.Proc)
	assert.Equal(t, Time(3), v.At)
	assert.Contains(t, v.Msg, "assignment to entry in nil map")
	assert.Contains(t, v.Stack, "violation_test.go", "the stack must show where it panicked")
}

func TestStopAtFirstViolation(t *testing.T) {
	s := MustNew(Config{})
	after := false
	s.Spawn("a", Task, func(p *Proc) {
		p.Point(evTouch, objReg, 1, 0)
		p.Sim().Violate(p, "use-after-unmap", objReg, "first")
		after = true // Violate does not return when the run stops
	})
	s.Spawn("b", Task, func(p *Proc) {
		p.Sleep(10)
		p.Sim().Violate(p, "use-after-unmap", objReg, "second")
	})
	r := s.Run()
	require.Len(t, r.Violations, 1)
	assert.False(t, after)
	v := r.Violations[0]
	assert.Equal(t, "first", v.Msg)
	assert.Equal(t, Time(0), r.End)
	require.NotEmpty(t, v.Related)
	assert.Equal(t, "touch", v.Related[len(v.Related)-1].Kind.String())
}

func TestCollectAll(t *testing.T) {
	s := MustNew(Config{CollectAll: true})
	s.Spawn("a", Task, func(p *Proc) {
		for i := 0; i < 3; i++ {
			p.Sim().Violate(p, "stale-mmio", objReg, "again")
			p.Sleep(1)
		}
	})
	r := s.Run()
	assert.Len(t, r.Violations, 3)
	assert.Equal(t, Time(3), r.End)

	capped := MustNew(Config{CollectAll: true, MaxViolations: 2})
	capped.Spawn("a", Task, func(p *Proc) {
		for i := 0; i < 5; i++ {
			p.Sim().Violate(p, "stale-mmio", objReg, "again")
			p.Sleep(1)
		}
	})
	r = capped.Run()
	assert.Len(t, r.Violations, 2)
}

func TestBudgets(t *testing.T) {
	spin := func(s *Sim) {
		s.Spawn("forever", Task, func(p *Proc) {
			for {
				p.Sleep(Millisecond)
			}
		})
	}
	s := MustNew(Config{MaxEvents: 100})
	spin(s)
	r := s.Run()
	assert.Equal(t, "events", r.Budget)
	assert.Equal(t, uint64(100), r.K)
	assert.True(t, r.OK())

	s = MustNew(Config{MaxTime: Time(Second)})
	spin(s)
	r = s.Run()
	assert.Equal(t, "time", r.Budget)
	assert.Equal(t, Time(Second), r.End)

	r = runStress(t, Config{}, 3)
	assert.Empty(t, r.Budget)
}

// goroutinesSettle gives exiting goroutines a bounded number of chances to finish: it returns
// once the count is at most want, or after 100,000 yields. (A goroutine whose last deferred
// call has run, as after wg.Done, may still need to be scheduled once to exit; on a loaded
// machine under -race that can take more than a hundred yields.)
func goroutinesSettle(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100000 && n > want; i++ {
		runtime.Gosched()
		n = runtime.NumGoroutine()
	}
	return n
}

func TestNoGoroutineLeftBehind(t *testing.T) {
	cases := map[string]func(s *Sim){
		"quiesce": func(s *Sim) { stress(s, 5) },
		"violation": func(s *Sim) {
			stress(s, 5)
			s.Spawn("bad", Task, func(p *Proc) { p.Sleep(7); p.Sim().Violate(p, "x", objReg, "boom") })
		},
		"panic": func(s *Sim) {
			stress(s, 5)
			s.Spawn("bad", Task, func(p *Proc) { p.Sleep(7); panic("boom") })
		},
		"budget": func(s *Sim) {
			s.Spawn("forever", Task, func(p *Proc) {
				for {
					p.Yield()
				}
			})
			stress(s, 5)
		},
		"deadlock": func(s *Sim) {
			c := NewCompletion(s, "never")
			for i := 0; i < 4; i++ {
				s.Spawn("w", Task, func(p *Proc) { c.Wait(p) })
			}
		},
		"never started": func(s *Sim) {
			s.Spawn("bad", Task, func(p *Proc) { panic("first") })
			for i := 0; i < 4; i++ {
				s.Spawn("idle", Task, func(p *Proc) {})
			}
		},
		"deferred scheduling during kill": func(s *Sim) {
			wq := NewWaitQueue(s, "wq")
			s.Spawn("holder", Task, func(p *Proc) {
				defer p.Yield() // unwinding must not schedule
				wq.Wait(p, func() bool { return false })
			})
			s.Spawn("bad", Task, func(p *Proc) { p.Sleep(1); panic("x") })
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			// Goroutines of earlier tests may still be exiting (a wg.Done deferred in them
			// runs before they end): take the baseline once the count is steady, and check
			// that runs leave nothing behind (the count does not grow).
			before := goroutinesSettle(0)
			for _, strat := range []string{"fifo", "random"} {
				s := MustNew(Config{Seed: 1, Strategy: strat, MaxEvents: 2000})
				build(s)
				s.Run()
			}
			assert.LessOrEqual(t, goroutinesSettle(before), before)
		})
	}
}

func TestRunTwicePanics(t *testing.T) {
	s := MustNew(Config{})
	s.Run()
	assert.Panics(t, func() { s.Run() })
}
