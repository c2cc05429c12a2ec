package fence

import (
	"fmt"
	"iter"

	"hotplugsim/des"
	"hotplugsim/model/rcu"
)

// Fences is dma_resv_for_each_fence, the locked iterator: every fence of usage u or
// stronger, signalled or not, with its usage. r must be locked by p.
func (r *Resv) Fences(p *des.Proc, u Usage) iter.Seq2[*Fence, Usage] {
	r.assertHeld(p, "dma_resv_iter_first")
	snap := append([]entry(nil), r.fences...)
	return func(yield func(*Fence, Usage) bool) {
		for _, e := range snap {
			if e.usage <= u && !yield(e.f, e.usage) {
				return
			}
		}
	}
}

// maxIterRestarts bounds how often one unlocked walk restarts after a concurrent change.
const maxIterRestarts = 1 << 16

// cursor is struct dma_resv_iter for the unlocked walk (dma_resv_for_each_fence_unlocked):
// between steps it holds a reference to the fence it returned, and each step runs inside an
// RCU read section (model/rcu).
type cursor struct {
	r         *Resv
	usage     Usage
	seq       uint64  // obj->seq when the walk (re)started
	fences    []entry // the list as the walk found it (the RCU-protected dma_resv_list)
	index     int
	fence     *Fence // the current fence, with a reference; nil at the end
	restarted bool
	restarts  int
}

// first is dma_resv_iter_first_unlocked.
func (c *cursor) first(p *des.Proc) *Fence {
	rcu.ReadLock(p)
	for {
		c.restart(p)
		c.walk(p)
		if !c.retry() {
			break
		}
	}
	rcu.ReadUnlock(p)
	return c.fence
}

// next is dma_resv_iter_next_unlocked.
func (c *cursor) next(p *des.Proc) *Fence {
	rcu.ReadLock(p)
	c.restarted = false
	restart := c.retry()
	for {
		if restart {
			c.restart(p)
		}
		c.walk(p)
		restart = true
		if !c.retry() {
			break
		}
	}
	rcu.ReadUnlock(p)
	return c.fence
}

// end is dma_resv_iter_end: drop the reference the cursor holds.
func (c *cursor) end(p *des.Proc) {
	if c.fence != nil {
		c.fence.Put(p)
		c.fence = nil
	}
}

// retry is read_seqcount_retry: whether a writer changed the list since the walk started.
func (c *cursor) retry() bool { return c.r.seq != c.seq }

// restart is dma_resv_iter_restart_unlocked: read the list from its start (again, after the
// first time: traced).
func (c *cursor) restart(p *des.Proc) {
	if c.restarts++; c.restarts > maxIterRestarts {
		panic(fmt.Sprintf("fence: unlocked walk of %s restarted %d times", c.r.Name(), maxIterRestarts))
	}
	if c.restarts > 1 {
		p.Trace(evResvRestart, c.r.name, int64(c.restarts-1), int64(c.seq))
	}
	c.seq = c.r.seq
	c.fences = append(c.fences[:0], c.r.fences...)
	c.index = 0
	c.restarted = true
}

// walk is dma_resv_iter_walk_unlocked: drop the previous fence, then take a reference to the
// next unsignalled one of the usage with dma_fence_get_rcu. A fence whose count is already
// zero (its last reference dropped after the walk read the list) ends the walk; the writer
// that dropped it changed the list, so the caller's seqcount check restarts it.
func (c *cursor) walk(p *des.Proc) {
	for range len(c.fences) + 1 {
		if c.fence != nil {
			c.fence.Put(p)
		}
		if c.index >= len(c.fences) {
			c.fence = nil
			return
		}
		e := c.fences[c.index]
		c.index++
		c.fence = e.f.GetRCU(p)
		if c.fence == nil || (!c.fence.signalled && e.usage <= c.usage) {
			return
		}
	}
}

// unlocked is dma_resv_iter_begin and dma_resv_for_each_fence_unlocked: each fence comes
// with the cursor's reference, valid until the next step; restarted says the walk began
// again, so what the caller collected so far is stale.
func (r *Resv) unlocked(p *des.Proc, u Usage) iter.Seq2[*Fence, bool] {
	return func(yield func(*Fence, bool) bool) {
		c := cursor{r: r, usage: u}
		defer c.end(p)
		for f := c.first(p); f != nil; f = c.next(p) {
			if !yield(f, c.restarted) {
				return
			}
		}
	}
}

// GetFences is dma_resv_get_fences: the unsignalled fences of usage u or stronger, each with
// a reference the caller owns. It needs no lock: it walks the list under RCU and restarts if
// a writer changed it meanwhile.
func (r *Resv) GetFences(p *des.Proc, u Usage) []*Fence {
	p.Point(evResvGet, r.name, int64(u), int64(len(r.fences)))
	var out []*Fence
	for f, restarted := range r.unlocked(p, u) {
		if restarted {
			for _, g := range out {
				g.Put(p)
			}
			out = out[:0]
		}
		out = append(out, f.Get(p))
	}
	return out
}

// TestSignaled is dma_resv_test_signaled: whether every fence of usage u or stronger has
// signalled (an unlocked walk that finds none unsignalled).
func (r *Resv) TestSignaled(p *des.Proc, u Usage) bool {
	p.Point(evResvTest, r.name, int64(u), 0)
	for range r.unlocked(p, u) {
		return false
	}
	return true
}

// Wait is dma_resv_wait_timeout(r, u, false, MAX_SCHEDULE_TIMEOUT): wait for every fence
// of usage u or stronger that the unlocked walk finds unsignalled, each outside the RCU
// read section, holding the cursor's reference.
func (r *Resv) Wait(p *des.Proc, u Usage) {
	p.Point(evResvWait, r.name, int64(u), int64(len(r.fences)))
	for f := range r.unlocked(p, u) {
		f.Wait(p)
	}
}

// WaitTimeout is dma_resv_wait_timeout with a timeout: it reports whether every fence
// signalled before d elapsed in total.
func (r *Resv) WaitTimeout(p *des.Proc, u Usage, d des.Duration) bool {
	p.Point(evResvWaitTO, r.name, int64(u), int64(d))
	deadline := p.Now().Add(d)
	for f := range r.unlocked(p, u) {
		if !f.WaitTimeout(p, max(deadline.Sub(p.Now()), 0)) {
			return false
		}
	}
	return true
}
