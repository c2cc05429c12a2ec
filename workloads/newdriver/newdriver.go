// Package newdriver is the example of docs/new-driver.md: a driver protocol, two policies and
// the scenario that runs them, in one file, using only exported API of des, model and workloads.
// An app submits a GPU job that reads its buffer, then closes the buffer; the close frees it.
package newdriver

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
	"hotplugsim/model/sched"
	"hotplugsim/workloads"
)

// The scenario and its policies.
const (
	Name     = "newdriver-close"
	FreeNow  = "free-now"  // buggy: GEM close frees the memory at once
	WaitIdle = "wait-idle" // fixed: GEM close waits for the buffer's fences first
)

// Policy is one design of GEM close: its name, a one-line doc and its switch.
type Policy struct {
	Name     string
	Doc      string
	waitIdle bool // GEM close waits for every fence of the buffer before freeing it
}

// Decl returns the policy's name and doc (the shape of model/drivers/policy).
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// Policies is the policy table: ParsePolicy, the scenario's list and desrun list come from it.
var Policies = []Policy{
	{Name: FreeNow, Doc: "GEM close frees the memory at once"},
	{Name: WaitIdle, Doc: "GEM close waits for every fence of the buffer, then frees", waitIdle: true},
}

// ParsePolicy returns the policy named s.
func ParsePolicy(s string) (Policy, error) { return policy.Parse("toy", Policies, s) }

func init() { workloads.Register(Scenario()) }

// SparseSpec is the workload at real-life rates (desrun --spec sparse): four apps, each
// submitting a job that reads its buffer (1-8 µs on the GPU) and closing the buffer, one
// ioctl about every 500 µs. A close then comes before its job ended only when a think time
// is that short, as when a real app frees a buffer right after its last submit.
func SparseSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "toy"}}},
		Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 4, Ops: 10, IntervalNs: 500_000}},
	}
}

// Scenario returns the scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name: Name,
		Doc:  "an app closes a buffer while its GPU job may still read it",
		Spec: workloads.Spec{
			Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "toy"}}},
			Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 2, Ops: 2, IntervalNs: 8000}},
		},
		SparseSpec:    new(SparseSpec()),
		Policies:      workloads.PoliciesOf(Policies, map[string]des.ViolationKind{FreeNow: oracle.GPUUseAfterFree}),
		DefaultPolicy: WaitIdle,
		Oracles:       []des.ViolationKind{oracle.GPUUseAfterFree, oracle.UseAfterFree, oracle.Deadlock, oracle.Hang},
		Build:         build,
	}
}

// Trace labels, made once: every ioctl is an "ioctl" span.
var (
	spIoctl             = des.NewSpan("ioctl")
	csIoctl, closeIoctl = des.L("TOY_CS"), des.L("GEM_CLOSE")
)

type buffer struct {
	resv *fence.Resv    // dma_resv: the fences of the jobs using the buffer
	mem  *fence.Backing // the memory, checked for gpu-use-after-free
}

// driver is one GPU: a hardware ring, the policy, each app's open buffer.
type driver struct {
	ring     *sched.Ring
	timing   *des.Stream
	waitIdle bool
	bufs     map[*workloads.Instance]*buffer // looked up, never iterated
}

func build(sim *des.Sim, spec workloads.Spec, name string) error {
	if d := spec.Topology.Devices; len(d) != 1 || d[0].Driver != "toy" {
		return fmt.Errorf("%s wants one device with driver toy", Name)
	}
	pol, err := ParsePolicy(name)
	if err != nil {
		return err
	}
	workloads.Start(sim, spec, &driver{ring: sched.NewRing(sim, "gpu0.gfx"), timing: sim.Stream("gpu0"),
		waitIdle: pol.waitIdle, bufs: map[*workloads.Instance]*buffer{}})
	return nil
}

// AppOp: even operations submit a job that reads the app's buffer, odd ones close it.
func (d *driver) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	b := d.bufs[in]
	if b == nil {
		name := fmt.Sprintf("%s.bo%d", in.Name, op)
		b = &buffer{resv: fence.NewResv(p.Sim(), "resv:"+name), mem: fence.NewBacking(p.Sim(), p, "vram:"+name)}
		d.bufs[in] = b
	}
	if op%2 == 0 {
		spIoctl.Begin(p, csIoctl, 0, 0)
		_ = b.resv.Lock(p, nil)
		job := d.ring.Submit(p, d.timing.Between(des.Microsecond, 8*des.Microsecond), false)
		b.mem.Access(p, job, false) // the GPU reads b until job signals
		_ = b.resv.ReserveFences(p, 1)
		b.resv.AddFence(p, job, fence.UsageRead)
		b.resv.Unlock(p)
		job.Put(p) // the resv holds its own: the submission's reference goes with the job
		spIoctl.End(p, csIoctl, 0, 0)
		return true
	}
	spIoctl.Begin(p, closeIoctl, 0, 0)
	if d.waitIdle {
		b.resv.Wait(p, fence.UsageBookkeep) // the fix: wait for every job using the buffer
	}
	b.mem.Free(p)
	b.resv.Fini(p) // drm_gem_object_release -> dma_resv_fini
	delete(d.bufs, in)
	spIoctl.End(p, closeIoctl, 0, 0)
	return true
}

// Platform has nothing to do: the scenario has no platform events.
func (d *driver) Platform(*des.Proc, workloads.Event) {}
