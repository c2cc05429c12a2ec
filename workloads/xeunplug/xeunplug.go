// Package xeunplug registers the xe-unplug scenario: Intel xe hot-unplug (xe hot-unplug thread) with apps
// holding system-memory, VRAM and pinned BOs, userptrs and a VRAM dma-buf exported to a second
// xe device, while the device is removed (orderly or by surprise) and the apps close their
// files later. The protocol model is hotplugsim/model/drivers/xe; the policies are its
// Policies.
//
// Import it for its side effect:
//
//	import _ "hotplugsim/workloads/xeunplug"
package xeunplug

import (
	"errors"
	"fmt"
	"math"

	"hotplugsim/des"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/ttm"
	"hotplugsim/workloads"
	"hotplugsim/workloads/bospec"
	"hotplugsim/workloads/xeapp"
)

// Name is the scenario's name.
const Name = "xe-unplug"

// EvAER is the scenario's own event kind: an AER report of an uncorrectable error that froze
// the device's channel.
const EvAER workloads.EventKind = "aer"

func init() { workloads.Register(Scenario()) }

// DefaultSpec is the scenario's default workload: on xe0 a render app (a GTT and a VRAM BO,
// CPU touches, jobs, pins), a compute app with userptrs, an idle app that closes late, and a
// dma-buf app exporting a VRAM BO from xe0 to xe1; xe0 is removed at 20us.
func DefaultSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "xe0", Driver: "xe"}, {Name: "xe1", Driver: "xe"}}},
		Apps: []workloads.App{
			{Kind: workloads.AppRender, Device: "xe0", Count: 1, Ops: 12, IntervalNs: 3000,
				BOs: []workloads.BO{{SizeBytes: 8192, Placement: workloads.PlaceGTT}, {SizeBytes: 4096, Placement: workloads.PlaceVRAM}}},
			{Kind: workloads.AppCompute, Device: "xe0", Count: 1, Ops: 10, IntervalNs: 4000},
			{Kind: workloads.AppIdle, Device: "xe0", Count: 1, Ops: 8, IntervalNs: 8000},
			{Kind: workloads.AppDmaBufShare, Device: "xe0", Peer: "xe1", Count: 1, Ops: 10, IntervalNs: 3000},
		},
		Events: []workloads.Event{{Kind: workloads.EvUnplug, Device: "xe0", AtNs: 20_000}},
	}
}

// SparseSpec is the default workload at real-life rates (desrun --spec sparse): the renderer
// and the dma-buf app do one operation per 600 µs, the compute app one per 800 µs, the idle
// app wakes once a millisecond, and xe0 is removed once, 5 ms in, with every app still
// running, so that jobs (2 µs) and ioctls overlap the remove only when the schedule makes
// them, as on a real machine.
func SparseSpec() workloads.Spec {
	s := DefaultSpec()
	s.Apps[0].Ops, s.Apps[0].IntervalNs = 16, 600_000
	s.Apps[1].Ops, s.Apps[1].IntervalNs = 12, 800_000
	s.Apps[2].Ops, s.Apps[2].IntervalNs = 10, 1_000_000
	s.Apps[3].Ops, s.Apps[3].IntervalNs = 16, 600_000
	s.Events[0].AtNs = 5_000_000
	return s
}

// Scenario returns the xe-unplug scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name:       Name,
		Doc:        "xe hot-unplug: DMA mappings (migrate BO, app BOs, pinned, userptr, dma-buf) vs the IOMMU group's release",
		Spec:       DefaultSpec(),
		SparseSpec: new(SparseSpec()),
		Policies: workloads.PoliciesOf(xe.Policies, map[string]des.ViolationKind{
			xe.DrmmMigrate: oracle.UseAfterFree, xe.DevmMigrate: oracle.UseAfterFree,
			xe.ClearMappings: oracle.IoctlAfterUnplug}),
		DefaultPolicy: xe.DefaultPolicy,
		Oracles: []des.ViolationKind{oracle.UseAfterFree, oracle.GPUUseAfterFree, oracle.HWAfterRemove, oracle.UseAfterUnmap,
			oracle.StaleMMIO, oracle.StalePTE, oracle.IoctlAfterUnplug, oracle.SIGBUS, oracle.FenceNeverSignalled,
			oracle.LockOrder, oracle.Deadlock, oracle.Hang, oracle.Panic, oracle.Progress, oracle.FenceLeak},
		Strategy:   workloads.DefaultStrategy,
		AppKinds:   []workloads.AppKind{workloads.AppRender, workloads.AppCompute, workloads.AppIdle, workloads.AppDmaBufShare},
		EventKinds: []workloads.EventKind{workloads.EvUnplug, workloads.EvSurpriseRemoval, workloads.EvReplug, workloads.EvRescan},
		DefineEvents: workloads.KindTable[workloads.EventKind]{{Name: EvAER,
			Doc: "an uncorrectable error on the device: AER reports the channel frozen and pcie_do_recovery runs xe's error handlers (wedge, slot reset, re-probe)"}},
		Build: build,
	}
}

// target drives the xe platform for the generic app and event processes.
type target struct {
	pl   *xe.Platform
	devs []*xe.Driver // by topology index
	apps map[*workloads.Instance]*app
}

// app is one app instance's open files and objects.
type app struct {
	c, peer *xe.Client
	bos     []*xe.BO
	compute xeapp.Compute
	att     *xe.Attachment
	pinned  bool
}

func build(sim *des.Sim, spec workloads.Spec, policy string) error {
	fence.CheckLeaks(sim) // clear-mappings-dev-enter drops every fence reference
	var cfg xe.PlatformConfig
	for _, d := range spec.Topology.Devices {
		if d.Driver != "xe" {
			return fmt.Errorf("device %s: driver %q: %s only has driver xe", d.Name, d.Driver, Name)
		}
		pol := policy
		if d.Policy != "" {
			pol = d.Policy
		}
		if _, err := xe.ParsePolicy(pol); err != nil {
			return fmt.Errorf("device %s: %w", d.Name, err)
		}
		cfg.Devices = append(cfg.Devices, xe.DeviceConfig{Name: d.Name, Policy: pol})
	}
	pl, err := xe.NewPlatform(sim, cfg)
	if err != nil {
		return err
	}
	t := &target{pl: pl, devs: pl.Devices(), apps: map[*workloads.Instance]*app{}}
	sim.Spawn("boot", des.Task, func(p *des.Proc) {
		// A GPU whose probe failed (a fault site, with --faults) has no driver: its apps and
		// events find it unbound (-ENODEV).
		probe := workloads.NewProbeBarrier(sim)
		_ = probe.Probe(p, pl.ProbeAll)
		workloads.StartProbed(sim, spec, t, probe)
	})
	return nil
}

// AppOpen opens the device (and, for a dma-buf app, the peer).
func (t *target) AppOpen(p *des.Proc, in *workloads.Instance) bool {
	a := &app{}
	t.apps[in] = a
	c, err := t.devs[in.Dev].Open(p, in.Name)
	if err != nil {
		return false
	}
	a.c = c
	if in.Peer >= 0 {
		if a.peer, err = t.devs[in.Peer].Open(p, in.Name+"-import"); err != nil {
			return false
		}
	}
	return true
}

// AppClose closes the app's files, importer first.
func (t *target) AppClose(p *des.Proc, in *workloads.Instance) {
	a := t.apps[in]
	for _, c := range []*xe.Client{a.peer, a.c} {
		if c != nil && !c.Closed() {
			_ = c.Close(p)
		}
	}
}

// AppOp performs one operation; false ends the app (the device is gone).
func (t *target) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	a := t.apps[in]
	var err error
	switch in.Spec.Kind {
	case workloads.AppRender:
		err = a.render(p, in, op)
	case workloads.AppCompute:
		err = a.compute.Op(p, a.c, op)
	case workloads.AppDmaBufShare:
		err = a.share(p, in, op)
	}
	return err == nil
}

// render: create the BOs, then cycle through CPU touches, jobs, pin toggles and short-lived
// BOs.
func (a *app) render(p *des.Proc, in *workloads.Instance, op int) error {
	if a.bos == nil {
		for _, b := range bospec.Of(in.Spec, math.MaxInt) { // uncapped: one GTT page if none
			bo, err := a.c.CreateBO(p, b.Pages, b.Place)
			if err != nil {
				return err
			}
			a.bos = append(a.bos, bo)
		}
		return nil
	}
	switch op % 4 {
	case 1:
		return a.c.Touch(p, a.bos[op%len(a.bos)], op)
	case 2:
		return a.c.ExecWait(p, nil)
	case 3:
		a.pinned = !a.pinned
		return a.c.Pin(p, a.bos[0], a.pinned)
	}
	tmp, err := a.c.CreateBO(p, 1, ttm.PlTT)
	if err != nil {
		return err
	}
	return a.c.CloseBO(p, tmp)
}

// share: export a VRAM BO from the device and import it on the peer, then run jobs on the
// peer that read it.
func (a *app) share(p *des.Proc, in *workloads.Instance, _ int) error {
	if a.att == nil {
		bo, err := a.c.CreateBO(p, bospec.Of(in.Spec, math.MaxInt)[0].Pages, ttm.PlVRAM)
		if err != nil {
			return err
		}
		exp, err := a.c.Export(p, bo)
		if err != nil {
			return err
		}
		if a.att, err = a.peer.Import(p, exp); err != nil {
			return err
		}
		return nil
	}
	return a.peer.ExecWait(p, a.att)
}

// Platform performs a platform event on its device.
func (t *target) Platform(p *des.Proc, ev workloads.Event) {
	d := t.pl.Device(ev.Device)
	if d == nil {
		panic(errors.New("xe-unplug: no device " + ev.Device))
	}
	switch ev.Kind {
	case workloads.EvUnplug:
		d.Remove(p)
	case workloads.EvSurpriseRemoval:
		d.SurpriseRemove(p)
	case workloads.EvReplug:
		_ = d.Replug(p) // -ENODEV if it was not removed
	case workloads.EvRescan:
		_ = t.pl.Host().Rescan(p)
	case EvAER:
		if d.PCI().Added() {
			t.pl.Host().ReportError(p, d.PCI(), pci.ChannelFrozen)
		}
	}
}
