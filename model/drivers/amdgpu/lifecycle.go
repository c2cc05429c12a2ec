package amdgpu

import "fmt"

// Lifecycle assertions. An incarnation goes probe -> remove -> fini_hw -> fini_sw
// (amdgpu_pci_probe; amdgpu_pci_remove -> amdgpu_driver_unload_kms -> amdgpu_device_fini_hw;
// amdgpu_device_fini_sw at the last drm_dev_put, or in the remove path under sigbus), and the
// PCI core probes a function only while no driver is bound to it. A transition outside that
// order is a bug of the model or of what drives it, not a race for the oracles to grade: it
// panics with the transition's name, and the run reports the panic (violation kind panic).

// invalid panics naming the invalid transition of the incarnation (or GPU) name.
func invalid(name, transition string) {
	panic(fmt.Sprintf("amdgpu: %s: invalid transition: %s", name, transition))
}

// assertProbe: the PCI core never probes a function whose driver is bound.
func (g *GPU) assertProbe() {
	if g.cur != nil {
		invalid(g.name, "probe while incarnation "+g.cur.name+" is bound")
	}
}

// assertRemove: remove follows a successful probe, once.
func (a *adevice) assertRemove() {
	switch {
	case !a.probed:
		invalid(a.name, "remove before probe completed")
	case a.removed:
		invalid(a.name, "remove twice")
	}
}

// assertFiniHW: amdgpu_device_fini_hw runs once.
func (a *adevice) assertFiniHW() {
	if a.hwFinied {
		invalid(a.name, "fini_hw twice")
	}
}

// assertFiniSW: amdgpu_device_fini_sw runs once, and after fini_hw when the probe completed
// (a failed probe's devres release runs it on a device that never had a fini_hw).
func (a *adevice) assertFiniSW() {
	switch {
	case a.swFinied:
		invalid(a.name, "fini_sw twice")
	case a.probed && !a.hwFinied:
		invalid(a.name, "fini_sw before fini_hw")
	}
}
