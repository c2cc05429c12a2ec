package causal

import (
	"fmt"
	"strings"

	"hotplugsim/des"
)

// argFmt says how an argument prints.
type argFmt uint8

const (
	dec  argFmt = iota // decimal
	hex                // 0x..., addresses, offsets and sizes
	dur                // virtual duration (ns)
	at                 // virtual time (ns)
	flag               // 0/1, printed only when 1
)

type arg struct {
	name string
	f    argFmt
}

// argNames names the arguments (A, B) of the event kinds the model emits, as the kernel
// function or the model's Emit call means them. A key ending in ':' names every kind that
// starts with it and has no entry of its own ("ring-irq:" for "ring-irq:gpu0.gfx"). A kind
// not here prints "a=… b=…".
var argNames = map[string][2]arg{
	// des engine
	"spawn": {{"kind", dec}}, "sleep": {{"for", dur}}, "busy": {{"for", dur}},
	"preempt": {{"for", dur}},
	// the strategy let time move on to the next wake-up with processes runnable (des/explore.go)
	"defer": {{"ready", dec}, {"advance", dur}},
	// a SleepRange woke at a waiting moment of the process named by the object (des/window.go)
	"window": {{"pid", dec}},
	// mem: MMIO (offset into the mapping, value or width) and mappings (phys, size)
	"readb": {{"off", hex}, {"width", dec}}, "readw": {{"off", hex}, {"width", dec}},
	"readl": {{"off", hex}, {"width", dec}}, "readq": {{"off", hex}, {"width", dec}},
	"writeb": {{"off", hex}, {"val", hex}}, "writew": {{"off", hex}, {"val", hex}},
	"writel": {{"off", hex}, {"val", hex}}, "writeq": {{"off", hex}, {"val", hex}},
	"mmio-read": {{"off", hex}}, "mmio-allones": {{"addr", hex}, {"width", dec}},
	"mmio-dropped": {{"addr", hex}, {"width", dec}},
	"ioremap":      {{"phys", hex}, {"size", hex}}, "iounmap": {{"phys", hex}, {"size", hex}},
	"mmap": {{"start", hex}, {"pages", dec}}, "vmf_insert_pfn": {{"addr", hex}, {"phys", hex}},
	"munmap": {{"start", hex}, {"pages", dec}}, "zap_pte_range": {{"start", hex}, {"pages", dec}},
	"ttm_bo_put":  {{"refs", dec}},
	"user_access": {{"addr", hex}, {"write", flag}}, "ttm_bo_unmap_virtual": {{"node", dec}, {"pages", dec}},
	"hw-unplug": {{"gen", dec}}, "hw-removed": {{"gen", dec}}, "hw-remove-begin": {{"gen", dec}},
	"hw-remove-end": {{"gen", dec}}, "hw-reset": {{"gen", dec}}, "hw-replug": {{"gen", dec}},
	"hw-channel-frozen": {{"gen", dec}}, "hw-power-state": {{"state", dec}},
	// pci
	"pci-resize-bar": {{"bar", dec}, {"size", hex}}, "bar-move": {{"from", hex}, {"to", hex}},
	"pci-boot": {{"devices", dec}}, "pci-add-device": {{"dev", dec}}, "pci-bound": {{"dev", dec}},
	"pci-probe-failed": {{"dev", dec}}, "unplugged": {{"gen", dec}},
	"pci-unbound": {{"dev", dec}}, "pci-removed-device": {{"dev", dec}}, "pci-surprise-down": {{"dev", dec}},
	"pci-remove-driver": {{"dev", dec}}, "bar-release": {{"bar", dec}, {"start", hex}},
	"bar-assign":    {{"bar", dec}, {"start", hex}},
	"barmove:begin": {{"phys", hex}}, "barmove:end": {{"phys", hex}, {"moves", dec}},
	"pci-probe": {{"dev", dec}}, "rescan-prepare": {{"dev", dec}}, "rescan-done": {{"dev", dec}},
	"devm-release": {{"dev", dec}, {"idx", dec}}, // idx: the action's place in the devres list
	// pciehp and Secondary Bus Reset (model/pci/pciehp.go): Slot Status and Control bits
	"pciehp-slot-status": {{"sltsta", hex}, {"sltctl", hex}}, "pciehp-slot-control": {{"enable", hex}, {"sltsta", hex}},
	"pciehp-clear-events": {{"sltsta", hex}}, "pciehp: Slot: Link Down": {{"events", hex}},
	"pciehp: ignoring hotplug event": {{"events", hex}}, "pci_reset_secondary_bus": {{"assert", flag}},
	"pcie-link-up": {{"resets", dec}}, "pci_dev_wait": {{"waited", dur}},
	"pcie-bwctrl-notification": {{"sltsta", hex}}, "pciehp: Slot: Link Down/Up ignored": {{"events", hex}},
	"pci_hp_ignore_link_change": {{"begin", flag}}, "pci_reset_function": {{"try", flag}},
	"pci_read_config_word": {{"where", hex}}, "pci_write_config_word": {{"where", hex}, {"val", hex}},
	// model/drivers/accel
	"accel_ioctl_submit": {{"seq", dec}}, "accel_ioctl_reset": {{"resets", dec}},
	"accel_ioctl_reset: done": {{"resets", dec}}, "accel: wait for ioctls": {{"inflight", dec}},
	// interrupts (model/irq); ring-irq:<ring> is amdgpu_fence_process with the jobs completed
	"disable-irq": {{"depth", dec}}, "enable-irq": {{"depth", dec}}, "irq-exit": {{"ret", dec}},
	"ring-irq:": {{"done", dec}},
	// locks
	"spin_lock": {{"irqsave", flag}}, "spin_unlock": {{"irqrestore", flag}},
	"lock_map_acquire": {{"read", dec}}, "srcu_read_lock": {{"idx", dec}},
	"srcu_read_unlock": {{"idx", dec}}, "srcu_flip": {{"idx", dec}},
	"down_read": {{"write", flag}, {"trylock", flag}}, "down_write": {{"write", flag}, {"trylock", flag}},
	"rwsem_locked": {{"write", flag}}, "pci-lock": {{"locked", flag}}, "ww_acquire_init": {{"stamp", dec}},
	"ww_acquire_done": {{"stamp", dec}}, "ww_acquire_fini": {{"stamp", dec}},
	"ww_mutex_locked": {{"stamp", dec}}, "ww_mutex_edeadlk": {{"stamp", dec}, {"owner_stamp", dec}},
	"ww_mutex_lock": {{"stamp", dec}}, "ww_mutex_unlock": {{"stamp", dec}},
	// fences, scheduler, work, timers
	"fence-signal": {{"context", dec}, {"seqno", dec}}, "fence-publish": {{"context", dec}, {"seqno", dec}},
	"fence-wait": {{"context", dec}, {"seqno", dec}}, "gpu-access": {{"context", dec}, {"seqno", dec}},
	"fence-put": {{"refs", dec}}, "fence-callback": {{"cb", dec}}, "fence-set-error": {{"errno", dec}},
	"push-job": {{"seqno", dec}}, "job-done": {{"result", dec}}, "sched-start": {{"errno", dec}},
	"queue-work": {{"gen", dec}}, "cancel-work": {{"gen", dec}}, "cancel-work-sync": {{"gen", dec}},
	"queue-on-draining": {{"gen", dec}}, "work-exec": {{"ticket", dec}}, "work-done": {{"gen", dec}},
	"mod-timer":     {{"expires", at}},
	"fence-get-rcu": {{"refs", dec}}, "fence-add-callback": {{"cbs", dec}},
	"wait:end": {{"status", dec}}, // dma_fence_get_status: 1 signalled, -errno
	// dma_resv (usage: 0 kernel, 1 write, 2 read, 3 bookkeep; fences: on the list)
	"resv-get-fences": {{"usage", dec}, {"fences", dec}}, "resv-wait": {{"usage", dec}, {"fences", dec}},
	"resv-wait-timeout":  {{"usage", dec}, {"timeout", dur}},
	"resv-test-signaled": {{"usage", dec}}, "resv-replace-fences": {{"context", dec}, {"usage", dec}},
	"resv-iter-restart": {{"restart", dec}, {"seq", dec}},
	// ttm and dma-buf (placements: 0 system, 1 TT, 2 VRAM; importer_gen: the importing
	// device's probe generation)
	"ttm_bo_pin":  {{"pin", flag}}, // 0: ttm_bo_unpin
	"ttm_bo_move": {{"from", dec}, {"to", dec}}, "move:begin": {{"from", dec}, {"to", dec}},
	"move:end": {{"from", dec}, {"to", dec}}, "attach:end": {{"p2p_distance", dec}},
	// p2p traces the dma-buf's file references, xe the exported BO's placement
	"dma_buf_export":         {{"refs|placement", dec}},
	"dma_buf_dynamic_attach": {{"importer_gen", dec}}, "dma_buf_map_attachment": {{"importer_gen", dec}},
	"dma_buf_unmap_attachment": {{"importer_gen", dec}}, "dma_buf_detach": {{"importer_gen", dec}},
	"dma_buf_move_notify": {{"attachments", dec}},
	// mm
	"handle_mm_fault": {{"addr", hex}, {"flags", hex}}, "vmf_insert_page": {{"addr", hex}},
	"exit_mm": {{"vmas", dec}},
	// drm / drivers
	"drm_dev_get": {{"refs", dec}}, "drm_dev_put": {{"refs", dec}}, "drm_release": {{"open", dec}},
	"ioctl:begin": {{"nr", dec}, {"gen", dec}}, "ioctl:end": {{"ret", dec}, {"gen", dec}},
	"close:begin": {{}, {"gen", dec}}, "close:end": {{}, {"gen", dec}},
	"amdgpu:remove": {{"gen", dec}}, "amdgpu:wait-files": {{"open", dec}},
	"gpu-mem-free": {{"users", dec}}, "gpu-mem-reuse": {{"users", dec}},
	"resv-reserve": {{"n", dec}, {"fences", dec}}, "resv-add-fence": {{"usage", dec}, {"fences", dec}},
	"codec-verb": {{"verb", hex}}, "codec-unsol": {{"n", dec}}, "sd-period": {{"sd", dec}, {"lpib", hex}},
	"fault:begin": {{"page", dec}}, "fault:end": {{"page", dec}}, "drm_ioctl": {{"nr", dec}},
	"iommu_probe_device": {{"group", dec}}, "iommu_release_device": {{"group", dec}, {"live", dec}},
	"dma_map": {{"iova", hex}, {"size", hex}}, "dma_unmap": {{"iova", hex}, {"size", hex}},
	"iommu-leaked-mappings": {{"group", dec}, {"live", dec}},
	// probe/unplug spans: the device's probe generation (xe's; amdgpu's probe span and the
	// amdgpu-unplug platform event's unplug span carry none)
	"probe:begin": {{"gen", dec}}, "probe:end": {{"gen", dec}},
	"unplug:begin": {{"gen", dec}}, "unplug:end": {{"gen", dec}},
	"amdgpu:probe": {{"gen", dec}}, "drm_open": {{"open", dec}}, "drmm_release": {{"left", dec}},
	"drm_dev_register": {{"step", dec}}, // 1: begin, 2: the primary minor fails (SiteMinorRegister)
	"xe_migrate_fini":  {{"gen", dec}}, "guc_exec_queue_timedout_job": {{"outstanding", dec}}, "device_lock": {{"dev", dec}}, "device_unlock": {{"dev", dec}}, "xe_device_declare_wedged": {{"outstanding", dec}},
	"ttm_device_clear_dma_mappings": {{"cleared", dec}}, "xe_userptr_remove_all": {{"userptrs", dec}},
	// the amdgpu-unplug app: dev is its Spec device, gen the generation it lost
	"app:open": {{"dev", dec}}, "app:device-gone": {{"gen", dec}},
	// sound: snd_hda_intel (model/drivers/hda) and the card (model/sound); state: 3 D3hot, 0
	// D0; power_state: SNDRV_CTL_POWER_*
	"open": {{"files", dec}}, "power-state": {{"state", dec}, {"power_ref", dec}},
	"snd_power_ref_and_wait":   {{"power_ref", dec}, {"power_state", hex}},
	"azx_get_response timeout": {{"pending", dec}}, "codec-response-lost": {{"verb", hex}},
	"unsol:begin": {{"res", hex}}, "unsol:end": {{"res", hex}},
	"period:begin": {{"periods", dec}}, "period:end": {{"periods", dec}, {"hw_ptr", hex}},
	"pcm-pos": {{"hw_ptr", hex}},
	// firmware loader (model/firmware)
	"request_firmware": {{"size", hex}}, "firmware_request_nowarn": {{"size", hex}},
	"request_firmware_work_func": {{"size", hex}}, "firmware_read": {{"size", hex}},
	"release_firmware": {{"size", hex}}, "request_firmware_cont": {{"loaded", flag}},
	// RCU (model/rcu)
	"rcu_read_lock": {{"depth", dec}}, "rcu_read_unlock": {{"depth", dec}},
	"synchronize_rcu": {{"gp_seq", dec}}, "synchronize_rcu_done": {{"gp", dec}},
	"call_rcu": {{"gp", dec}, {"pending", dec}}, "rcu_barrier": {{"queued", dec}, {"invoked", dec}},
	"rcu_gp_init": {{"gp", dec}, {"readers", dec}}, "rcu_gp_cleanup": {{"gp_seq", dec}},
	"rcu_do_batch": {{"gp", dec}, {"left", dec}},
}

// namesOf is kind's entry in argNames, or that of its prefix up to and including the first
// ':' ("ring-irq:gpu0.gfx" -> "ring-irq:").
func namesOf(kind string) [2]arg {
	if n, ok := argNames[kind]; ok {
		return n
	}
	if i := strings.IndexByte(kind, ':'); i >= 0 {
		return argNames[kind[:i+1]]
	}
	return [2]arg{}
}

// Args labels e's arguments: "off=0x100 val=0x2", "phys=0xc0100000 size=0x10000",
// "context=15 seqno=1", "expires=@104us"; "a=… b=…" for a kind it does not know. Zero
// arguments print nothing.
func Args(e des.Event) string {
	if e.A == 0 && e.B == 0 {
		return ""
	}
	names := namesOf(e.Kind.String())
	var parts []string
	for i, v := range [2]int64{e.A, e.B} {
		n := names[i]
		if n.name == "" {
			if v == 0 {
				continue
			}
			n = arg{[2]string{"a", "b"}[i], dec}
		}
		switch n.f {
		case flag:
			if v != 0 {
				parts = append(parts, n.name)
			}
		case hex:
			parts = append(parts, fmt.Sprintf("%s=%#x", n.name, v))
		case dur:
			parts = append(parts, fmt.Sprintf("%s=%v", n.name, des.Duration(v)))
		case at:
			parts = append(parts, fmt.Sprintf("%s=%v", n.name, des.Time(v)))
		default:
			parts = append(parts, fmt.Sprintf("%s=%d", n.name, v))
		}
	}
	return strings.Join(parts, " ")
}

// Arg is one named argument of an event.
type Arg struct {
	Name  string
	Value int64
	Hex   bool // an address, offset or size
}

// NamedArgs returns e's arguments by name (as Args prints them; zeros of unnamed arguments
// and clear flags left out).
func NamedArgs(e des.Event) []Arg {
	names := namesOf(e.Kind.String())
	var out []Arg
	for i, v := range [2]int64{e.A, e.B} {
		n := names[i]
		if n.name == "" {
			if v == 0 {
				continue
			}
			n = arg{[2]string{"a", "b"}[i], dec}
		}
		if (n.f == flag || e.A == 0 && e.B == 0) && v == 0 {
			continue
		}
		out = append(out, Arg{Name: n.name, Value: v, Hex: n.f == hex})
	}
	return out
}
