package dmabuf

import (
	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/lock"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// lifetime is the KASAN view of a dma-buf or an attachment: where it was made and freed.
// It reports like model/kasan's Obj but adds no trace events, so that drivers built on this
// package keep their trace.
type lifetime struct {
	sim         *des.Sim
	name        des.Label
	dead        bool
	alloc, gone kasan.Site
}

func (l *lifetime) init(sim *des.Sim, p *des.Proc, name string) {
	l.sim, l.name = sim, des.L(name)
	l.alloc = kasan.SiteOf(sim, p)
}

func (l *lifetime) freed() bool { return l.dead }

func (l *lifetime) free(p *des.Proc) {
	l.dead = true
	l.gone = kasan.SiteOf(l.sim, p)
}

// use checks an access; after the object was freed it reports a use-after-free and returns
// false (the caller skips the access).
func (l *lifetime) use(p *des.Proc, what string) bool {
	if !l.dead {
		return true
	}
	kasan.ReportUseAfterFree(l.sim, p, l.name, what, l.alloc, l.gone)
	return false
}

// assertHeld is dma_resv_assert_held(dmabuf->resv): lockdep's assertion failure (reported
// as lock-order, printed as model/lock and model/fence print lockdep_assert_held) unless p holds
// the dma-buf's reservation lock.
func (d *DmaBuf) assertHeld(p *des.Proc, what string) {
	if d.resv.Holder() == p {
		return
	}
	s := oracle.Site(d.sim, p, what)
	s.Seq = 0 // the report's own event is the WARN
	d.sim.Violate(p, oracle.LockOrder, d.Label(), splat.LockdepAssertHeld("drivers/dma-buf/dma-buf.c", what,
		"&"+d.resv.Name()+"->lock.base", s, lock.HeldLocks(p)))
}

// warn is the kernel's WARN_ON in fn of drivers/dma-buf/dma-buf.c (oracle.Warn: a panic,
// as with panic_on_warn=1).
func warn(sim *des.Sim, p *des.Proc, obj des.Label, fn, msg string) {
	oracle.Warn(sim, p, obj, "drivers/dma-buf/dma-buf.c", fn, msg)
}
