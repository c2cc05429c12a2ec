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
	// TDR returns ENODEV after unplug. With the series' TODO annotation (synchronize_srcu
	// inside a fence signalling section) and a page allocation's might_alloc, lockdep sees
	// drm_unplug_srcu -> fs_reclaim -> mmu notifier -> dma_fence_map -> drm_unplug_srcu:
	// every ioctl that populates a BO's pages inside drm_dev_enter closes it (lock-order).
	V6 Policy = "v6"
	// V6CompleteFirst is V6 with the fence work of remove done before drm_dev_unplug: the
	// rw_sem rejects new jobs, the rings are halted and their fences force-signalled (the
	// signalling section), then drm_sched_fini and the entity kill signal every queued job;
	// only then drm_dev_unplug, whose synchronize_srcu waits for no fence and so runs
	// outside any signalling section. Allocations and fence waits inside drm_dev_enter are
	// then no part of a cycle with the remove path. fini_sw waits for the entity kill works
	// (sched.FlushKillJobs) before it frees the scheduler, a wait mainline lacks.
	V6CompleteFirst Policy = "v6-complete-first"
	// V6KillUnflushed is V6CompleteFirst without the wait for the kill works, as mainline:
	// a killed job whose dependency signals after the last drm_dev_put runs
	// drm_sched_entity_kill_jobs_work on the freed scheduler (use-after-free).
	V6KillUnflushed Policy = "v6-kill-unflushed"
	// V6WaitInEnter is V6 with the fence-wait ioctl inside its drm_dev_enter scope (the
	// series' open TODO): lockdep sees drm_unplug_srcu -> dma_fence_map against the remove
	// path's synchronize_srcu inside its fence signalling section (lock-order), and a
	// surprise removal with a job in flight deadlocks synchronize_srcu.
	V6WaitInEnter Policy = "v6-wait-in-enter"
)

// Policies lists every policy, the default (V6CompleteFirst) first.
var Policies = []Policy{V6CompleteFirst, V6KillUnflushed, V6, V6WaitInEnter, SIGBUS, NoGuard}

// ParsePolicy checks a policy name.
func ParsePolicy(s string) (Policy, error) {
	for _, p := range Policies {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("amdgpu: no policy %q (have v6-complete-first, v6-kill-unflushed, v6, v6-wait-in-enter, sigbus, noguard)", s)
}

// NoSIGBUS reports whether the policy promises apps no SIGBUS after unplug (the v6 family: CPU mappings go to the dummy page, ioctls fail with -ENODEV). It is the
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
	// annotate: remove's drm_dev_unplug and fence finalisation run inside a dma-fence
	// signalling section (the v6 TODO; v1-v5 predate it)
	annotate bool
	// completeFirst: remove signals every fence (finalise, sched fini, entity kill) before
	// drm_dev_unplug, whose synchronize_srcu is then outside the signalling section
	completeFirst bool
	flushKill     bool // fini_sw waits for the entity kill works before freeing the scheduler
}

func (pol Policy) features() features {
	switch pol {
	case NoGuard:
		return features{}
	case SIGBUS:
		return features{guards: true, finalise: true, sigbus: true}
	case V6CompleteFirst:
		return features{guards: true, finalise: true, promise: true, annotate: true, completeFirst: true, flushKill: true}
	case V6KillUnflushed:
		return features{guards: true, finalise: true, promise: true, annotate: true, completeFirst: true}
	case V6WaitInEnter:
		return features{guards: true, finalise: true, waitInEnter: true, promise: true, annotate: true}
	default:
		return features{guards: true, finalise: true, promise: true, annotate: true}
	}
}
