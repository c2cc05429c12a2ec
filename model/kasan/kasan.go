// Package kasan tracks object lifetimes the way KASAN reports them: every model object that
// can be freed embeds an Obj, calls Alloc when created, Free when released and Use on every
// access. A use after free is a "use-after-free" violation whose message (model/splat.KASAN) carries the
// allocated-by, freed-by and used-by sites (process, virtual time, trace seq), as
// mm/kasan/report.c prints "Allocated by task", "Freed by task" and the faulting access. A
// second free is the same violation kind with KASAN's bug type "double-free" (report.c
// print_error_description, from mm/kasan/common.c check_slab_allocation); freeing an Obj
// that was never allocated is KASAN's "invalid-free", here a model bug (a panic), as a Use
// of one is.
//
// Simplified, one line each (mm/kasan/report.c, report_generic.c, common.c):
//
//   - no shadow memory or quarantine: lifetime is per object, the granularity the oracles need;
//   - a report names sites (process, time, trace seq) and the model call chain, not stacks or
//     the cache: the function that allocated, freed or accessed, and its callers where the
//     model passes them (AllocIn, FreeIn, Access); the address is model/splat's synthetic
//     one and an access is 8 bytes unless the caller says otherwise (Access);
//   - every bad access reports (the Sim stops at the first unless it collects all), as with
//     kasan_multi_shot.
package kasan

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// Site is where something happened.
type Site struct {
	Proc  des.Label // the process's name ("des" outside any process)
	PID   int       // -1 outside any process
	At    des.Time
	Seq   uint64   // trace seq at the time
	Chain []string // the model call chain, innermost first (nil: the one function named)
}

// engineName names what the engine does outside any process.
var engineName = des.L("des")

func (s Site) String() string {
	return fmt.Sprintf("%s at %v (trace #%d)", s.Proc.String(), s.At, s.Seq)
}

func siteOf(sim *des.Sim, p *des.Proc) Site {
	name, pid := engineName, -1
	if p != nil {
		name, pid = p.Label(), p.ID()
	}
	return Site{Proc: name, PID: pid, At: sim.Now(), Seq: sim.EventSeq()}
}

// splat is the site as a report prints it, with its call chain, or else the model function
// fn that made it.
func (s Site) splat(fn string) splat.Site {
	chain := s.Chain
	if len(chain) == 0 {
		chain = []string{fn}
	}
	return splat.Site{Task: s.Proc.String(), PID: s.PID, Chain: chain, At: s.At, Seq: s.Seq}
}

// Splat is the site as a report prints it, with its call chain, or else the model function
// fn that made it.
func (s Site) Splat(fn string) splat.Site { return s.splat(fn) }

// Access is one access to an object, as KASAN's report prints it.
type Access struct {
	Func    string   // the function making it, as Use's what
	Callers []string // its callers, innermost first (a package-level slice: no allocation)
	Size    int      // bytes (0: 8)
	Write   bool
}

func (a Access) site(s Site) Site {
	if len(a.Callers) > 0 {
		s.Chain = append([]string{a.Func}, a.Callers...)
	}
	return s
}

func (a Access) splat() splat.Access {
	size := a.Size
	if size == 0 {
		size = 8
	}
	return splat.Access{Write: a.Write, Size: size}
}

type state uint8

const (
	unallocated state = iota
	live
	freed
)

// Obj is the lifetime of one object. The zero Obj is unallocated.
type Obj struct {
	sim         *des.Sim
	name        des.Label
	st          state
	alloc, free Site
	aux         Site // where a deferred free was queued (kfree_rcu), if hasAux
	hasAux      bool
}

var (
	evAlloc = des.L("alloc")
	evFree  = des.L("free")
)

// Alloc marks the object live. p is the allocating process (nil: set-up code outside any
// process).
func (o *Obj) Alloc(sim *des.Sim, p *des.Proc, name string) { o.AllocIn(sim, p, name) }

// AllocIn is Alloc with the allocation's call chain, innermost first ("kmalloc" if none);
// pass a package-level slice, which a report prints and nothing modifies.
func (o *Obj) AllocIn(sim *des.Sim, p *des.Proc, name string, chain ...string) {
	o.sim, o.name, o.st, o.aux, o.hasAux = sim, des.L(name), live, Site{}, false
	sim.Emit(p, evAlloc, o.name, 0, 0)
	o.alloc = siteOf(sim, p) // after the event, so that its trace # is the alloc's
	o.alloc.Chain = chain
}

// Name is the object's name.
func (o *Obj) Name() string { return o.name.String() }

// Label is the object's name as a trace label.
func (o *Obj) Label() des.Label { return o.name }

// Live reports whether the object is allocated and not freed.
func (o *Obj) Live() bool { return o.st == live }

// Freed reports whether the object was freed.
func (o *Obj) Freed() bool { return o.st == freed }

// AllocSite and FreeSite say where the object was allocated and freed.
func (o *Obj) AllocSite() Site { return o.alloc }

// FreeSite says where the object was freed (zero if live).
func (o *Obj) FreeSite() Site { return o.free }

// Free releases the object. Freeing it again is reported as a use-after-free violation
// with KASAN's "double-free" title; freeing one never allocated is a model bug (panic).
func (o *Obj) Free(p *des.Proc) { o.FreeIn(p) }

// FreeIn is Free with the free's call chain, innermost first ("kfree" if none), as AllocIn.
func (o *Obj) FreeIn(p *des.Proc, chain ...string) {
	switch o.st {
	case unallocated:
		panic("kasan: free of an object that was never allocated (BUG: KASAN: invalid-free)")
	case freed:
		o.reportDoubleFree(p)
		return
	}
	o.st = freed
	o.sim.Emit(p, evFree, o.name, 0, 0)
	o.free = siteOf(o.sim, p) // after the event, so that its trace # is the free's
	o.free.Chain = chain
}

// RecordAuxStack is kasan_record_aux_stack, which call_rcu and kvfree_call_rcu make: it
// remembers where p queued the object's deferred free (its call chain, innermost first), and
// a later report prints it as "Last potentially related work creation".
func (o *Obj) RecordAuxStack(p *des.Proc, chain ...string) {
	o.aux, o.hasAux = siteOf(o.sim, p), true
	o.aux.Chain = chain
}

// auxSplat is the aux site as a report prints it, or nil.
func (o *Obj) auxSplat() *splat.Site {
	if !o.hasAux {
		return nil
	}
	s := o.aux.splat("call_rcu")
	return &s
}

// Use checks an access (what describes it: "read", "dma_unmap", ...). It returns false, after
// reporting, if the object is freed; callers then skip the access (KASAN reports, the kernel
// then usually crashes: the model keeps going only when the Sim collects all violations).
func (o *Obj) Use(p *des.Proc, what string) bool {
	if o.st == live {
		return true
	}
	return o.badAccess(p, Access{Func: what})
}

// Access is Use for an access whose size, direction or callers the model knows.
func (o *Obj) Access(p *des.Proc, a Access) bool {
	if o.st == live {
		return true
	}
	return o.badAccess(p, a)
}

// badAccess is Access to an object that is not live.
func (o *Obj) badAccess(p *des.Proc, a Access) bool {
	if o.st == unallocated {
		panic(fmt.Sprintf("kasan: %s of an object that was never allocated", a.Func))
	}
	o.report(p, a)
	return false
}

func (o *Obj) reportDoubleFree(p *des.Proc) {
	again := siteOf(o.sim, p)
	again.Seq++ // the violation's own event, which Violate emits next
	o.sim.Violate(p, oracle.UseAfterFree, o.name, splat.KASAN(splat.KASANReport{
		DoubleFree: true, Func: "kfree", Object: o.name.String(),
		Access: splat.Access{Write: true, Size: 8, Addr: splat.SlabAddr(o.name.String())},
		Alloc:  o.alloc.splat("kmalloc"), Free: o.free.splat("kfree"), Use: again.splat("kfree"),
		Aux: o.auxSplat(),
	}))
}

func (o *Obj) report(p *des.Proc, a Access) {
	use := a.site(siteOf(o.sim, p)) // the access is the last event of p's step
	acc := a.splat()
	acc.Addr = splat.SlabAddr(o.name.String())
	o.sim.Violate(p, oracle.UseAfterFree, o.name, splat.KASAN(splat.KASANReport{
		Func: a.Func, Object: o.name.String(), Access: acc,
		Alloc: o.alloc.splat("kmalloc"), Free: o.free.splat("kfree"), Use: use.splat(a.Func),
		Aux: o.auxSplat(),
	}))
}

// SiteOf is where p (nil: the engine) is now, for objects that keep their own lifetime.
func SiteOf(sim *des.Sim, p *des.Proc) Site { return siteOf(sim, p) }

// ReportUseAfterFree reports a use (what) by p of the object obj allocated at alloc and freed
// at free, as Obj.Use does, for objects that track their lifetime themselves (dma-bufs and
// attachments, which add no trace events of their own).
func ReportUseAfterFree(sim *des.Sim, p *des.Proc, obj des.Label, what string, alloc, free Site) {
	use := siteOf(sim, p)
	sim.Violate(p, oracle.UseAfterFree, obj, splat.KASAN(splat.KASANReport{
		Func: what, Object: obj.String(),
		Access: splat.Access{Size: 8, Addr: splat.SlabAddr(obj.String())},
		Alloc:  alloc.splat("kmalloc"), Free: free.splat("kfree"), Use: use.splat(what),
	}))
}
