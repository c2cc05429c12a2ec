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
// function or the model's Emit call means them. A kind not here prints "a=… b=…".
var argNames = map[string][2]arg{
	// des engine
	"spawn": {{"kind", dec}}, "sleep": {{"for", dur}}, "busy": {{"for", dur}},
	"preempt": {{"for", dur}},
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
	"pci-unbound": {{"dev", dec}}, "pci-removed-device": {{"dev", dec}},
	"pci-remove-driver": {{"dev", dec}}, "bar-release": {{"bar", dec}, {"start", hex}},
	"bar-assign":    {{"bar", dec}, {"start", hex}},
	"barmove:begin": {{"phys", hex}}, "barmove:end": {{"phys", hex}, {"moves", dec}},
	// locks
	"spin_lock": {{"irqsave", flag}}, "spin_unlock": {{"irqrestore", flag}},
	"lock_map_acquire": {{"read", dec}}, "srcu_read_lock": {{"idx", dec}},
	"srcu_read_unlock": {{"idx", dec}}, "srcu_flip": {{"idx", dec}},
	"down_read": {{"write", flag}, {"trylock", flag}}, "down_write": {{"write", flag}, {"trylock", flag}},
	"rwsem_locked": {{"write", flag}}, "pci-lock": {{"locked", flag}}, "ww_acquire_init": {{"stamp", dec}},
	"ww_acquire_done": {{"stamp", dec}}, "ww_acquire_fini": {{"stamp", dec}},
	"ww_mutex_locked": {{"stamp", dec}}, "ww_mutex_edeadlk": {{"stamp", dec}, {"owner_stamp", dec}},
	// fences, scheduler, work, timers
	"fence-signal": {{"context", dec}, {"seqno", dec}}, "fence-publish": {{"context", dec}, {"seqno", dec}},
	"fence-wait": {{"context", dec}, {"seqno", dec}}, "gpu-access": {{"context", dec}, {"seqno", dec}},
	"fence-put": {{"refs", dec}}, "fence-callback": {{"cb", dec}}, "fence-set-error": {{"errno", dec}},
	"push-job": {{"seqno", dec}}, "job-done": {{"result", dec}},
	"queue-work": {{"gen", dec}}, "cancel-work": {{"gen", dec}}, "cancel-work-sync": {{"gen", dec}},
	"queue-on-draining": {{"gen", dec}}, "work-exec": {{"ticket", dec}}, "work-done": {{"gen", dec}},
	"mod-timer": {{"expires", at}},
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

// Args labels e's arguments: "off=0x100 val=0x2", "phys=0xc0100000 size=0x10000",
// "context=15 seqno=1", "expires=@104us"; "a=… b=…" for a kind it does not know. Zero
// arguments print nothing.
func Args(e des.Event) string {
	if e.A == 0 && e.B == 0 {
		return ""
	}
	names := argNames[e.Kind.String()]
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
	names := argNames[e.Kind.String()]
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
