// Package amdgpuunplug registers the scenario "amdgpu-unplug" (amdgpu hot-unplug v6 thread), the project's
// default scenario: apps render, compute, mmap and share BOs (PRIME) on a secondary amdgpu
// GPU while it is hot-unplugged (orderly or by surprise), hung or replugged. The protocol
// model of amdgpu hot-unplug and its policies (v6-complete-first, v6, v6-wait-in-enter, sigbus, noguard) are in
// hotplugsim/model/drivers/amdgpu; this package is the workload glue (the Spec, the apps and
// the platform events driving it). Import it for its side effect:
//
//	import _ "hotplugsim/workloads/amdgpuunplug"
package amdgpuunplug

import (
	"errors"
	"fmt"
	"hotplugsim/workloads/bospec"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
	"hotplugsim/workloads"
	"hotplugsim/workloads/amdgpuapp"
)

// Name is the scenario's name.
const Name = "amdgpu-unplug"

// Durations of app jobs and platform steps.
const (
	shareJob    = 2 * des.Microsecond
	pciehpDelay = 2 * des.Microsecond // link down -> pciehp runs the remove
)

func init() { workloads.Register(Scenario()) }

// DefaultSpec is the scenario's default workload: a primary GPU (gpu0) and a secondary,
// render-only one (gpu1) that is hot-unplugged while two renderers, a compute job loop and a
// PRIME share (gpu1 renders into a BO that gpu0 imports) run on it.
func DefaultSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{
			{Name: "gpu0", Driver: amdgpu.DriverName}, {Name: "gpu1", Driver: amdgpu.DriverName}}},
		Apps: []workloads.App{
			{Kind: workloads.AppRender, Device: "gpu1", Count: 2, Ops: 6, IntervalNs: 4000,
				BOs: []workloads.BO{{SizeBytes: 8192, Placement: workloads.PlaceVRAM}, {SizeBytes: 4096, Placement: workloads.PlaceGTT}}},
			{Kind: workloads.AppCompute, Device: "gpu1", Count: 1, Ops: 3, IntervalNs: 6000},
			{Kind: workloads.AppDmaBufShare, Device: "gpu1", Peer: "gpu0", Count: 1, Ops: 6, IntervalNs: 4000,
				BOs: []workloads.BO{{SizeBytes: 4096, Placement: workloads.PlaceGTT}}},
		},
		Events: []workloads.Event{{Kind: workloads.EvUnplug, Device: "gpu1", AtNs: 12_000}},
	}
}

// SparseSpec is the default workload at the rates of a real desktop (desrun --spec sparse):
// the same GPUs, apps and BOs, but each renderer submits about one job per 800 µs (a few
// ioctls per 60 Hz frame), the compute loop one 10 µs job per millisecond and the PRIME share
// one frame per millisecond, and gpu1 is unplugged once, 5 ms in, while all of them still
// run. A job and an ioctl's check-to-access window (a few µs) then cover well under 1% of
// the time, so an unplug meets one in flight only when the schedule makes it: the density the
// races meet on a real machine, which the default Spec (an op every 4 µs) hides.
func SparseSpec() workloads.Spec {
	s := DefaultSpec()
	s.Apps[0].Ops, s.Apps[0].IntervalNs = 20, 800_000
	s.Apps[1].Ops, s.Apps[1].IntervalNs = 8, 1_000_000
	s.Apps[2].Ops, s.Apps[2].IntervalNs = 12, 1_000_000
	s.Events[0].AtNs = 5_000_000
	return s
}

// Scenario returns the amdgpu-unplug scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name:       Name,
		Doc:        "amdgpu hot-unplug (the v6 series): apps render, compute, mmap and share BOs while the GPU is removed",
		Spec:       DefaultSpec(),
		SparseSpec: new(SparseSpec()),
		Policies: workloads.PoliciesOf(amdgpu.Policies, map[string]des.ViolationKind{
			amdgpu.V6KillUnflushed: oracle.UseAfterFree, amdgpu.V6NoCancelJob: oracle.FenceLeak, amdgpu.V6: oracle.LockOrder,
			amdgpu.V6WaitInEnter: oracle.LockOrder, amdgpu.SIGBUS: oracle.UseAfterFree,
			amdgpu.NoGuard: oracle.UseAfterUnmap}),
		DefaultPolicy: amdgpu.V6CompleteFirst,
		Oracles: []des.ViolationKind{oracle.UseAfterUnmap, oracle.StaleMMIO, oracle.HWAfterRemove, oracle.StalePTE,
			oracle.UseAfterFree, oracle.LockOrder, oracle.Deadlock, oracle.Hang, oracle.Panic,
			oracle.FenceNeverSignalled, oracle.Progress, oracle.SIGBUS, oracle.IoctlAfterUnplug, oracle.FenceLeak},
		Strategy: workloads.DefaultStrategy,
		AppKinds: []workloads.AppKind{workloads.AppRender, workloads.AppCompute, workloads.AppIdle, workloads.AppDmaBufShare},
		EventKinds: []workloads.EventKind{workloads.EvUnplug, workloads.EvSurpriseRemoval, workloads.EvReplug,
			workloads.EvGPUHang},
		Build: Build,
	}
}

// Build makes the platform of spec under policy on sim and starts the workload once the
// GPUs are probed.
func Build(sim *des.Sim, spec workloads.Spec, policy string) error {
	fence.CheckLeaks(sim) // v6-complete-first drops every fence reference
	pl, err := amdgpu.NewPlatform(sim)
	if err != nil {
		return err
	}
	for _, d := range spec.Topology.Devices {
		if d.Driver != amdgpu.DriverName {
			return fmt.Errorf("device %s: driver %q: %s only models driver %s", d.Name, d.Driver, Name, amdgpu.DriverName)
		}
		pol := policy
		if d.Policy != "" {
			pol = d.Policy
		}
		if _, err := amdgpu.ParsePolicy(pol); err != nil {
			return fmt.Errorf("device %s: %w", d.Name, err)
		}
		if _, err := pl.AddGPU(d.Name, pol); err != nil {
			return err
		}
	}
	if err := pl.Boot(); err != nil {
		return err
	}
	t := targets.New(sim)
	t.pl, t.gpus, t.spec = pl, pl.AppendGPUs(t.gpus), spec
	if t.bootFn == nil {
		t.bootFn = t.boot // once per object: a sweep worker's target is the same run after run
	}
	sim.Spawn("boot", des.Task, t.bootFn)
	return nil
}

// boot probes the GPUs and then starts the workload, whose apps and events find the probe
// finished (a GPU that failed to probe has no driver: its apps see -ENODEV).
func (t *target) boot(p *des.Proc) {
	probe := workloads.NewProbeBarrier(p.Sim())
	_ = probe.Probe(p, t.pl.ProbeAll)
	workloads.StartProbed(p.Sim(), t.spec, t, probe)
}

var (
	evAppOpen = des.L("app:open")
	evAppGone = des.L("app:device-gone")
	evSpans   = map[workloads.EventKind]des.Span{} // by event kind
)

func init() {
	for _, k := range workloads.EventKinds {
		evSpans[k.Name] = des.NewSpan(string(k.Name))
	}
}

// target drives the platform for workloads.Start: its GPUs are in Spec device order.
type target struct {
	pl     *amdgpu.Platform
	gpus   []*amdgpu.GPU
	spec   workloads.Spec
	bootFn func(*des.Proc) // t.boot, made once per object
}

// targets and apps are reused by a sweep worker run after run (des.SlabKey).
var (
	targets = des.NewSlabKey[target]()
	apps    = des.NewSlabKey[app]()
)

// Recycle keeps the GPU slice's capacity and the bound boot method for the next run.
func (t *target) Recycle() {
	clear(t.gpus)
	*t = target{gpus: t.gpus[:0], bootFn: t.bootFn}
}

var _ workloads.AppLifecycle = (*target)(nil)

var appKey = des.NewProcKey[app]()

// app is one running app instance: its process, its client on the device and, for a
// dma-buf share, its client on the peer and the shared BO.
type app struct {
	in    *workloads.Instance
	mm    *mm.MM
	c     *amdgpu.Client
	vmas  []*mm.VMA
	peer  *amdgpu.Client
	share *amdgpu.BO
	dep   [1]*fence.Fence // shareOp's dependency list
	// syncFile is the app's own reference on the device's last render into the shared BO (a
	// sync_file exported from the out-syncobj): the peer's read waits for it even after the
	// app closed its file on the device, which drops the client's reference.
	syncFile *fence.Fence
}

// Recycle keeps the mapping slice's capacity for the next run.
func (ap *app) Recycle() {
	clear(ap.vmas)
	*ap = app{vmas: ap.vmas[:0]}
}

func appOf(p *des.Proc) *app {
	return appKey.Get(p, func(p *des.Proc) *app { return apps.New(p.Sim()) })
}

func (t *target) gpu(i int) *amdgpu.GPU { return t.gpus[i] }

// AppOpen opens the device (and the peer), allocates and maps the BOs, exports and imports.
func (t *target) AppOpen(p *des.Proc, in *workloads.Instance) bool {
	ap := appOf(p)
	ap.in = in
	g := t.gpu(in.Dev)
	nosig := g.Policy().NoSIGBUS()
	ap.mm = mm.NewMM(p.Sim(), in.Name, mm.Options{NoSIGBUS: nosig})
	p.Trace(evAppOpen, p.Label(), int64(in.Dev), 0)
	if !ap.open(p, g) {
		return false
	}
	if in.Spec.Kind == workloads.AppDmaBufShare {
		return ap.openShare(p, t.gpu(in.Peer))
	}
	return true
}

// open opens the client on g and makes and maps the app's BOs.
func (ap *app) open(p *des.Proc, g *amdgpu.GPU) bool {
	c, err := g.Open(p, ap.in.Name, ap.mm)
	if err != nil {
		return false
	}
	clear(ap.vmas) // a reopen: the old file's mappings are gone with it
	ap.c, ap.vmas = c, ap.vmas[:0]
	if ap.in.Spec.Kind != workloads.AppRender {
		return true
	}
	for i, spec := range bospec.Of(ap.in.Spec, amdgpuapp.MaxBOPages) {
		b, err := c.CreateBO(p, des.JoinN(p.Sim(), "bo", uint64(i)), spec.Pages, spec.Place)
		if err != nil {
			return !isNoDev(err)
		}
		v, err := c.Mmap(p, b)
		if err != nil {
			return !isNoDev(err)
		}
		ap.vmas = append(ap.vmas, v)
	}
	return true
}

// openShare makes the shared BO, exports it, opens the peer and imports it there.
func (ap *app) openShare(p *des.Proc, peer *amdgpu.GPU) bool {
	bs := bospec.Of(ap.in.Spec, amdgpuapp.MaxBOPages)
	b, err := ap.c.CreateBO(p, "shared", bs[0].Pages, bs[0].Place)
	if err != nil {
		return false
	}
	buf, err := ap.c.Export(p, b)
	if err != nil {
		return false
	}
	defer buf.Release(p) // the fd is closed once imported
	pc, err := peer.Open(p, ap.in.Name, ap.mm)
	if err != nil {
		return false
	}
	ap.peer, ap.share = pc, b
	return pc.Import(p, buf) == nil
}

func isNoDev(err error) bool { return errors.Is(err, drm.ErrNoDev) }

// AppOp is one operation of the app's kind. A device that went away ends the app, unless a
// new incarnation of it was probed meanwhile (replug), in which case the app reopens.
func (t *target) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	ap := appOf(p)
	if ap.mm.Dead() {
		return false
	}
	var err error
	switch in.Spec.Kind {
	case workloads.AppRender:
		err = amdgpuapp.Render(p, ap.c, ap.vmas, op)
	case workloads.AppCompute:
		err = amdgpuapp.Compute(p, ap.c)
	case workloads.AppDmaBufShare:
		return ap.shareOp(p, op)
	default: // idle: holds the file
		return true
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, mm.ErrSIGBUS) || ap.mm.Dead():
		return false
	case isNoDev(err):
		p.Trace(evAppGone, p.Label(), int64(ap.c.Device()), 0)
		return ap.reopen(p, t.gpu(in.Dev))
	default:
		return true
	}
}

// reopen closes the lost client and, if the GPU was probed again, opens the new one.
func (ap *app) reopen(p *des.Proc, g *amdgpu.GPU) bool {
	old := ap.c.Device()
	ap.c.Close(p)
	if !g.Bound() || g.Generation() == old {
		return false
	}
	return ap.open(p, g)
}

// shareOp: even ops render into the shared BO on the device, odd ops read it on the peer
// after the device's last job (explicit sync). When the device goes away the app closes its
// file there and goes on with the peer: the import keeps the BO alive.
func (ap *app) shareOp(p *des.Proc, op int) bool {
	if op%2 == 0 && !ap.c.Closed() {
		f, err := ap.c.Submit(p, shareJob)
		if err == nil {
			ap.setSyncFile(p, f.Get(p))
		}
		if isNoDev(err) {
			p.Trace(evAppGone, p.Label(), int64(ap.c.Device()), 0)
			ap.c.Close(p)
		}
		return !ap.mm.Dead()
	}
	deps := ap.dep[:0]
	if ap.syncFile != nil {
		deps = append(deps, ap.syncFile)
	}
	f, err := ap.peer.Submit(p, shareJob, deps...)
	if err != nil {
		return !isNoDev(err) && !ap.mm.Dead()
	}
	err = ap.peer.Wait(p, f)
	return !isNoDev(err) && !ap.mm.Dead()
}

// setSyncFile replaces the app's sync_file reference with f (nil: closes it).
func (ap *app) setSyncFile(p *des.Proc, f *fence.Fence) {
	if ap.syncFile != nil {
		ap.syncFile.Put(p)
	}
	ap.syncFile = f
}

// AppClose is the process exiting: its mappings, then its files (the sync_file too).
func (t *target) AppClose(p *des.Proc, _ *workloads.Instance) {
	ap := appOf(p)
	if ap.mm != nil {
		ap.mm.Exit(p)
	}
	ap.setSyncFile(p, nil)
}

// Platform runs a platform event on its device, with its trace span.
func (t *target) Platform(p *des.Proc, ev workloads.Event) {
	g := t.pl.GPU(ev.Device)
	if g == nil {
		return
	}
	sp := evSpans[ev.Kind]
	sp.Begin(p, g.PCI().Label(), 0, 0)
	switch ev.Kind {
	case workloads.EvUnplug:
		g.Remove(p)
	case workloads.EvSurpriseRemoval:
		g.SurpriseRemove(p, pciehpDelay)
	case workloads.EvReplug:
		_ = g.Replug(p)
	case workloads.EvGPUHang:
		g.HangNextJob()
	}
	sp.End(p, g.PCI().Label(), 0, 0)
}
