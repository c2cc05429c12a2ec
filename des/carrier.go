package des

import (
	"iter"
	"sync"
)

// A carrier is the coroutine (an iter.Pull goroutine) a process's body runs on. When a body
// ends, its carrier goes back to a Pool and can carry the next process, so a sweep does not
// create a goroutine, grow its stack and tear it down again for every process of every run
// (with the stack copies that growing costs, that was ~10% of a run).
type carrier struct {
	next func() (struct{}, bool)
	stop func()
	p    *Proc // the process it carries now, or will when next resumes it
}

func newCarrier() *carrier {
	c := &carrier{}
	c.next, c.stop = iter.Pull(c.loop)
	return c
}

// loop runs one body after another: between bodies it waits, idle, for the next.
func (c *carrier) loop(yield func(struct{}) bool) {
	growStack()
	for {
		c.p.run(yield)
		c.p = nil
		if !yield(struct{}{}) {
			return
		}
	}
}

// Pool keeps idle carriers for reuse by the Sims that share it (Config.Pool), one Sim at a
// time or several concurrently. Its carriers are goroutines: they outlive the runs that used
// them, until Close. A Sim without a Pool uses a private one and closes it when Run returns,
// so that no goroutine of its own is left behind.
type Pool struct {
	mu     sync.Mutex
	idle   []*carrier
	max    int
	closed bool
	arena  *arena // objects for the next run's reuse (reuse.go)
	lent   bool   // arena is lent to a Sim
}

// DefaultPoolSize bounds the idle carriers a Pool keeps.
const DefaultPoolSize = 256

// NewPool returns a Pool that keeps at most max idle carriers (DefaultPoolSize if max <= 0);
// carriers released beyond that end.
func NewPool(max int) *Pool {
	if max <= 0 {
		max = DefaultPoolSize
	}
	return &Pool{max: max}
}

// Idle is the number of idle carriers (goroutines) the pool holds.
func (pl *Pool) Idle() int {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return len(pl.idle)
}

// Close ends every idle carrier. Carriers released later end at once. A closed Pool may still
// be used: it then keeps nothing.
func (pl *Pool) Close() {
	pl.mu.Lock()
	idle := pl.idle
	pl.idle, pl.closed = nil, true
	pl.mu.Unlock()
	for _, c := range idle {
		c.stop()
	}
}

func (pl *Pool) get() *carrier {
	pl.mu.Lock()
	if n := len(pl.idle); n > 0 {
		c := pl.idle[n-1]
		pl.idle[n-1] = nil
		pl.idle = pl.idle[:n-1]
		pl.mu.Unlock()
		return c
	}
	pl.mu.Unlock()
	return newCarrier()
}

// put takes back an idle carrier (its body has ended).
func (pl *Pool) put(c *carrier) {
	pl.mu.Lock()
	if !pl.closed && len(pl.idle) < pl.max {
		pl.idle = append(pl.idle, c)
		pl.mu.Unlock()
		return
	}
	pl.mu.Unlock()
	c.stop()
}
