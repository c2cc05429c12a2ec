package fence

import (
	"fmt"
	"slices"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// Bounds on per-simulation and per-object collections (TIGER_STYLE: every queue has a bound).
const (
	// MaxPublished bounds the unsignalled published fences a simulation tracks.
	MaxPublished = 1 << 16
	// MaxCallbacks bounds the callbacks pending on one fence.
	MaxCallbacks = 1 << 12
	// MaxResvFences bounds the fences one reservation object holds.
	MaxResvFences = 1 << 10
	// MaxUsers bounds the unsignalled jobs registered on one Backing.
	MaxUsers = 1 << 10
	// MaxTracked bounds the referenced fences the leak check (CheckLeaks) tracks.
	MaxTracked = 1 << 16
)

// stateKey keys the per-simulation fence state.
var stateKey = des.NewSimKey[state]()

// state is what the kernel keeps in file-scope statics of dma-fence.c and dma-resv.c: the
// fence context counter, dma_fence_lockdep_map, reservation_ww_class, plus the model's
// list of published fences for the quiesce check.
type state struct {
	sim       *des.Sim
	nextCtx   uint64
	fenceMap  *lock.Map
	wwClass   *lock.WWClass
	primed    bool
	published []*Fence
	rec       *metrics.Recorder // nil: metrics off
	checkFn   func()            // st.checkPublished, kept by a recycled state
	// The leak check (leak.go): on, every fence made since, and st.checkLeaks (kept).
	leaks       bool
	leakLast    bool // the check has moved itself after every other quiesce hook
	tracked     []*Fence
	checkLeakFn func()
}

var (
	states    = des.NewSlabKey[state]()
	sigStates = des.NewSlabKey[sigState]()
)

// Recycle keeps the lists' capacity and the quiesce hooks (des.Recycler).
func (st *state) Recycle() {
	clear(st.published[:cap(st.published)])
	clear(st.tracked[:cap(st.tracked)])
	*st = state{published: st.published[:0], checkFn: st.checkFn,
		tracked: st.tracked[:0], checkLeakFn: st.checkLeakFn}
}

func stateOf(sim *des.Sim) *state {
	return stateKey.Get(sim, func(sim *des.Sim) *state { return newState(sim) })
}

func newState(sim *des.Sim) *state {
	st := states.New(sim)
	st.sim = sim
	st.nextCtx = 1 // dma_fence_context_counter starts at 1: context 0 is the stub's
	st.fenceMap = lock.NewMap(sim, "dma_fence_map")
	st.wwClass = lock.NewWWClass(sim, "reservation_ww_class")
	st.rec = metrics.Of(sim)
	if st.checkFn == nil {
		st.checkFn = st.checkPublished
	}
	sim.AtQuiesce(st.checkFn)
	return st
}

// publish records f as visible to other parties: it must signal before the run quiesces.
func (st *state) publish(f *Fence) {
	st.published = appendBounded(st.published, f, MaxPublished, (*Fence).Signalled, "unsignalled published fences")
}

// compact drops signalled fences from the published list, keeping the order.
func (st *state) compact() { st.published = slices.DeleteFunc(st.published, (*Fence).Signalled) }

// appendBounded appends f to list, which holds at most limit fences: a full list first drops
// the fences done reports finished with (in place, keeping the order, clearing the freed
// slots), and panics if that frees none. what names the list's fences in the panic.
func appendBounded(list []*Fence, f *Fence, limit int, done func(*Fence) bool, what string) []*Fence {
	if len(list) >= limit {
		list = slices.DeleteFunc(list, done)
	}
	if len(list) >= limit {
		panic(fmt.Sprintf("fence: more than %d %s", limit, what))
	}
	return append(list, f)
}

// checkPublished is the quiesce oracle: every published fence must have signalled.
func (st *state) checkPublished() {
	st.compact()
	last := st.lastInOrder()
	for _, f := range st.published {
		r := splat.JobTimeoutReport{Ring: f.ctx.name, Signaled: last[f.ctx], Emitted: f.ctx.seqno,
			Fence: f.Name(), Context: f.context, Seqno: f.seqno, At: st.sim.Now()}
		if p := f.publishedBy; p != nil {
			r.Publisher = splat.Site{Task: p.Name(), PID: p.ID()}
		}
		st.sim.Violate(nil, oracle.FenceNeverSignalled, f.Label(), splat.JobTimedout(r))
	}
}

// lastInOrder is, for each context with a pending published fence, the seqno up to which its
// published fences have all signalled, as a ring's last_seq: one before its oldest one still
// pending (only looked up, never iterated).
func (st *state) lastInOrder() map[*Context]uint64 {
	last := make(map[*Context]uint64)
	for _, f := range st.published {
		if l, ok := last[f.ctx]; !f.signalled && (!ok || f.seqno <= l) {
			last[f.ctx] = f.seqno - 1
		}
	}
	return last
}

// Kernel files of the WARN_ONs the model raises.
const (
	hdr      = "include/linux/dma-fence.h"
	fenceC   = "drivers/dma-buf/dma-fence.c"
	dmaResvC = "drivers/dma-buf/dma-resv.c"
)

// warn reports the kernel's WARN_ON in function fn of file (oracle.Warn: a panic, as with
// panic_on_warn=1).
func warn(sim *des.Sim, p *des.Proc, obj des.Label, file, fn, msg string) {
	oracle.Warn(sim, p, obj, file, fn, msg)
}
