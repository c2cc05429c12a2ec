package sbrpciehp

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/accel"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/workloads"
)

// Name is the scenario's name.
const Name = "sbr-pciehp"

// EvResetIoctl is the scenario's own event kind: a tool opens the device and issues the
// RESET_DEVICE ioctl.
const EvResetIoctl workloads.EventKind = "reset-ioctl"

// ResetSpread bounds the delay drawn after a reset event's time, so that the reset lands
// before, during or after the apps' submissions.
const ResetSpread = 2 * des.Millisecond

// PullSpread bounds the delay drawn after a surprise-removal event's time: the card is
// pulled before the reset, while the link is down for it (the reset's wait for the
// secondary bus, about 100 ms), while the ioctl re-initialises the device (10 ms), or after,
// while the apps still submit.
const PullSpread = 200 * des.Millisecond

func init() { workloads.Register(Scenario()) }

func spec(interval int64, ops int, at int64) workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "accel0", Driver: accel.DriverName}}},
		Apps: []workloads.App{
			{Kind: workloads.AppCompute, Device: "accel0", Count: 2, Ops: ops, IntervalNs: interval},
		},
		Events: []workloads.Event{{Kind: EvResetIoctl, Device: "accel0", AtNs: at},
			{Kind: workloads.EvSurpriseRemoval, Device: "accel0", AtNs: 0}},
	}
}

// SparseSpec is the workload at real rates (desrun --spec sparse): two apps submit about once
// a millisecond for 200 ms, and the reset comes 5 ms in, so they submit before, during
// (EBUSY) and after it; the card is pulled in the first 200 ms. The races are the reset's
// with pciehp and with the surprise removal, whatever the apps do.
func SparseSpec() workloads.Spec { return spec(1_000_000, 200, 5_000_000) }

// Scenario returns the sbr-pciehp scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name:       Name,
		Doc:        "an accelerator driver's RESET_DEVICE ioctl resets its secondary bus while pciehp watches the slot's link and the card is pulled",
		Spec:       spec(200_000, 800, 100_000),
		SparseSpec: new(SparseSpec()),
		Policies: workloads.PoliciesOf(accel.Policies, map[string]des.ViolationKind{
			accel.RawSBR: oracle.UseAfterFree, accel.MaskNoClear: oracle.UseAfterFree,
			accel.ResetSlotMasked: oracle.UseAfterFree, accel.ResetInDevEnter: oracle.Deadlock}),
		DefaultPolicy: accel.DefaultPolicy,
		Oracles: []des.ViolationKind{oracle.UseAfterFree, oracle.UseAfterUnmap, oracle.StaleMMIO,
			oracle.HWAfterRemove, oracle.Deadlock, oracle.Hang, oracle.Panic, oracle.Progress},
		Strategy:   workloads.DefaultStrategy,
		AppKinds:   []workloads.AppKind{workloads.AppCompute},
		EventKinds: []workloads.EventKind{EvResetIoctl, workloads.EvSurpriseRemoval},
		DefineEvents: workloads.KindTable[workloads.EventKind]{{Name: EvResetIoctl,
			Doc: "a tool opens the device and issues the driver's RESET_DEVICE ioctl (a Secondary Bus Reset of the slot)"}},
		Build: func(sim *des.Sim, spec workloads.Spec, policy string) error {
			_, err := Build(sim, spec, policy)
			return err
		},
	}
}

// Target is the sbr-pciehp topology on one Sim: one Root Port with pciehp bound per Spec
// device, the accelerator function below it, and the apps' open files.
type Target struct {
	Host    *pci.Host
	Drivers []*accel.Accel // in Spec device order
	Slots   []*pci.Slot    // the ports' slots, in the same order
	names   []string
	files   map[*workloads.Instance]*accel.File
}

// Build makes the topology for spec under the reset policy (a device's own Policy overrides
// it), spawns the probe and starts the workload. Every device must use accel.DriverName.
func Build(sim *des.Sim, spec workloads.Spec, policy string) (*Target, error) {
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: accel.HostBase, Size: accel.HostSize})
	if err != nil {
		return nil, err
	}
	t := &Target{Host: host, files: map[*workloads.Instance]*accel.File{}}
	for i, d := range spec.Topology.Devices {
		if err := t.addDevice(sim, i, d, policy); err != nil {
			return nil, err
		}
	}
	if err := host.Boot(); err != nil {
		return nil, err
	}
	workloads.StartModprobe(sim, spec, t, host.ProbeAll)
	return t, nil
}

func (t *Target) addDevice(sim *des.Sim, i int, d workloads.Device, policy string) error {
	if d.Driver != accel.DriverName {
		return fmt.Errorf("device %s: driver %q: %s only has driver %s", d.Name, d.Driver, Name, accel.DriverName)
	}
	if d.Policy != "" {
		policy = d.Policy
	}
	drv, err := accel.New(sim, accel.Config{Name: d.Name, Policy: policy})
	if err != nil {
		return fmt.Errorf("device %s: %w", d.Name, err)
	}
	port, err := t.Host.AddBridge(t.Host.Root(), fmt.Sprintf("0000:00:%02x.0", 1+i), nil)
	if err != nil {
		return err
	}
	slot, err := t.Host.AddSlot(port, pci.SlotConfig{Bwctrl: true, MaskOnReset: drv.Policy().CoreMasks})
	if err != nil {
		return err
	}
	if _, err := t.Host.AddDevice(port.Subordinate(), fmt.Sprintf("0000:%02x:00.0", 1+i), drv, accel.BAR()); err != nil {
		return err
	}
	t.Drivers, t.Slots, t.names = append(t.Drivers, drv), append(t.Slots, slot), append(t.names, d.Name)
	return nil
}

// AppOpen opens the instance's device (ENODEV if it never bound ends it).
func (t *Target) AppOpen(p *des.Proc, in *workloads.Instance) bool {
	f, err := t.Drivers[in.Dev].Open(p)
	if err != nil {
		return false
	}
	t.files[in] = f
	return true
}

// AppOp is one SUBMIT ioctl: EBUSY during a reset is retried at the next operation, ENODEV
// ends the app.
func (t *Target) AppOp(p *des.Proc, in *workloads.Instance, op int) bool {
	return t.files[in].Submit(p) != accel.ErrNoDevice
}

// AppClose closes the file (nothing to release in the model).
func (t *Target) AppClose(p *des.Proc, in *workloads.Instance) { delete(t.files, in) }

// Platform performs a reset-ioctl event: after a delay in [0, ResetSpread] (des.Proc.SleepRange,
// stream "reset/<device>"), open the device and issue RESET_DEVICE; and a surprise-removal
// event: after a delay in [0, PullSpread] (SleepRange, stream "unplug/<device>"), the card is
// pulled from its slot, and pciehp removes it.
func (t *Target) Platform(p *des.Proc, ev workloads.Event) {
	for i, name := range t.names {
		if name != ev.Device {
			continue
		}
		switch ev.Kind {
		case EvResetIoctl:
			p.SleepRange(0, ResetSpread, p.Sim().Stream("reset/"+name))
			if f, err := t.Drivers[i].Open(p); err == nil {
				_ = f.Reset(p)
			}
		case workloads.EvSurpriseRemoval:
			p.SleepRange(0, PullSpread, p.Sim().Stream("unplug/"+name))
			t.Slots[i].PullCard(p)
		}
		return
	}
}
