package rcu

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
)

// Synchronize is synchronize_rcu: it sleeps until a grace period that started after the call
// has ended, so every read section open at the call has ended. Inside a read section it is
// lockdep-RCU's WARN, then a sleep in atomic context that waits for itself.
func Synchronize(p *des.Proc) {
	st := stateOf(p.Sim())
	st.warnInReader(p, "synchronize_rcu")
	p.Point(evSync, objRCU, int64(st.gpSeq), 0)
	gp := st.request()
	st.done.Wait(p, func() bool { return st.gpSeq >= gp })
	p.Trace(evSyncDone, objRCU, int64(gp), 0)
}

// Call is call_rcu: fn runs after a grace period that starts after the call, in rcuc/0 with
// bottom halves disabled (softirq context: it may not sleep).
// p may be nil (set-up code outside any process).
func Call(sim *des.Sim, p *des.Proc, fn func(p *des.Proc)) {
	st := stateOf(sim)
	if fn == nil {
		panic("rcu: Call needs a callback")
	}
	st.queue(p, callback{fn: fn})
}

// queue puts cb on the callback list, for a grace period that starts from now on.
func (st *state) queue(p *des.Proc, cb callback) {
	if st.cbHead == len(st.cbs) { // empty: start the list again at the front
		clear(st.cbs)
		st.cbs, st.cbHead = st.cbs[:0], 0
	}
	if st.pending() >= MaxCallbacks {
		panic(fmt.Sprintf("rcu: more than %d callbacks queued", MaxCallbacks))
	}
	cb.gp = st.request()
	st.cbs = append(st.cbs, cb)
	st.queued++
	if p != nil {
		p.Trace(evCall, objRCU, int64(cb.gp), int64(st.pending()))
	}
}

// pending is the number of callbacks queued and not yet run.
func (st *state) pending() int { return len(st.cbs) - st.cbHead }

// kfreeChain is the call chain of a kfree_rcu'd object's free, as a KASAN report prints it.
var kfreeChain = []string{"kfree", "rcu_do_batch"}

// KfreeRCU is kfree_rcu(obj, rcu): obj is freed (model/kasan) after a grace period, by
// rcuc/0. chain is the call chain of the kfree_rcu call, innermost first, which a KASAN
// report of a later use prints as the free's "work creation". p may be nil (set-up code).
func KfreeRCU(sim *des.Sim, p *des.Proc, obj *kasan.Obj, chain ...string) {
	if obj == nil {
		panic("rcu: KfreeRCU needs an object")
	}
	obj.RecordAuxStack(p, chain...)
	stateOf(sim).queue(p, callback{obj: obj})
}

// Barrier is rcu_barrier: it sleeps until every callback queued before the call has run.
func Barrier(p *des.Proc) {
	st := stateOf(p.Sim())
	p.Point(evBarrier, objRCU, int64(st.queued), int64(st.invoked))
	want := st.queued
	st.done.Wait(p, func() bool { return st.invoked >= want })
}

// request asks for a grace period that starts from now on and returns its number: the next
// one, or the one after if a grace period is running (its snapshot is already taken).
func (st *state) request() uint64 {
	gp := st.gpSeq + 1
	if st.gpOn {
		gp++
	}
	if gp > st.gpWant {
		st.gpWant = gp
		st.start()
		st.gpWQ.WakeAll()
	}
	return gp
}

// start spawns the kthreads on first use: rcu_sched runs grace periods, rcuc/0 callbacks.
func (st *state) start() {
	if st.gp != nil {
		return
	}
	st.gp = st.sim.Spawn("rcu_sched", des.Task, st.gpFn).SetDaemon()
	st.rcuc = st.sim.Spawn("rcuc/0", des.Task, st.cbFn).SetDaemon()
}

// gpKthread is rcu_gp_kthread: it waits for a request, then runs one grace period.
func (st *state) gpKthread(p *des.Proc) {
	for range maxGracePeriods {
		if st.gpWQ.WaitIdleStop(p, func() bool { return st.gpWant > st.gpSeq }) {
			return
		}
		st.gracePeriod(p)
	}
	panic(fmt.Sprintf("rcu: more than %d grace periods", maxGracePeriods))
}

// gracePeriod is rcu_gp_init, the wait for the snapshot's readers, and rcu_gp_cleanup.
func (st *state) gracePeriod(p *des.Proc) {
	st.gpOn = true
	snap := st.nextGen // read sections numbered below it began before the grace period
	p.Trace(evGPStart, objRCU, int64(st.gpSeq+1), int64(len(st.readers)))
	p.Sleep(GracePeriod)
	st.drain.Wait(p, func() bool { return len(st.readers) == 0 || st.readers[0].gen >= snap })
	st.gpSeq++
	st.gpOn = false
	p.Trace(evGPEnd, objRCU, int64(st.gpSeq), 0)
	st.done.WakeAll()
	st.cbWQ.WakeAll()
}

// ready reports whether the oldest queued callback's grace period has ended.
func (st *state) ready() bool { return st.pending() > 0 && st.cbs[st.cbHead].gp <= st.gpSeq }

// cbKthread is rcuc/0 running rcu_do_batch: each ready callback runs with bottom halves
// disabled, in call order, each after a scheduling point.
func (st *state) cbKthread(p *des.Proc) {
	for range maxGracePeriods {
		if st.cbWQ.WaitIdleStop(p, st.ready) {
			return
		}
		for st.ready() { // bounded: each pass takes one of at most MaxCallbacks
			cb := st.cbs[st.cbHead]
			st.cbs[st.cbHead] = callback{}
			st.cbHead++
			p.Point(evInvoke, objRCU, int64(cb.gp), int64(st.pending()))
			p.EnterAtomic() // local_bh_disable
			if cb.fn != nil {
				cb.fn(p)
			} else {
				cb.obj.FreeIn(p, kfreeChain...)
			}
			p.ExitAtomic()
			st.invoked++
		}
		st.done.WakeAll()
	}
	panic(fmt.Sprintf("rcu: more than %d callback batches", maxGracePeriods))
}
