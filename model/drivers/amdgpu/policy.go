package amdgpu

import "fmt"

// Policy names one design of the hot-unplug protocol (amdgpu hot-unplug v6 thread). It is a setting of the one
// driver model, not a copy of it.
type Policy string

// Policies, as the scenario names them.
const (
	// NoGuard has no drm_dev_enter guards at the roots of ioctls, work items, timers, the
	// scheduler's run_job and the TDR, and no fence finalisation at remove: something touches
	// the MMIO the remove path iounmapped (use-after-unmap).
	NoGuard Policy = "noguard"
	// SIGBUS is the v1-v5 approach: CPU mappings zapped, SIGBUS on the next fault, the remove
	// path waits for the device's drm files to close and then frees the amdgpu_device; a BO
	// exported through dma-buf outlives the files and its release calls into the freed
	// structure (use-after-free).
	SIGBUS Policy = "sigbus"
	// V6 is the series' design: structures live until the last drm_device reference (drmm),
	// CPU mappings go to a dummy page, early HW fini at remove, every root under
	// drm_dev_enter, HW fences force-signalled at remove, a rw_sem rejects new jobs, and the
	// TDR returns ENODEV after unplug.
	V6 Policy = "v6"
	// V6WaitInEnter is V6 with the fence-wait ioctl inside its drm_dev_enter scope (the
	// series' open TODO): lockdep sees drm_unplug_srcu -> dma_fence_map against the remove
	// path's synchronize_srcu inside its fence signalling section (lock-order), and a
	// surprise removal with a job in flight deadlocks synchronize_srcu.
	V6WaitInEnter Policy = "v6-wait-in-enter"
)

// Policies lists every policy, the default (V6) first.
var Policies = []Policy{V6, V6WaitInEnter, SIGBUS, NoGuard}

// ParsePolicy checks a policy name.
func ParsePolicy(s string) (Policy, error) {
	for _, p := range Policies {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("amdgpu: no policy %q (have v6, v6-wait-in-enter, sigbus, noguard)", s)
}

// NoSIGBUS reports whether the policy promises apps no SIGBUS after unplug (v6 and
// v6-wait-in-enter: CPU mappings go to the dummy page, ioctls fail with -ENODEV). It is the
// mm.Options.NoSIGBUS an app's address space should have, as GPU.Open gives the address
// space it makes when passed none.
func (pol Policy) NoSIGBUS() bool { return pol.features().promise }

// features are what a policy switches on in the one driver model.
type features struct {
	guards      bool // drm_dev_enter at every root (ioctls, run_job, TDR, work, timers)
	finalise    bool // force-signal fences at remove; the rw_sem rejects new jobs
	sigbus      bool // fault after unplug -> SIGBUS; wait for the files; free adev at remove
	waitInEnter bool // the fence-wait ioctl runs inside drm_dev_enter
	promise     bool // apps get no SIGBUS; ioctls after unplug fail with -ENODEV
}

func (pol Policy) features() features {
	switch pol {
	case NoGuard:
		return features{}
	case SIGBUS:
		return features{guards: true, finalise: true, sigbus: true}
	case V6WaitInEnter:
		return features{guards: true, finalise: true, waitInEnter: true, promise: true}
	default:
		return features{guards: true, finalise: true, promise: true}
	}
}
