// Package igt registers IGT's core_hotunplug subtests as scenarios, one per subtest, named
// "igt-<subtest>": igt-unbind-rebind, igt-unplug-rescan, igt-hotunbind-rebind,
// igt-hotunplug-rescan, igt-hotrebind, igt-hotreplug, igt-hotrebind-lateclose and
// igt-hotreplug-lateclose. Import it for its side effect:
//
//	import _ "hotplugsim/workloads/igt"
//
// # What a scenario runs
//
// A run is core_hotunplug with --run-subtest <subtest> on one GPU, as one platform process,
// "igt":
//
//  1. boot: probe the drivers; start the Spec's background load, if any;
//  2. pre_check: the health check (nothing has checked the device yet in this run);
//  3. the subtest's steps (Subtests): the hot variants open the DRM node first; the device
//     is taken away by the driver's unbind file or by the PCI remove file, and brought back
//     by the bind file or a bus rescan; IGT's checks that the device is unbound (and later
//     bound again) follow each step; the hot file is closed before the device comes back
//     (hotunbind-rebind, hotunplug-rescan), after it (-lateclose), or left open;
//  4. the health check;
//  5. the cleanup fixture: a file still open (hotrebind, hotreplug) is closed and, as IGT's
//     recover() does after a late close, the health check runs again.
//
// The health check (healthCheck) is IGT's local_i915_healthcheck reduced to what both
// drivers have: reopen the device, submit a no-op job, wait for its fence outside any
// ioctl (sync_fence_wait; bounded by HealthTimeout), require status 1, close. It starts
// after SettleTime (IGT sleeps 1 s for devtmpfs).
//
// Every IGT assertion the subtest makes — the device does not reopen, the no-op job does
// not complete or completes with an error, unbind leaves the device bound, bind or rescan
// fails or leaves it unbound, an open fails — is reported with des.Sim.Violate as
// oracle.Progress: in the oracle table Progress is "a protocol step does not finish
// within its bound", and what the subtest checks is exactly that the unplug protocol has
// finished, leaving a device that comes back and completes work. The model's own oracles
// (use-after-free, use-after-unmap, lock-order, deadlock, ...) fire on their own, before the
// subtest gets to its check; model/fence's leak check (fence-leak) is on for both drivers and
// reports, when the run ends, a fence of a torn-down device still referenced. A step that blocks for ever (IGT's igt_set_timeout) is left
// to the engine: a deadlock with its wait-for chain, or a hang after the hang bound.
//
// # Policies: the driver designs
//
// A policy is a driver and one of its designs, "<driver>-<policy>": amdgpu-v6-complete-first
// (the default) and xe-clear-mappings-dev-enter are the fixed designs every subtest runs on. The buggy
// designs a subtest exposes without load are listed with the kind they produce
// (one table, Policies, makes ParsePolicy and each Subtest.Policies): amdgpu-noguard (use-after-unmap in the hot subtests,
// fence-never-signalled in those that unbind a closed device: its VM clear job reached the ring
// before the close returned, and its remove halts the ring without signalling it), amdgpu-sigbus
// (deadlock: its remove waits for the file the igt process still holds, every hot subtest)
// and xe-drmm-migrate (use-after-free of the IOMMU group at the hot file's late close, the
// hot unplug subtests). amdgpu-v6, amdgpu-v6-wait-in-enter, xe-devm-migrate and xe-clear-mappings
// (mainline xe: ioctls outside drm_dev_enter) need load (an app populating a BO inside
// drm_dev_enter, an app waiting in the wait ioctl, an app holding DMA mappings, an app's exec
// ioctl racing the remove); a Spec's device may name them as its
// Policy (any design name is accepted there).
//
// # The Spec: topology and background load
//
// The steps are fixed by the scenario: the Spec takes no platform events. The default Spec
// is one device, card0, with driver "any" (IGT's DRIVER_ANY: the policy picks the driver,
// amdgpu or xe); a device may name its driver instead, which must then match the policy's.
// More devices may be listed (one driver for all); the subtest runs on the first, as IGT's
// device filter selects one. A device's Policy, if set, is a design name and overrides the
// run's.
//
// The Spec's apps are the -with-load idea: render (BOs from the Spec, CPU touches, jobs,
// waits), compute (long jobs; on xe also userptrs) and idle apps run on their device while
// the subtest unbinds and rebinds it. When the device goes away under an app it closes its
// file and opens the next incarnation at a later operation; an operation that finds no
// bound driver is skipped. IGT's with-load subtests start a spinner on the hot file itself;
// here the load has files of its own.
//
// # Sources read (with the search tool)
//
// igt-gpu-tools tests/core_hotunplug.c: the subtests' bodies, driver_unbind / driver_bind /
// device_unplug / bus_rescan, healthcheck / node_healthcheck / local_i915_healthcheck
// (execbuf of MI_BATCH_BUFFER_END, sync_fence_wait, sync_fence_status == 1), pre_check,
// recover (the second health check after a late close) and post_healthcheck.
//
// # Simplified
//
//   - One health check per checkpoint, not one per node (IGT checks the primary and the
//     render node); no sysfs/debugfs/perf checks; the fixture's opens of both nodes before
//     the subtest are left out (pre_check covers the open).
//   - IGT's audio-driver unload before unbind/remove is left out (no snd_hda on these GPUs).
//   - Step timeouts are the engine's: deadlock detection and the 120 s hang bound.
//
// # What the driver APIs lacked (worked around here)
//
//   - amdgpu.GPU.Rescan is pci_rescan_bus, which in model/pci does not find a device removed
//     through sysfs again; the unplug subtests use GPU.Replug for their rescan on amdgpu
//     (xe.Platform.Rescan does this itself).
//   - amdgpu.GPU.HealthCheck waits through the AMDGPU_WAIT_CS ioctl without a bound and xe's
//     Driver.HealthCheck has its own bound and error; both are replaced by one health check
//     over Open and SubmitNoop, with a bounded dma_fence wait (as IGT's sync_fence_wait).
package igt
