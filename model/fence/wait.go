package fence

import "hotplugsim/des"

// Wait is dma_fence_wait(f, false): it blocks p until f signals. The wait has no timeout,
// so the engine reports it as a hang if it outlives the hang bound.
func (f *Fence) Wait(p *des.Proc) {
	MightWait(p, f.Label())
	p.Point(evWait, f.Label(), int64(f.context), int64(f.seqno))
	if !f.Use(p, "dma_fence_wait") || f.signalled {
		return
	}
	f.queue().Wait(p, f.isSignalled)
}

// WaitTimeout is dma_fence_wait_timeout: it blocks p until f signals or d elapses and
// reports whether f signalled. d == 0 only tests; d < 0 is a WARN (-EINVAL).
func (f *Fence) WaitTimeout(p *des.Proc, d des.Duration) bool {
	if d < 0 {
		warn(f.st.sim, p, f.Label(), fenceC, "dma_fence_wait_timeout", "dma_fence_wait_timeout with a negative timeout")
		return false
	}
	MightWait(p, f.Label())
	p.Point(evWait, f.Label(), int64(f.context), int64(d))
	if !f.Use(p, "dma_fence_wait_timeout") || f.signalled {
		return f.signalled
	}
	if d == 0 {
		return false
	}
	return f.queue().WaitTimeout(p, f.isSignalled, d)
}

func (f *Fence) isSignalled() bool { return f.signalled }

// queue is the fence's wait queue, made on first wait.
func (f *Fence) queue() *des.WaitQueue {
	if f.wq == nil {
		f.wq = des.NewWaitQueue(f.st.sim, f.Name())
	}
	return f.wq
}
