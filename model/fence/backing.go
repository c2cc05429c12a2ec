package fence

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

var (
	evAccess = des.L("gpu-access")
	evFree   = des.L("gpu-mem-free")
	evReuse  = des.L("gpu-mem-reuse")
)

// Backing is memory GPU jobs access: the VRAM range or the pages behind a buffer object.
// A job registers with Access against the fence that signals its completion; freeing or
// reusing the memory while such a fence is unsignalled is a gpu-use-after-free (the GPU
// still reads or writes memory the kernel handed to someone else: the dma-buf fence-replacement thread).
type Backing struct {
	kasan.Obj
	sim   *des.Sim
	users []user
}

type user struct {
	f     *Fence
	write bool
	by    kasan.Site // the submission
}

// NewBacking allocates memory named name (p nil: set-up code).
func NewBacking(sim *des.Sim, p *des.Proc, name string) *Backing {
	b := &Backing{sim: sim}
	b.Alloc(sim, p, name)
	return b
}

// Access records that the job whose completion f signals reads (or, if write, writes) b
// until f signals. Submitting a job against freed memory is itself a gpu-use-after-free.
func (b *Backing) Access(p *des.Proc, f *Fence, write bool) {
	p.Trace(evAccess, b.Label(), int64(f.context), int64(f.seqno))
	if b.Freed() {
		b.report(p, user{f: f, write: write, by: kasan.SiteOf(b.sim, p)}, "freed", true, b.FreeSite())
		return
	}
	if f.signalled {
		return
	}
	b.prune()
	if len(b.users) >= MaxUsers {
		panic(fmt.Sprintf("fence: more than %d unsignalled jobs on %s", MaxUsers, b.Name()))
	}
	b.users = append(b.users, user{f: f, write: write, by: kasan.SiteOf(b.sim, p)})
}

// Busy returns the fences of jobs that still access b (unsignalled), in registration order.
func (b *Backing) Busy() []*Fence {
	var out []*Fence
	for _, u := range b.users {
		if !u.f.signalled {
			out = append(out, u.f)
		}
	}
	return out
}

// Free releases the memory. Every unsignalled fence of a job that accesses it is reported
// as a gpu-use-after-free; freeing it twice is a use-after-free (double free).
func (b *Backing) Free(p *des.Proc) {
	p.Point(evFree, b.Label(), int64(len(b.users)), 0)
	if b.Live() {
		b.check(p, "freed")
	}
	b.Obj.Free(p)
	b.users = nil
}

// Reuse hands the still-allocated memory to a new owner (what: "page tables", "bo:7"), as
// the allocator does after an eviction. Unsignalled jobs still accessing it are reported.
func (b *Backing) Reuse(p *des.Proc, what string) {
	p.Point(evReuse, b.Label(), int64(len(b.users)), 0)
	if !b.Use(p, "reuse") {
		return
	}
	b.check(p, "reused for "+what)
	b.users = nil
}

func (b *Backing) check(p *des.Proc, how string) {
	for _, u := range b.users {
		if u.f.signalled {
			continue
		}
		b.report(p, u, how, false, kasan.SiteOf(b.sim, p))
	}
}

// report is the GPU's fault on memory that was freed (or reused: how) at gone while job u had
// not finished, or before it was submitted (late): the GPU's next access to it faults, or
// corrupts its new owner.
func (b *Backing) report(p *des.Proc, u user, how string, late bool, gone kasan.Site) {
	goneFn := "ttm_resource_free"
	if how != "freed" {
		goneFn = "ttm_resource_alloc"
	}
	b.sim.Violate(p, oracle.GPUUseAfterFree, b.Label(), splat.GPUVMFault(splat.GPUVMFaultReport{
		Write: u.write, Addr: splat.GPUAddr(b.Name()), Job: u.f.Name(), Object: b.Name(), How: how, Late: late,
		Submit: u.by.Splat("drm_sched_entity_push_job"), Alloc: b.AllocSite().Splat("ttm_resource_alloc"),
		Free: gone.Splat(goneFn),
	}))
}

// prune drops the users whose fences have signalled.
func (b *Backing) prune() {
	keep := b.users[:0]
	for _, u := range b.users {
		if !u.f.signalled {
			keep = append(keep, u)
		}
	}
	clear(b.users[len(keep):])
	b.users = keep
}
