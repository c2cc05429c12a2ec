package amdgpu

import "hotplugsim/model/drivers/policy"

// Policy is one design of the hot-unplug protocol (amdgpu hot-unplug v6 thread): its name,
// a one-line doc and what it switches on in the one driver model (a setting of the model, not
// a copy of it).
type Policy struct {
	Name string
	Doc  string // one line
	features
}

// Decl returns the policy's name and doc.
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// Policy names, as the scenario names them.
const (
	// NoGuard has no drm_dev_enter guards at the roots of ioctls, work items, timers, the
	// scheduler's run_job and the TDR, and no fence finalisation at remove: something touches
	// the MMIO the remove path iounmapped (use-after-unmap).
	NoGuard = "noguard"
	// SIGBUS is the v1-v5 approach: CPU mappings zapped, SIGBUS on the next fault, the remove
	// path waits for the device's drm files to close and then frees the amdgpu_device; a BO
	// exported through dma-buf outlives the files and its release calls into the freed
	// structure (use-after-free).
	SIGBUS = "sigbus"
	// V6 is the series' design: structures live until the last drm_device reference (drmm),
	// CPU mappings go to a dummy page, early HW fini at remove, every root under
	// drm_dev_enter, HW fences force-signalled at remove, a rw_sem rejects new jobs, and the
	// TDR returns ENODEV after unplug. With the series' TODO annotation (synchronize_srcu
	// inside a fence signalling section) and a page allocation's might_alloc, lockdep sees
	// drm_unplug_srcu -> fs_reclaim -> mmu notifier -> dma_fence_map -> drm_unplug_srcu:
	// every ioctl that populates a BO's pages inside drm_dev_enter closes it (lock-order).
	V6 = "v6"
	// V6CompleteFirst is V6 with the fence work of remove done before drm_dev_unplug: the
	// rw_sem rejects new jobs, the rings are halted and their fences force-signalled (the
	// signalling section), then drm_sched_fini and the entity kill signal every queued job;
	// only then drm_dev_unplug, whose synchronize_srcu waits for no fence and so runs
	// outside any signalling section. Allocations and fence waits inside drm_dev_enter are
	// then no part of a cycle with the remove path. fini_sw waits for the entity kill works
	// (sched.FlushKillJobs) before it frees the scheduler, a wait mainline lacks, and its
	// scheduler has cancel_job (v6.17), so drm_sched_fini frees the jobs still pending.
	V6CompleteFirst = "v6-complete-first"
	// V6KillUnflushed is V6CompleteFirst without the wait for the kill works, as mainline:
	// a killed job whose dependency signals after the last drm_dev_put runs
	// drm_sched_entity_kill_jobs_work on the freed scheduler (use-after-free).
	V6KillUnflushed = "v6-kill-unflushed"
	// V6NoCancelJob is V6CompleteFirst on the scheduler before v6.17, without cancel_job:
	// drm_sched_fini leaves the jobs still pending (those the scheduler thread had not freed
	// yet, and one a run_job in flight put on the halted ring), and their finished, scheduled
	// and hardware fences stay referenced after the device and every file on it are gone
	// (fence-leak).
	V6NoCancelJob = "v6-no-cancel-job"
	// V6WaitInEnter is V6 with the fence-wait ioctl inside its drm_dev_enter scope (the
	// series' open TODO): lockdep sees drm_unplug_srcu -> dma_fence_map against the remove
	// path's synchronize_srcu inside its fence signalling section (lock-order), and a
	// surprise removal with a job in flight deadlocks synchronize_srcu.
	V6WaitInEnter = "v6-wait-in-enter"
)

// Policies lists every policy, the default (V6CompleteFirst) first.
var Policies = []Policy{
	{Name: V6CompleteFirst, Doc: "v6 with every fence signalled (force-completion, sched fini, entity kill) before drm_dev_unplug: synchronize_srcu outside the signalling section; fini_sw waits for the entity kill works",
		features: features{guards: true, finalise: true, promise: true, annotate: true, completeFirst: true, flushKill: true, cancelJob: true}},
	{Name: V6KillUnflushed, Doc: "v6-complete-first without the kill-work wait, as mainline: drm_sched_entity_kill_jobs_work runs on the scheduler freed at the last drm_dev_put",
		features: features{guards: true, finalise: true, promise: true, annotate: true, completeFirst: true, cancelJob: true}},
	{Name: V6NoCancelJob, Doc: "v6-complete-first on the pre-v6.17 scheduler (no cancel_job): drm_sched_fini leaves the jobs still pending, whose fences outlive the device and its files",
		features: features{guards: true, finalise: true, promise: true, annotate: true, completeFirst: true, flushKill: true}},
	{Name: V6, Doc: "the v6 series: a page allocation inside drm_dev_enter closes drm_unplug_srcu -> fs_reclaim -> mmu notifier -> dma_fence_map against synchronize_srcu in the remove path's signalling section",
		features: features{guards: true, finalise: true, promise: true, annotate: true}},
	{Name: V6WaitInEnter, Doc: "v6 with the fence-wait ioctl inside drm_dev_enter (the series' open TODO)",
		features: features{guards: true, finalise: true, waitInEnter: true, promise: true, annotate: true}},
	{Name: SIGBUS, Doc: "v1-v5: SIGBUS on fault after unplug, wait for the files, free the device at remove",
		features: features{guards: true, finalise: true, sigbus: true}},
	{Name: NoGuard, Doc: "no drm_dev_enter guards and no fence finalisation: MMIO touched after the remove iounmapped it"},
}

// ParsePolicy returns the policy named s.
func ParsePolicy(s string) (Policy, error) { return policy.Parse("amdgpu", Policies, s) }

// NoSIGBUS reports whether the policy promises apps no SIGBUS after unplug (the v6 family: CPU mappings go to the dummy page, ioctls fail with -ENODEV). It is the
// mm.Options.NoSIGBUS an app's address space should have, as GPU.Open gives the address
// space it makes when passed none.
func (pol Policy) NoSIGBUS() bool { return pol.promise }

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
	// cancelJob: the scheduler's ops have cancel_job (v6.17), so drm_sched_fini cancels and
	// frees the jobs still pending instead of leaving them with their fences
	cancelJob bool
}
