package hda

import "hotplugsim/model/drivers/policy"

// Policy names: what RescanPrepare and RescanDone do (see the package doc).
const (
	StopChip   = "stop-chip"
	IoctlRWSem = "ioctl-rwsem"
	WaitClose  = "wait-close"
	Quiesce    = "quiesce"
	// QuiescePCMRef is quiesce with the ALSA core holding the power reference across every
	// PCM ioctl and release (snd_power_ref_and_wait ... snd_power_unref, as control ioctls
	// do), where mainline's snd_power_wait drops it before the ioctl runs.
	QuiescePCMRef = "quiesce-pcm-ref"
)

// Policy is one design of the BAR move: its name, a one-line doc and its switches. With none
// set (stop-chip), prepare only stops the chip, disables the interrupt and iounmaps.
type Policy struct {
	Name string
	Doc  string // one line
	// RWSem: PCM and control ioctls hold the read side of a BAR-move rwsem, which prepare
	// takes for write and done releases.
	RWSem bool
	// WaitClose: prepare locks the devices (new opens fail), waits until every open file is
	// closed and cancels the unsolicited-event work; done unlocks them.
	WaitClose bool
	// Quiesce: the suspend-like design. Prepare puts the card in D3hot, drains the power
	// references, suspends the streams, stops the chip, syncs the irq and cancels the work;
	// done resumes. File operations take a power reference first, and the unsolicited-event
	// work handles an event only under one taken while the card is in D0.
	Quiesce bool
	// PCMRef: PCM ioctls and release keep their power reference until they return (as
	// control ioctls do) rather than dropping it at once.
	PCMRef bool
}

// Decl returns the policy's name and doc.
func (pol Policy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// Policies lists every policy, the buggy ones first.
var Policies = []Policy{
	{Name: StopChip,
		Doc: "prepare only stops the chip and iounmaps; the unsolicited-event work still sends verbs"},
	{Name: IoctlRWSem, RWSem: true,
		Doc: "stop-chip plus a rwsem read-locked in PCM/control ioctls; the work item takes no lock"},
	{Name: WaitClose, WaitClose: true,
		Doc: "prepare waits until every open file is closed; an idle app never closes"},
	{Name: Quiesce, Quiesce: true,
		Doc: "suspend-like: D3hot gate, drain power refs, suspend streams, stop chip, sync irq, cancel work, unmap; PCM ioctls drop the power ref at once (snd_power_wait), so one that passed it runs on into the move"},
	{Name: QuiescePCMRef, Quiesce: true, PCMRef: true,
		Doc: "quiesce with the ALSA core holding the power ref across every PCM ioctl and release (snd_power_ref_and_wait ... snd_power_unref, as control ioctls do)"},
}

// ParsePolicy returns the policy named name.
func ParsePolicy(name string) (Policy, error) { return policy.Parse("hda", Policies, name) }

// Patch-loader policy names: what azx_remove does about a patch load (Config.Patch) whose
// callback has not run yet (see patch.go).
const (
	// NoFWWait is mainline: azx_remove cancels probe_work only and frees the card.
	NoFWWait = "no-fw-wait"
	// WaitFWCbLocked: azx_remove waits for the firmware callback while it holds the
	// device_lock, which the callback's codec probe needs.
	WaitFWCbLocked = "wait-fw-cb-locked"
	// WaitFWCb: azx_remove waits for the firmware callback to return before freeing, with the
	// device_lock dropped around the wait as around its cancel_delayed_work_sync.
	WaitFWCb = "wait-fw-cb"
	// DefaultPatchPolicy is the policy of a Config that names none.
	DefaultPatchPolicy = WaitFWCb
)

// PatchPolicy is one design of azx_remove against a pending request_firmware_nowait.
type PatchPolicy struct {
	Name string
	Doc  string // one line
	// WaitFW: remove waits for a completion azx_firmware_cb completes as it returns, before
	// snd_card_free.
	WaitFW bool
	// UnlockForWait: the wait runs between device_unlock and device_lock, as azx_remove's
	// cancel_delayed_work_sync does (the FIXME there: a codec probe takes the controller's
	// device_lock).
	UnlockForWait bool
}

// Decl returns the policy's name and doc.
func (pol PatchPolicy) Decl() policy.Decl { return policy.Decl{Name: pol.Name, Doc: pol.Doc} }

// PatchPolicies lists every patch-loader policy, the buggy one first.
var PatchPolicies = []PatchPolicy{
	{Name: NoFWWait,
		Doc: "mainline: azx_remove cancels probe_work only and snd_card_free()s the card while the patch load is pending; azx_firmware_cb then reads the freed card"},
	{Name: WaitFWCbLocked, WaitFW: true,
		Doc: "azx_remove waits for azx_firmware_cb under the device_lock, which the callback's codec probe takes as the controller's (need_parent_lock)"},
	{Name: WaitFWCb, WaitFW: true, UnlockForWait: true,
		Doc: "azx_remove drops the device_lock, waits for a completion azx_firmware_cb completes as it returns (what mainline lacks), retakes the lock, then frees the card"},
}

// ParsePatchPolicy returns the patch-loader policy named name.
func ParsePatchPolicy(name string) (PatchPolicy, error) {
	return policy.Parse("hda patch", PatchPolicies, name)
}
