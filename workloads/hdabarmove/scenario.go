// Package hdabarmove registers the scenario "hda-bar-move" (snd_hda_intel BAR move thread): a player with the
// PCM buffer mmapped, sending control ioctls, and an idle mixer app, on an HD-audio
// controller whose BAR a PCI rescan moves twice. The protocol model of snd_hda_intel and its
// policies are in hotplugsim/model/drivers/hda; this package is the workload glue (the
// Spec, the apps and the platform's rescans driving it). Import it for its side effect.
package hdabarmove

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/workloads"
	"hotplugsim/workloads/hdaapp"
)

// Name is the scenario's name.
const Name = "hda-bar-move"

// IdleHold is how long an idle app holds its file open per operation: longer than any
// bound, so an idle app never closes while a move waits for it.
const IdleHold = 20 * des.Millisecond

func init() { workloads.Register(Scenario()) }

// SparseSpec is the workload at a real player's rates (desrun --spec sparse): the player
// writes a period and reads its position about once a millisecond (the most a Spec allows;
// PulseAudio's periods are 5-25 ms), a control ioctl every fourth operation, and one rescan,
// 12 ms in, moves the BAR while it plays; the idle mixer holds its file. The controller's
// own rates (a period interrupt every 50 µs, unsolicited events, codec latency) are the
// hardware model's and stay as they are: only the software gets sparse.
func SparseSpec() workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "hda0", Driver: hda.DriverName}}},
		Apps: []workloads.App{
			{Kind: workloads.AppAudio, Device: "hda0", Count: 1, Ops: 30, IntervalNs: 1_000_000},
			{Kind: workloads.AppIdle, Device: "hda0", Count: 1, Ops: 1},
		},
		Events: []workloads.Event{{Kind: workloads.EvRescan, Device: "hda0", AtNs: 12_000_000}},
	}
}

// Scenario returns the hda-bar-move scenario (registered at init): a player with the PCM
// buffer mmapped, sending control ioctls, and an idle mixer app, on an HD-audio controller
// whose BAR a PCI rescan moves twice.
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name: Name,
		Doc:  "snd_hda_intel under a BAR move: period irqs, CORB/RIRB verbs, unsolicited-event work, mmapped PCM",
		Spec: workloads.Spec{
			Topology: workloads.Topology{Devices: []workloads.Device{{Name: "hda0", Driver: hda.DriverName}}},
			Apps: []workloads.App{
				{Kind: workloads.AppAudio, Device: "hda0", Count: 1, Ops: 40, IntervalNs: 20_000},
				{Kind: workloads.AppIdle, Device: "hda0", Count: 1, Ops: 1},
				// A short player whose close (snd_pcm_release: stop, hw_free's verb) falls
				// around the first move.
				{Kind: workloads.AppAudio, Device: "hda0", Count: 1, Ops: 12, IntervalNs: 20_000},
			},
			Events: []workloads.Event{
				{Kind: workloads.EvRescan, Device: "hda0", AtNs: 250_000},
				{Kind: workloads.EvRescan, Device: "hda0", AtNs: 600_000},
			},
		},
		SparseSpec: new(SparseSpec()),
		Policies: workloads.PoliciesOf(hda.Policies, map[string]des.ViolationKind{
			hda.StopChip: oracle.UseAfterUnmap, hda.IoctlRWSem: oracle.UseAfterUnmap,
			hda.WaitClose: oracle.Progress, hda.Quiesce: oracle.UseAfterUnmap}),
		DefaultPolicy: hda.QuiescePCMRef,
		Oracles: []des.ViolationKind{oracle.UseAfterUnmap, oracle.StaleMMIO, oracle.StalePTE, oracle.UseAfterFree,
			oracle.LockOrder, oracle.Deadlock, oracle.Hang, oracle.Panic, oracle.Progress},
		Strategy:   workloads.DefaultStrategy,
		AppKinds:   []workloads.AppKind{workloads.AppAudio, workloads.AppIdle},
		EventKinds: []workloads.EventKind{workloads.EvRescan},
		Build: func(sim *des.Sim, spec workloads.Spec, policy string) error {
			_, err := Build(sim, spec, policy)
			return err
		},
	}
}

// Target is the hda-bar-move topology on one Sim: a PCI host with an (unbound) GPU function
// and one HD-audio controller per Spec device, and the apps' open files.
type Target struct {
	Host        *pci.Host
	hdaapp.Apps // the chips (Chips, in Spec device order) and their apps
}

// Build makes the topology for spec under policy (a device's own Policy overrides it),
// spawns the probe and starts the workload. Every device must use hda.DriverName.
func Build(sim *des.Sim, spec workloads.Spec, policy string) (*Target, error) {
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: hda.HostBase, Size: hda.HostSize})
	if err != nil {
		return nil, err
	}
	t := &Target{Host: host, Apps: hdaapp.Apps{IdleHold: IdleHold}}
	// The GPU whose audio function the controller is (the thread's on-GPU Azalia); unbound
	// here, but its BAR makes the layout, and so the move, interesting.
	if _, err := host.AddDevice(host.Root(), "0000:03:00.0", nil, hda.GPUBAR()); err != nil {
		return nil, err
	}
	for i, d := range spec.Topology.Devices {
		if d.Driver != hda.DriverName {
			return nil, fmt.Errorf("device %s: driver %q: %s only has driver %s", d.Name, d.Driver, Name, hda.DriverName)
		}
		pol := policy
		if d.Policy != "" {
			pol = d.Policy
		}
		chip, err := hda.New(sim, hda.Config{Name: d.Name, Policy: pol})
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", d.Name, err)
		}
		bdf := fmt.Sprintf("0000:%02x:00.1", 3+i)
		if _, err := host.AddDevice(host.Root(), bdf, chip, hda.BAR()); err != nil {
			return nil, err
		}
		t.Chips = append(t.Chips, chip)
	}
	if err := host.Boot(); err != nil {
		return nil, err
	}
	workloads.StartModprobe(sim, spec, t, host.ProbeAll)
	return t, nil
}

// Platform performs a rescan (the only event kind the scenario supports): echo 1 >
// /sys/bus/pci/rescan, which moves the controllers' BARs.
func (t *Target) Platform(p *des.Proc, ev workloads.Event) {
	if ev.Kind == workloads.EvRescan {
		_ = t.Host.Rescan(p)
	}
}
