package fence

import (
	"fmt"

	"hotplugsim/des"
)

// Signal is dma_fence_signal: the first call sets the signalled bit (test_and_set), stamps
// the time, wakes the waiters and runs the callbacks in registration order in p's context
// with the fence lock held (atomic: a callback may not sleep); later calls return ErrInval.
// It runs inside a signalling section (dma_fence_begin_signalling). p may be nil only in
// set-up code outside the run.
func (f *Fence) Signal(p *des.Proc) error {
	if p != nil {
		p.Point(evSignal, f.Label(), int64(f.context), int64(f.seqno))
	}
	if !f.Use(p, "dma_fence_signal") {
		return ErrInval
	}
	cookie := BeginSignalling(p)
	f.lockIRQSave(p)
	err := f.signalLocked(p)
	f.unlockIRQRestore(p)
	EndSignalling(p, cookie)
	return err
}

// lockIRQSave takes fence->lock (nothing in set-up code, p == nil).
func (f *Fence) lockIRQSave(p *des.Proc) {
	if p != nil {
		f.ctx.lock.LockIRQSave(p)
	}
}

func (f *Fence) unlockIRQRestore(p *des.Proc) {
	if p != nil {
		f.ctx.lock.UnlockIRQRestore(p)
	}
}

// signalLocked is dma_fence_signal_timestamp_locked: fence->lock is held, so the callbacks
// run in atomic context.
func (f *Fence) signalLocked(p *des.Proc) error {
	if f.signalled {
		return ErrInval
	}
	f.signalled = true
	f.timestamp = f.st.sim.Now()
	f.observeSignal()
	cbs := f.cbs // list_replace: callbacks added from a callback are not run now
	f.cbs = nil
	if f.wq != nil {
		f.wq.WakeAll()
	}
	for i, cb := range cbs {
		if cb.fence == nil {
			continue // removed by an earlier callback
		}
		cb.fence = nil
		if p != nil {
			p.Trace(evCallback, f.Label(), int64(i), 0)
		}
		cb.fn(p, f)
	}
	return nil
}

// AddCallback is dma_fence_add_callback: fn will run when f signals. It returns ErrNoEnt,
// and does not call fn, if f is already signalled.
func (f *Fence) AddCallback(p *des.Proc, fn func(p *des.Proc, f *Fence)) (*Callback, error) {
	if fn == nil {
		panic("fence: AddCallback with a nil function")
	}
	p.Point(evAddCb, f.Label(), int64(len(f.cbs)), 0)
	if !f.Use(p, "dma_fence_add_callback") || f.signalled {
		return nil, ErrNoEnt
	}
	if len(f.cbs) >= MaxCallbacks {
		panic(fmt.Sprintf("fence: more than %d callbacks on %s", MaxCallbacks, f.Name()))
	}
	f.lockIRQSave(p)
	defer f.unlockIRQRestore(p)
	if f.signalled { // signalled while we took the lock
		return nil, ErrNoEnt
	}
	cb := callbacks.New(f.st.sim)
	cb.fn, cb.fence = fn, f
	f.cbs = append(f.cbs, cb)
	f.cbsBuf = f.cbs
	return cb, nil
}

// RemoveCallback is dma_fence_remove_callback: it reports whether cb was still pending
// (false if it already ran or was removed).
func (f *Fence) RemoveCallback(p *des.Proc, cb *Callback) bool {
	p.Point(evRemoveCb, f.Label(), 0, 0)
	f.lockIRQSave(p)
	defer f.unlockIRQRestore(p)
	if cb == nil || cb.fence != f {
		return false
	}
	cb.fence = nil
	for i, c := range f.cbs {
		if c == cb {
			f.cbs = append(f.cbs[:i], f.cbs[i+1:]...)
			break
		}
	}
	return true
}

// Pending reports whether the callback has neither run nor been removed.
func (cb *Callback) Pending() bool { return cb != nil && cb.fence != nil }
