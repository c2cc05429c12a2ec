// Package hdapatchunbind registers the scenario "hda-patch-unbind": snd_hda_intel probed with
// the patch= module parameter (CONFIG_SND_HDA_PATCH_LOADER), so that azx_probe asks for the
// patch file with request_firmware_nowait and returns, and the probe continues in the
// firmware callback; the device is removed (echo 1 > /sys/bus/pci/devices/.../remove) at a
// time drawn so that it sometimes lands while the file is still loading. A player and an
// idle mixer app wait for the card, play, and end on -ENODEV once it is gone. The driver
// model and its patch-loader policies are in hotplugsim/model/drivers/hda (patch.go); this
// package is the workload glue. Import it for its side effect.
//
// The race (sound/pci/hda/hda_intel.c): azx_probe calls request_firmware_nowait(THIS_MODULE,
// true, patch[dev], &pci->dev, GFP_KERNEL, card, azx_firmware_cb) and returns 0, so the
// driver core counts the device bound; request_firmware_work_func
// (drivers/base/firmware_loader/main.c) loads the file on system_wq and calls
// azx_firmware_cb(fw, card), which reads card->private_data, sets chip->fw and runs
// azx_probe_continue (azx_first_init, snd_hda_load_patch, snd_card_register,
// complete_all(&hda->probe_wait)). azx_remove only does cancel_delayed_work_sync
// (&hda->probe_work) between device_unlock and device_lock, clear_bit(chip->dev_index,
// probed_devs), pci_set_drvdata(pci, NULL) and snd_card_free(card) (sound/core/init.c:
// disconnect, wait for the last close, free): nothing waits for the pending firmware work,
// whose get_device(&pci->dev) keeps the struct device but not the card. A remove during the
// load frees the card, and azx_firmware_cb then reads it: use-after-free. The policies:
//
//   - no-fw-wait (buggy): mainline;
//   - wait-fw-cb-locked (buggy -> deadlock): the wait under the device_lock, which the
//     callback's codec probe takes as the controller's (need_parent_lock);
//   - wait-fw-cb (fixed, the default): azx_remove drops the device_lock, waits for a
//     completion that azx_firmware_cb completes as it returns, retakes it, then frees the
//     card.
//
// Simplified, one line each:
//
//   - the load's latency is PatchLatency, a lower bound the strategy may stretch; the file is
//     never missing (a failed load continues without patching, as mainline does);
//   - the remove comes after the event's time plus a delay in [0, UnbindSpread]
//     (des.Proc.SleepRange, stream "unbind/<device>": drawn uniformly under fifo, explored by
//     the other strategies), so that it lands before, during or after the load;
//   - the codec probe is one device_lock/device_unlock of the controller (what the race
//     needs of driver_probe_device on the hda bus), with no codec driver behind it;
//   - snd_card_disconnect does not stop running streams (snd_pcm_dev_disconnect): a player
//     stops its stream at release, before snd_card_free's wait for the last close returns;
//   - the BAR-move policy of the chip is hda's quiesce-pcm-ref, whose power-reference gate
//     makes file operations fail with -ENODEV after snd_card_disconnect.
package hdapatchunbind

import (
	"fmt"

	"hotplugsim/des"
	"hotplugsim/model/drivers/hda"
	"hotplugsim/model/firmware"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/workloads"
	"hotplugsim/workloads/hdaapp"
)

// Name is the scenario's name.
const Name = "hda-patch-unbind"

// The patch and the times around it.
const (
	// PatchFile is the patch= file every controller asks for.
	PatchFile = "hda-jack-retask.fw"
	// PatchLatency is how long the file's load sleeps (a model lower bound).
	PatchLatency = 2 * des.Millisecond
	// UnbindSpread bounds the delay drawn after an unplug event's time.
	UnbindSpread = 4 * des.Millisecond
	// IdleHold is how long an idle app holds its file open per operation.
	IdleHold = 5 * des.Millisecond
)

func init() { workloads.Register(Scenario()) }

func spec(interval int64, ops int, at int64) workloads.Spec {
	return workloads.Spec{
		Topology: workloads.Topology{Devices: []workloads.Device{{Name: "hda0", Driver: hda.DriverName}}},
		Apps: []workloads.App{
			{Kind: workloads.AppAudio, Device: "hda0", Count: 1, Ops: ops, IntervalNs: interval},
			{Kind: workloads.AppIdle, Device: "hda0", Count: 1, Ops: 1},
		},
		Events: []workloads.Event{{Kind: workloads.EvUnplug, Device: "hda0", AtNs: at}},
	}
}

// SparseSpec is the workload at a real player's rates (desrun --spec sparse): the player
// writes a period and reads its position about once a millisecond (the most a Spec allows),
// a control ioctl every fourth operation; the remove comes 1 ms in plus the drawn delay, so
// it still lands in the 2 ms load about a quarter of the time: the race is the probe's, and
// its rate does not depend on the apps'.
func SparseSpec() workloads.Spec { return spec(1_000_000, 20, 1_000_000) }

// Scenario returns the hda-patch-unbind scenario (registered at init).
func Scenario() *workloads.Scenario {
	return &workloads.Scenario{
		Name:       Name,
		Doc:        "snd_hda_intel with patch=: the device is removed while request_firmware_nowait still loads the patch",
		Spec:       spec(20_000, 40, 500_000),
		SparseSpec: new(SparseSpec()),
		Policies: workloads.PoliciesOf(hda.PatchPolicies, map[string]des.ViolationKind{
			hda.NoFWWait: oracle.UseAfterFree, hda.WaitFWCbLocked: oracle.Deadlock}),
		DefaultPolicy: hda.WaitFWCb,
		Oracles: []des.ViolationKind{oracle.UseAfterFree, oracle.UseAfterUnmap, oracle.StaleMMIO,
			oracle.HWAfterRemove, oracle.StalePTE, oracle.LockOrder, oracle.Deadlock, oracle.Hang, oracle.Panic,
			oracle.Progress},
		Strategy:   workloads.DefaultStrategy,
		AppKinds:   []workloads.AppKind{workloads.AppAudio, workloads.AppIdle},
		EventKinds: []workloads.EventKind{workloads.EvUnplug},
		Build: func(sim *des.Sim, spec workloads.Spec, policy string) error {
			_, err := Build(sim, spec, policy)
			return err
		},
	}
}

// Target is the hda-patch-unbind topology on one Sim: a PCI host with an (unbound) GPU
// function and one HD-audio controller per Spec device, each probed with PatchFile.
type Target struct {
	Host        *pci.Host
	hdaapp.Apps            // the chips (Chips, in Spec device order) and their apps
	Devs        []*pci.Dev // the controllers' PCI functions, in the same order
	names       []string
}

// Build makes the topology for spec under the patch-loader policy (a device's own Policy
// overrides it), spawns the probe and starts the workload. Every device must use
// hda.DriverName.
func Build(sim *des.Sim, spec workloads.Spec, policy string) (*Target, error) {
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: hda.HostBase, Size: hda.HostSize})
	if err != nil {
		return nil, err
	}
	if _, err := host.AddDevice(host.Root(), "0000:03:00.0", nil, hda.GPUBAR()); err != nil {
		return nil, err
	}
	firmware.AddFile(sim, firmware.File{Name: PatchFile, Latency: PatchLatency})
	t := &Target{Host: host, Apps: hdaapp.Apps{IdleHold: IdleHold}}
	for i, d := range spec.Topology.Devices {
		if err := t.addChip(sim, i, d, policy); err != nil {
			return nil, err
		}
	}
	if err := host.Boot(); err != nil {
		return nil, err
	}
	workloads.StartModprobe(sim, spec, t, host.ProbeAll)
	return t, nil
}

func (t *Target) addChip(sim *des.Sim, i int, d workloads.Device, policy string) error {
	if d.Driver != hda.DriverName {
		return fmt.Errorf("device %s: driver %q: %s only has driver %s", d.Name, d.Driver, Name, hda.DriverName)
	}
	if d.Policy != "" {
		policy = d.Policy
	}
	chip, err := hda.New(sim, hda.Config{Name: d.Name, Policy: hda.QuiescePCMRef, Patch: PatchFile, PatchPolicy: policy})
	if err != nil {
		return fmt.Errorf("device %s: %w", d.Name, err)
	}
	dev, err := t.Host.AddDevice(t.Host.Root(), fmt.Sprintf("0000:%02x:00.1", 3+i), chip, hda.BAR())
	if err != nil {
		return err
	}
	t.Chips, t.Devs, t.names = append(t.Chips, chip), append(t.Devs, dev), append(t.names, d.Name)
	return nil
}

// Platform performs an unplug (the only event kind the scenario supports): after a delay in
// [0, UnbindSpread] (SleepRange), echo 1 > /sys/bus/pci/devices/<bdf>/remove, which unbinds
// the driver (azx_remove) and removes the function.
func (t *Target) Platform(p *des.Proc, ev workloads.Event) {
	if ev.Kind != workloads.EvUnplug {
		return
	}
	for i, name := range t.names {
		if name == ev.Device {
			p.SleepRange(0, UnbindSpread, p.Sim().Stream("unbind/"+name))
			t.Host.Remove(p, t.Devs[i])
			return
		}
	}
}
