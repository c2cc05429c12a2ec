package des

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	evTouch   = L("touch")
	objShared = L("shared")
)

// stress spawns a program that exercises every engine path: yields, sleeps, busy waits, wait
// queues with and without timeouts, completions, joins, dynamic spawns and stream draws.
func stress(s *Sim, n int) {
	wq := NewWaitQueue(s, "wq")
	done := NewCompletion(s, "done")
	shared := 0
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("w%d", i)
		s.Spawn(name, Task, func(p *Proc) {
			st := p.Sim().Stream(name)
			for j := 0; j < 20; j++ {
				switch st.Intn(6) {
				case 0:
					p.Yield()
				case 1:
					p.Sleep(st.Between(1, 100))
				case 2:
					shared++
					wq.WakeAll()
					p.Point(evTouch, objShared, int64(shared), 0)
				case 3:
					v := shared
					wq.WaitTimeout(p, func() bool { return shared != v }, st.Exp(50))
				case 4:
					p.Busy(st.Between(1, 10))
				case 5:
					child := p.Sim().Spawn(name+"/child", Task, func(c *Proc) {
						c.Sleep(st.Between(1, 20))
						shared++
						wq.WakeAll()
					})
					if st.Bool(0.5) {
						p.Join(child)
					}
				}
			}
			done.Complete()
		})
	}
	s.Spawn("joiner", Task, func(p *Proc) {
		for i := 0; i < n; i++ {
			done.Wait(p)
		}
	})
}

func runStress(t testing.TB, cfg Config, n int) Result {
	t.Helper()
	s, err := New(cfg)
	require.NoError(t, err)
	stress(s, n)
	return s.Run()
}

func fp(r Result) string { return fmt.Sprintf("%016x", r.Fingerprint) }

// requireAlike requires run(seed, true) and run(seed, false) to give equal results for every
// seed below n: two ways of doing one thing that must not tell apart.
func requireAlike[A, B any](t *testing.T, n uint64, run func(seed uint64, on bool) (A, B)) {
	t.Helper()
	for seed := range n {
		a1, b1 := run(seed, true)
		a2, b2 := run(seed, false)
		require.Equal(t, a2, a1, "seed %d", seed)
		require.Equal(t, b2, b1, "seed %d", seed)
	}
}
