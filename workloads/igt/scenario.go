package igt

import (
	"fmt"
	"slices"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/drivers/policy"
	"hotplugsim/model/drivers/xe"
	"hotplugsim/model/fence"
	"hotplugsim/model/oracle"
	"hotplugsim/workloads"
)

// Drivers, as a topology device names them. AnyDriver is IGT's DRIVER_ANY: the run's policy
// picks the driver.
const (
	AnyDriver    = "any"
	AmdgpuDriver = "amdgpu"
	XeDriver     = "xe"
)

// DefaultPolicy is every subtest's default policy.
const DefaultPolicy = "amdgpu-v6-complete-first"

// Policy is a driver design a subtest can run on, "<driver>-<the driver's policy>", in the
// shape of model/drivers/policy: the table below makes ParsePolicy, every subtest's policy
// list (Subtest.Policies) and desrun list.
type Policy struct {
	Name   string
	Doc    string // one line
	driver string
	amd    string            // the amdgpu policy
	xe     string            // the xe policy
	listed listed            // the subtests whose scenarios list it
	expect des.ViolationKind // what the plain subtest finds ("": a fixed design)
	// expectCold, if set, is what the subtests that unbind a closed device (not Hot) find
	expectCold des.ViolationKind
}

// Decl returns the design's name and doc.
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// listed says which subtests' scenarios list a design; any design runs when a Spec's device
// names it.
type listed int

const (
	loadOnly          listed = iota // its bug needs background load
	everySubtest                    // fixed, or buggy in every plain subtest
	hotSubtests                     // buggy in the hot subtests (Subtest.Hot)
	hotUnplugSubtests               // buggy in the hot unplug subtests (Hot and Unplug)
)

func (l listed) in(st Subtest) bool {
	switch l {
	case everySubtest:
		return true
	case hotSubtests:
		return st.Hot
	case hotUnplugSubtests:
		return st.Hot && st.Unplug
	}
	return false
}

// Policies lists every design: the fixed ones every subtest runs on (the default first),
// the buggy ones a plain subtest exposes, with the kind they produce (each found within the
// first few seeds of the default strategy, see properties.TestBugZoo), then those that need load:
//   - amdgpu-noguard, every subtest: in the hot ones the idle work, the fence fallback timer
//     or a job touches the MMIO that the remove path unmapped (use-after-unmap); in the others
//     the file's close waited for its VM clear job to reach the ring (amdgpu_vm_fini's
//     drm_sched_entity_destroy), and the remove halts the ring under it without force-signalling
//     its fence (fence-never-signalled);
//   - amdgpu-sigbus, the hot subtests: unbind waits for the drm files to close, and the one
//     still open belongs to the process writing to sysfs (deadlock, every seed);
//   - xe-drmm-migrate, the hot unplug subtests: the hot file's close is the last drm_dev_put,
//     which runs xe_migrate_fini after remove released the IOMMU group (use-after-free).
var Policies = []Policy{
	{Name: "amdgpu-v6-complete-first", driver: AmdgpuDriver, amd: amdgpu.V6CompleteFirst, listed: everySubtest,
		Doc: "amdgpu hot-unplug v6 with every fence signalled before drm_dev_unplug: synchronize_srcu outside the signalling section"},
	{Name: "xe-clear-mappings-dev-enter", driver: XeDriver, xe: xe.ClearMappingsDevEnter, listed: everySubtest,
		Doc: "xe: devm migrate fini, remove clears every DMA mapping, userptr and import, and every ioctl runs inside drm_dev_enter"},
	{Name: "amdgpu-noguard", driver: AmdgpuDriver, amd: amdgpu.NoGuard, listed: everySubtest, expect: oracle.UseAfterUnmap,
		expectCold: oracle.FenceNeverSignalled, Doc: "amdgpu without drm_dev_enter guards or fence finalisation"},
	{Name: "amdgpu-sigbus", driver: AmdgpuDriver, amd: amdgpu.SIGBUS, listed: hotSubtests, expect: oracle.Deadlock,
		Doc: "amdgpu v1-v5: SIGBUS after unplug; remove waits for every drm file to close"},
	{Name: "xe-drmm-migrate", driver: XeDriver, xe: xe.DrmmMigrate, listed: hotUnplugSubtests, expect: oracle.UseAfterFree,
		Doc: "xe: migrate fini as a drmm action, run at the last drm_dev_put after the IOMMU group is gone"},
	{Name: "amdgpu-v6", driver: AmdgpuDriver, amd: amdgpu.V6,
		Doc: "amdgpu hot-unplug v6: drmm lifetimes, dummy page, drm_dev_enter at every root, fences force-signalled"},
	{Name: "amdgpu-v6-wait-in-enter", driver: AmdgpuDriver, amd: amdgpu.V6WaitInEnter,
		Doc: "amdgpu v6 with the fence-wait ioctl inside drm_dev_enter (the series' open TODO)"},
	{Name: "xe-clear-mappings", driver: XeDriver, xe: xe.ClearMappings,
		Doc: "xe as mainline: clear-mappings with ioctls outside drm_dev_enter (xe_drm_ioctl); an ioctl racing remove rings the doorbell after iounmap"},
	{Name: "xe-devm-migrate", driver: XeDriver, xe: xe.DevmMigrate,
		Doc: "xe: devm migrate fini only; app mappings outlive the IOMMU group"},
}

// ParsePolicy returns the design named s.
func ParsePolicy(s string) (Policy, error) { return policy.Parse("igt", Policies, s) }

// Policies returns the policies of the subtest's scenario: the designs of the table it
// lists, in the table's order, each buggy one with the violation kind it produces.
func (st Subtest) Policies() []workloads.Policy {
	var table []Policy
	expect := map[string]des.ViolationKind{}
	for _, pol := range Policies {
		if !pol.listed.in(st) {
			continue
		}
		table = append(table, pol)
		switch {
		case pol.expectCold != "" && !st.Hot:
			expect[pol.Name] = pol.expectCold
		case pol.expect != "":
			expect[pol.Name] = pol.expect
		}
	}
	return workloads.PoliciesOf(table, expect)
}

// DefaultSpec is every subtest's default workload: one GPU, card0, whose driver the policy
// picks, and no background load (the plain subtest).
func DefaultSpec() workloads.Spec {
	return workloads.Spec{Topology: workloads.Topology{Devices: []workloads.Device{{Name: "card0", Driver: AnyDriver}}}}
}

// SparseSpec is every subtest's workload with a background load at real-life rates (desrun
// --spec sparse): two renderers submitting a job about every 500 µs and an idle app holding
// its file, on card0, while the subtest unbinds, removes, rebinds and rescans under them
// (IGT's -with-load idea at a desktop's rates rather than a stress test's).
func SparseSpec() workloads.Spec {
	s := DefaultSpec()
	s.Apps = []workloads.App{
		{Kind: workloads.AppRender, Device: "card0", Count: 2, Ops: 10, IntervalNs: 500_000},
		{Kind: workloads.AppIdle, Device: "card0", Count: 1, Ops: 1},
	}
	return s
}

// Oracles are the violation kinds the IGT scenarios check: the drivers' own oracles, the
// engine's liveness checks and Progress, the kind of a failed subtest.
var Oracles = []des.ViolationKind{oracle.Progress, oracle.UseAfterUnmap, oracle.StaleMMIO, oracle.HWAfterRemove,
	oracle.StalePTE, oracle.UseAfterFree, oracle.GPUUseAfterFree, oracle.LockOrder, oracle.Deadlock,
	oracle.Hang, oracle.Panic, oracle.FenceNeverSignalled, oracle.SIGBUS, oracle.IoctlAfterUnplug, oracle.FenceLeak}

// Scenario returns the scenario of the subtest (registered at init as "igt-<subtest>").
func (st Subtest) Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name:          st.ScenarioName(),
		Doc:           "IGT core_hotunplug " + st.Name + ": " + st.Doc + "; then the health check",
		Spec:          DefaultSpec(),
		SparseSpec:    new(SparseSpec()),
		Policies:      st.Policies(),
		DefaultPolicy: DefaultPolicy,
		Oracles:       slices.Clone(Oracles),
		Strategy:      workloads.DefaultStrategy,
		AppKinds:      []workloads.AppKind{workloads.AppRender, workloads.AppCompute, workloads.AppIdle},
		Build: func(sim *des.Sim, spec workloads.Spec, runPolicy string) error {
			return build(sim, spec, runPolicy, st)
		},
	}
}

func init() {
	for _, st := range Subtests {
		workloads.Register(st.Scenario())
	}
}

// resolve gives every topology device its design: the device's Policy (a design name) if
// set, else the run's. The devices must share one driver, which their Driver field names or
// leaves to the policy (AnyDriver).
func resolve(spec workloads.Spec, runPolicy string) (string, []Policy, error) {
	var out []Policy
	for i, dev := range spec.Topology.Devices {
		name := runPolicy
		if dev.Policy != "" {
			name = dev.Policy
		}
		d, err := ParsePolicy(name)
		if err != nil {
			return "", nil, fmt.Errorf("device %s: %w", dev.Name, err)
		}
		if dev.Driver != AnyDriver && dev.Driver != d.driver {
			return "", nil, fmt.Errorf("device %s: driver %q, but design %s is %s", dev.Name, dev.Driver, d.Name, d.driver)
		}
		if i > 0 && d.driver != out[0].driver {
			return "", nil, fmt.Errorf("device %s: design %s mixes drivers %s and %s", dev.Name, d.Name, out[0].driver, d.driver)
		}
		out = append(out, d)
	}
	return out[0].driver, out, nil
}

// build makes the platform of spec's devices and spawns the "igt" process: boot-time probe,
// the background load, then the subtest on the first device.
func build(sim *des.Sim, spec workloads.Spec, runPolicy string, st Subtest) error {
	driver, ds, err := resolve(spec, runPolicy)
	if err != nil {
		return err
	}
	var (
		probe  func(p *des.Proc) error
		target workloads.Target
		dut    device
	)
	fence.CheckLeaks(sim) // amdgpu-v6-complete-first and xe-clear-mappings-dev-enter drop every fence reference
	switch driver {
	case AmdgpuDriver:
		pl, err := amdgpu.NewPlatform(sim)
		if err != nil {
			return err
		}
		for i, dev := range spec.Topology.Devices {
			if _, err := pl.AddGPU(dev.Name, ds[i].amd); err != nil {
				return err
			}
		}
		if err := pl.Boot(); err != nil {
			return err
		}
		probe, dut = pl.ProbeAll, amdgpuDev{pl.GPUs()[0]}
		target = &amdgpuLoad{gpus: pl.GPUs(), apps: map[*workloads.Instance]*amdgpuApp{}}
	default:
		var cfg xe.PlatformConfig
		for i, dev := range spec.Topology.Devices {
			cfg.Devices = append(cfg.Devices, xe.DeviceConfig{Name: dev.Name, Policy: ds[i].xe})
		}
		pl, err := xe.NewPlatform(sim, cfg)
		if err != nil {
			return err
		}
		probe, dut = pl.ProbeAll, xeDev{pl, pl.Devices()[0]}
		target = &xeLoad{devs: pl.Devices(), apps: map[*workloads.Instance]*xeApp{}}
	}
	r := &runner{st: st, dev: dut, obj: des.L(dut.name())}
	sim.Spawn("igt", des.Task, func(p *des.Proc) {
		b := workloads.NewProbeBarrier(sim)
		err := b.Probe(p, probe)
		injected := err != nil && sim.FaultsFired() > 0 // a fault site failed the probe: nothing to test
		if err != nil && !injected {
			r.fail(p, "boot-time probe: %v", err)
		}
		workloads.StartProbed(sim, spec, target, b)
		if injected {
			p.Trace(evInjected, r.obj, 0, 0)
			return
		}
		r.run(p)
	})
	return nil
}
