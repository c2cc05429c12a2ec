package fence

import (
	"iter"

	"hotplugsim/des"
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

// GetFences is dma_resv_get_fences: the unsignalled fences of usage u or stronger, each with
// a reference the caller owns. It needs no lock (the kernel reads under RCU).
func (r *Resv) GetFences(p *des.Proc, u Usage) []*Fence {
	p.Point(evResvGet, r.name, int64(u), int64(len(r.fences)))
	var out []*Fence
	for _, e := range r.fences {
		if e.usage <= u && !e.f.signalled {
			out = append(out, e.f.Get(p))
		}
	}
	return out
}

// TestSignaled is dma_resv_test_signaled: whether every fence of usage u or stronger has
// signalled.
func (r *Resv) TestSignaled(p *des.Proc, u Usage) bool {
	p.Point(evResvTest, r.name, int64(u), 0)
	for _, e := range r.fences {
		if e.usage <= u && !e.f.signalled {
			return false
		}
	}
	return true
}

// Wait is dma_resv_wait_timeout(r, u, false, MAX_SCHEDULE_TIMEOUT): wait for every fence
// of usage u or stronger that is unsignalled now (one pass, as the unlocked iterator does).
func (r *Resv) Wait(p *des.Proc, u Usage) {
	for _, f := range r.GetFences(p, u) {
		f.Wait(p)
		f.Put(p)
	}
}

// WaitTimeout is dma_resv_wait_timeout with a timeout: it reports whether every fence
// signalled before d elapsed in total.
func (r *Resv) WaitTimeout(p *des.Proc, u Usage, d des.Duration) bool {
	fences := r.GetFences(p, u)
	deadline := p.Now().Add(d)
	ok := true
	for _, f := range fences {
		if ok {
			ok = f.WaitTimeout(p, max(deadline.Sub(p.Now()), 0))
		}
		f.Put(p)
	}
	return ok
}
