// Package explore is hotplugsim's exploration benchmark: small concurrency bugs written as
// programs on the des engine (ports of SCTBench's CS benchmarks and kernel-style races between
// events at different virtual times), and a harness that measures how often each strategy
// finds them. Every shared-variable access is a scheduling point (p.Point), as SCTBench's
// instrumentation makes every access visible; everything is deterministic in the seed.
package explore

import "hotplugsim/des"

var (
	evRead   = des.L("read")
	evWrite  = des.L("write")
	evLock   = des.L("lock")
	evUnlock = des.L("unlock")
	evWait   = des.L("cond_wait")
	evSignal = des.L("cond_signal")
	evCreate = des.L("create")
	evJoin   = des.L("join")
	objAssrt = des.L("assert")
)

// rd and wr mark an access to the shared variable obj: a scheduling point before it.
func rd(p *des.Proc, obj des.Label) { p.Point(evRead, obj, 0, 0) }
func wr(p *des.Proc, obj des.Label) { p.Point(evWrite, obj, 1, 0) }

// check reports an assertion failure when ok is false.
func check(p *des.Proc, ok bool, msg string) {
	if !ok {
		p.Sim().Violate(p, "assert", objAssrt, msg)
	}
}

// create is pthread_create: a scheduling point, then the thread is runnable.
func create(p *des.Proc, name string, body func(*des.Proc)) *des.Proc {
	p.Point(evCreate, des.L(name), 0, 0)
	return p.Sim().Spawn(name, des.Task, body)
}

// join is pthread_join: a scheduling point, then a wait for q's end.
func join(p *des.Proc, q *des.Proc) {
	p.Point(evJoin, q.Label(), 0, 0)
	p.Join(q)
}

// mutex is a pthread mutex on a WaitQueue: lock and unlock are scheduling points, a thread
// blocked in lock waits on the queue (so a lock cycle ends the run as a deadlock).
type mutex struct {
	held bool
	obj  des.Label
	wq   *des.WaitQueue
}

func newMutex(s *des.Sim, name string) *mutex {
	return &mutex{obj: des.L(name), wq: des.NewWaitQueue(s, name)}
}

func (m *mutex) lock(p *des.Proc) {
	p.Point(evLock, m.obj, 0, 0)
	m.wq.Wait(p, func() bool { return !m.held })
	m.held = true
}

func (m *mutex) unlock(p *des.Proc) {
	p.Point(evUnlock, m.obj, 0, 0)
	m.release()
}

func (m *mutex) release() {
	m.held = false
	m.wq.WakeOne()
}

// cond is a pthread condition variable: signal wakes the oldest waiter, and a signal with no
// waiter is lost. No spurious wake-ups.
type cond struct {
	waiters []*bool
	obj     des.Label
	wq      *des.WaitQueue
}

func newCond(s *des.Sim, name string) *cond {
	return &cond{obj: des.L(name), wq: des.NewWaitQueue(s, name)}
}

// wait releases m and waits for a signal atomically, then re-acquires m.
func (c *cond) wait(p *des.Proc, m *mutex) {
	p.Point(evWait, c.obj, 0, 0)
	tok := new(bool)
	c.waiters = append(c.waiters, tok)
	m.release()
	c.wq.Wait(p, func() bool { return *tok })
	m.lock(p)
}

func (c *cond) signal(p *des.Proc) {
	p.Point(evSignal, c.obj, 0, 0)
	if len(c.waiters) > 0 {
		*c.waiters[0] = true
		c.waiters = c.waiters[1:]
		c.wq.WakeAll()
	}
}
