package rcu

import (
	"fmt"
	"slices"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// GracePeriod is the shortest grace period: a lower bound (see the package doc).
const GracePeriod = des.Millisecond

// Bounds (every queue and loop has one).
const (
	// MaxNesting bounds one process's nested read sections.
	MaxNesting = 1 << 8
	// MaxReaders bounds the read sections open at once in a simulation.
	MaxReaders = 1 << 12
	// MaxCallbacks bounds the callbacks queued and not yet run.
	MaxCallbacks = 1 << 16
	// maxGracePeriods bounds the grace periods of one run (rcu_sched's loop).
	maxGracePeriods = 1 << 24
)

// Trace event kinds, made once.
var (
	evReadLock   = des.L("rcu_read_lock")
	evReadUnlock = des.L("rcu_read_unlock")
	evSync       = des.L("synchronize_rcu")
	evSyncDone   = des.L("synchronize_rcu_done")
	evCall       = des.L("call_rcu")
	evBarrier    = des.L("rcu_barrier")
	evGPStart    = des.L("rcu_gp_init")
	evGPEnd      = des.L("rcu_gp_cleanup")
	evInvoke     = des.L("rcu_do_batch")
	objRCU       = des.L("rcu")
)

var (
	stateKey = des.NewSimKey[state]()
	nestKey  = des.NewProcKey[nest]()
)

// state is the per-simulation RCU state: rcu_state, the read sections open now, the
// callback queue and the two kthreads. A sweep worker reuses it run after run (des.SlabKey).
type state struct {
	sim     *des.Sim
	lockMap *lock.Map // rcu_lock_map, class "rcu_read_lock"
	readers []reader  // open outermost read sections, in the order they began
	nextGen uint64    // the number the next outermost read section gets
	gpSeq   uint64    // grace periods completed
	gpWant  uint64    // the grace period the latest request needs
	gpOn    bool      // a grace period is running
	cbs     []callback
	cbHead  int    // cbs[cbHead:] are queued; cbs[:cbHead] have run
	queued  uint64 // callbacks queued so far
	invoked uint64 // callbacks run so far

	gpWQ, drain, done, cbWQ *des.WaitQueue
	gp, rcuc                *des.Proc // spawned on first use
	warned                  []string  // the RCU_LOCKDEP_WARNs that fired: each warns once

	// The state's own functions, made once per reused state rather than once per run.
	gpFn, cbFn func(*des.Proc)
	oldestFn   func() *des.Proc
	gpProcFn   func() *des.Proc
}

// reader is one outermost read section: its process and its number.
type reader struct {
	p   *des.Proc
	gen uint64
}

// callback is one struct rcu_head on the queue: once grace period gp has ended, fn runs, or
// for kfree_rcu (fn nil) obj is freed.
type callback struct {
	fn  func(p *des.Proc)
	obj *kasan.Obj
	gp  uint64
}

// nest is a process's read-section nesting (rcu_read_lock_nesting).
type nest struct{ depth int }

var states = des.NewSlabKey[state]()

// Recycle keeps the buffers' capacity and the state's functions (des.Recycler).
func (st *state) Recycle() {
	clear(st.readers[:cap(st.readers)])
	clear(st.cbs[:cap(st.cbs)])
	clear(st.warned[:cap(st.warned)])
	*st = state{readers: st.readers[:0], cbs: st.cbs[:0], warned: st.warned[:0],
		gpFn: st.gpFn, cbFn: st.cbFn, oldestFn: st.oldestFn, gpProcFn: st.gpProcFn}
}

func stateOf(sim *des.Sim) *state {
	return stateKey.Get(sim, func(sim *des.Sim) *state { return newState(sim) })
}

func newState(sim *des.Sim) *state {
	st := states.New(sim)
	st.sim, st.lockMap = sim, lock.NewMap(sim, "rcu_read_lock")
	if st.gpFn == nil {
		st.gpFn, st.cbFn, st.oldestFn = st.gpKthread, st.cbKthread, st.oldestReader
		st.gpProcFn = func() *des.Proc { return st.gp }
	}
	st.gpWQ, st.drain = des.NewWaitQueue(sim, "rcu_gp_wq"), des.NewWaitQueue(sim, "rcu_gp_readers")
	st.done, st.cbWQ = des.NewWaitQueue(sim, "rcu_gp_done"), des.NewWaitQueue(sim, "rcu_cbs")
	st.drain.SetOwner(st.oldestFn)
	st.done.SetOwner(st.gpProcFn)
	return st
}

var nests = des.NewSlabKey[nest]()

func nestOf(p *des.Proc) *nest {
	return nestKey.Get(p, func(p *des.Proc) *nest { return nests.New(p.Sim()) })
}

// ReadLock is rcu_read_lock: it opens (or nests) a read section of p. Without PREEMPT_RCU
// it disables preemption, so p may not sleep until the matching ReadUnlock.
func ReadLock(p *des.Proc) {
	st, n := stateOf(p.Sim()), nestOf(p)
	if n.depth >= MaxNesting {
		panic(fmt.Sprintf("rcu: more than %d nested read sections in %v", MaxNesting, p))
	}
	if n.depth == 0 {
		if len(st.readers) >= MaxReaders {
			panic(fmt.Sprintf("rcu: more than %d read sections open", MaxReaders))
		}
		st.readers = append(st.readers, reader{p, st.nextGen})
		st.nextGen++
	}
	n.depth++
	p.EnterAtomic()
	st.lockMap.AcquireReadUnchecked(p)
	p.Trace(evReadLock, objRCU, int64(n.depth), 0)
}

// ReadUnlock is rcu_read_unlock. Without a read section open it is lockdep's bad unlock
// balance (rcu_lock_release), and nothing else happens.
func ReadUnlock(p *des.Proc) {
	st, n := stateOf(p.Sim()), nestOf(p)
	if n.depth == 0 {
		st.lockMap.Release(p) // reports the imbalance
		return
	}
	p.Trace(evReadUnlock, objRCU, int64(n.depth), 0)
	st.lockMap.Release(p)
	p.ExitAtomic()
	n.depth--
	if n.depth == 0 {
		st.removeReader(p)
	}
}

// ReadLockHeld is rcu_read_lock_held: whether p is inside a read section.
func ReadLockHeld(p *des.Proc) bool { return nestOf(p).depth > 0 }

// Readers is the number of read sections open now (outermost ones).
func Readers(sim *des.Sim) int { return len(stateOf(sim).readers) }

// GracePeriods is the number of grace periods completed so far.
func GracePeriods(sim *des.Sim) uint64 { return stateOf(sim).gpSeq }

func (st *state) removeReader(p *des.Proc) {
	for i, r := range st.readers {
		if r.p == p {
			st.readers = append(st.readers[:i], st.readers[i+1:]...)
			st.drain.WakeAll()
			return
		}
	}
	panic(fmt.Sprintf("rcu: %v left a read section it was not in", p))
}

// oldestReader is the process of the oldest open read section (the drain queue's owner).
func (st *state) oldestReader() *des.Proc {
	if len(st.readers) == 0 {
		return nil
	}
	return st.readers[0].p
}

// warnInReader is synchronize_rcu's RCU_LOCKDEP_WARN (kernel/rcu/tree.c): waiting for a
// grace period inside a read section.
func (st *state) warnInReader(p *des.Proc, fn string) {
	if ReadLockHeld(p) {
		st.lockdepWarn(p, "kernel/rcu/tree.c", fn, "Illegal "+fn+"() in RCU read-side critical section")
	}
}

// DereferenceCheck is rcu_dereference's lockdep check (rcu_dereference_check with no other
// condition) in file: outside a read section it is lockdep-RCU's "suspicious
// rcu_dereference_check() usage" WARNING.
func DereferenceCheck(p *des.Proc, file string) {
	if !ReadLockHeld(p) {
		stateOf(p.Sim()).lockdepWarn(p, file, "rcu_dereference", "suspicious rcu_dereference_check() usage")
	}
}

// lockdepWarn is RCU_LOCKDEP_WARN: lockdep_rcu_suspicious's report, once per run for each
// check (the kernel's static __warned is per call site), as oracle.LockOrder.
func (st *state) lockdepWarn(p *des.Proc, file, fn, msg string) {
	key := file + ":" + msg
	if slices.Contains(st.warned, key) {
		return
	}
	st.warned = append(st.warned, key) // bounded: one per check the model has
	s := oracle.Site(st.sim, p, fn)
	s.Seq = 0 // the report's own event is the WARN
	st.sim.Violate(p, oracle.LockOrder, objRCU, splat.SuspiciousRCU(file, msg, s, lock.HeldLocks(p)))
}
