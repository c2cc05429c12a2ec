// Package enginedemo registers the engine-demo scenario: the smallest hot-unplug race, built on
// the bare engine (no kernel model), that proves the scenario machinery end to end.
//
// Each app instance is an ioctl loop: it checks the device's "unplugged" flag (a
// drm_dev_enter without SRCU) and then reads a status register. The unplug event sets the flag
// and iounmaps the register. Policy unsync unmaps at once: a reader that passed the check
// before the flag was set reads an unmapped register (use-after-unmap). Policy sync counts
// readers (an SRCU read section in miniature) and waits for them to leave before unmapping.
//
// With metrics on (desrun --metrics) it records ioctl/DEMO_READ (check to exit, -ENODEV
// included) and unplug-remove (the unplug event to the iounmap), as the kernel model would.
//
// Import it for its side effect:
//
//	import _ "hotplugsim/workloads/enginedemo"
package enginedemo

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
	"hotplugsim/workloads"
)

// Name is the scenario's name.
const Name = "engine-demo"

// Policy names.
const (
	Unsync = "unsync"
	Sync   = "sync"
)

// Policy is one design of the demo's unplug: its name, a one-line doc and its switch.
type Policy struct {
	Name string
	Doc  string
	sync bool // readers enter a counted read section; unplug waits for it to drain
}

// Decl returns the policy's name and doc.
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// Policies lists every policy.
var Policies = []Policy{
	{Name: Unsync, Doc: "unplug sets the flag and unmaps at once; readers past the check are not waited for"},
	{Name: Sync, Doc: "readers enter a counted read section; unplug waits for it to drain before unmapping", sync: true},
}

// ParsePolicy returns the policy named s.
func ParsePolicy(s string) (Policy, error) { return policy.Parse("demo", Policies, s) }

func init() { workloads.Register(Scenario()) }

// SparseSpec is the workload at real-life rates (desrun --spec sparse): four readers each
// issue an ioctl about every 500 µs and the device is unplugged once, 5 ms in, while they
// run. The check-to-read window is a single step, so at these rates fifo's timing almost
// never puts a reader inside it when the unplug comes; a strategy that orders events must.
func SparseSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "demo"}}},
		Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 4, Ops: 20, IntervalNs: 500_000}},
		Events:   []workloads.Event{{Kind: workloads.EvUnplug, Device: "gpu0", AtNs: 5_000_000}},
	}
}

// Scenario returns the engine-demo scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name: Name,
		Doc:  "an ioctl loop races an unplug that unmaps a register; the bare engine, no kernel model",
		Spec: workloads.Spec{
			Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "demo"}}},
			Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 2, Ops: 20, IntervalNs: 3000}},
			Events:   []workloads.Event{{Kind: workloads.EvUnplug, Device: "gpu0", AtNs: 20_000}},
		},
		SparseSpec:    new(SparseSpec()),
		Policies:      workloads.PoliciesOf(Policies, map[string]des.ViolationKind{Unsync: oracle.UseAfterUnmap}),
		DefaultPolicy: Sync,
		Oracles:       []des.ViolationKind{oracle.UseAfterUnmap, oracle.Deadlock, oracle.Hang, oracle.Panic},
		Strategy:      workloads.DefaultStrategy,
		AppKinds:      []workloads.AppKind{workloads.AppRender, workloads.AppCompute, workloads.AppIdle},
		EventKinds:    []workloads.EventKind{workloads.EvUnplug, workloads.EvSurpriseRemoval},
		Build:         build,
	}
}

var (
	evCheck  = des.L("check")
	evAccess = des.L("mmio-read")
	evUnmap  = des.L("iounmap")
	evGone   = des.L("unplugged")
)

// device is one demo device: the flag, the mapping and the read-section count.
type device struct {
	name      string
	reg       des.Label
	sync      bool
	unplugged bool
	mapped    bool
	readers   int
	drained   *des.WaitQueue
	unmap     splat.Site // where the unplug iounmapped the register
}

type target struct {
	devs []*device
	rec  *metrics.Recorder // nil: metrics off
}

// FaultIoctlAlloc is the fault site of the ioctl's argument allocation (kmalloc in
// drm_ioctl): with fault sites on (desrun --faults) the ioctl may fail with -ENOMEM there.
const FaultIoctlAlloc = "drm_ioctl:kmalloc"

// SmallSpec is a configuration small enough for the systematic search (desrun explore): one
// reader doing three ioctls, and the unplug.
func SmallSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "gpu0", Driver: "demo"}}},
		Apps:     []workloads.App{{Kind: workloads.AppRender, Device: "gpu0", Count: 1, Ops: 3, IntervalNs: 3000}},
		Events:   []workloads.Event{{Kind: workloads.EvUnplug, Device: "gpu0", AtNs: 5_000}},
	}
}

// ioctlMetric is the latency metric of the demo's one ioctl (check, read, exit).
var ioctlMetric = metrics.Ioctl("DEMO_READ")

func build(sim *des.Sim, spec workloads.Spec, runPolicy string) error {
	t := &target{rec: metrics.Of(sim)}
	for _, d := range spec.Topology.Devices {
		if d.Driver != "demo" {
			return fmt.Errorf("device %s: driver %q: engine-demo only has driver demo", d.Name, d.Driver)
		}
		name := runPolicy
		if d.Policy != "" {
			name = d.Policy
		}
		pol, err := ParsePolicy(name)
		if err != nil {
			return fmt.Errorf("device %s: %w", d.Name, err)
		}
		t.devs = append(t.devs, &device{name: d.Name, reg: des.L(d.Name + ":status"), sync: pol.sync,
			mapped: true, drained: des.NewWaitQueue(sim, d.Name+":readers")})
	}
	workloads.Start(sim, spec, t)
	return nil
}

// AppOp is one ioctl: drm_dev_enter, readl(status), drm_dev_exit.
func (t *target) AppOp(p *des.Proc, in *workloads.Instance, _ int) bool {
	if in.Spec.Kind == workloads.AppIdle {
		return true
	}
	d := t.devs[in.Dev]
	start := p.Now()
	if p.Sim().Fault(p, FaultIoctlAlloc) {
		return true // -ENOMEM: the argument copy failed before the device was looked at
	}
	p.Point(evCheck, d.reg, 0, 0)
	if d.unplugged {
		t.rec.ObserveSpan(ioctlMetric, start, p.Now())
		return false // -ENODEV
	}
	d.readers++ // with sync, the check and the increment are one step (srcu_read_lock)
	p.Point(evAccess, d.reg, 0, 0)
	if !d.mapped {
		p.Sim().Violate(p, oracle.UseAfterUnmap, d.reg, splat.PageFaultOops(
			splat.Access{Size: 4, Addr: splat.IORemapAddr(0), Where: d.reg.String()}, site(p, "readl"), d.unmap))
	}
	d.readers--
	if d.readers == 0 {
		d.drained.WakeAll()
	}
	t.rec.ObserveSpan(ioctlMetric, start, p.Now())
	return true
}

// Platform handles unplug and surprise removal alike: mark the device gone, (with sync) wait
// for readers to drain, unmap.
func (t *target) Platform(p *des.Proc, ev workloads.Event) {
	var d *device
	for _, x := range t.devs {
		if x.name == ev.Device {
			d = x
		}
	}
	if d.unplugged {
		return
	}
	start := p.Now()
	d.unplugged = true
	p.Point(evGone, d.reg, 0, 0)
	if d.sync {
		d.drained.Wait(p, func() bool { return d.readers == 0 })
	}
	p.Point(evUnmap, d.reg, 0, 0)
	d.mapped = false
	d.unmap = site(p, "iounmap")
	t.rec.ObserveSpan(metrics.UnplugRemove, start, p.Now())
}

// site is where p is, in the function fn, for a report. It cites no trace #: the access and
// the unmap are scheduling points, so others' events may follow them before the site is taken.
func site(p *des.Proc, fn string) splat.Site {
	return splat.Site{Task: p.Name(), PID: p.ID(), Chain: []string{fn}, At: p.Now()}
}
