// Package oracle names the violation kinds the kernel model reports (the table of
// oracle kinds in the README). Model packages report them with des.Sim.Violate; scenarios and desrun
// match on these strings, so they never change.
package oracle

import "hotplugsim/des"

// Violation kinds.
const (
	UseAfterUnmap des.ViolationKind = "use-after-unmap" // kernel code touches MMIO through an iounmapped mapping
	StaleMMIO     des.ViolationKind = "stale-mmio"      // an access lands on a range the device no longer owns
	HWAfterRemove des.ViolationKind = "hw-after-remove" // anything but the remove path touches removed hardware; or (opt-in) MMIO to hardware that is gone
	StalePTE      des.ViolationKind = "stale-pte"       // a user access through a PTE to an old BAR address or freed page
	UseAfterFree  des.ViolationKind = "use-after-free"  // a freed object is used
	LockOrder                       = des.KindLockOrder
	Deadlock                        = des.KindDeadlock
	Hang                            = des.KindHang
	Panic                           = des.KindPanic
	// FenceNeverSignalled: a published fence is still unsignalled when the run quiesces.
	FenceNeverSignalled des.ViolationKind = "fence-never-signalled"
	// GPUUseAfterFree: memory freed or reused while an unsignalled fence of a job using it exists.
	GPUUseAfterFree  des.ViolationKind = "gpu-use-after-free"
	Progress         des.ViolationKind = "progress"           // a protocol step does not finish within its bound
	SIGBUS           des.ViolationKind = "sigbus"             // a policy promised apps no SIGBUS
	IoctlAfterUnplug des.ViolationKind = "ioctl-after-unplug" // an ioctl after unplug did not fail with -ENODEV
	// RuntimePMUnderflow: a runtime PM put without its get ("Runtime PM usage count underflow!").
	RuntimePMUnderflow des.ViolationKind = "rpm-underflow"
	// MMIOSuspended: kernel code touches MMIO of a device runtime PM has put in D3hot.
	MMIOSuspended des.ViolationKind = "mmio-suspended"
	// FenceLeak: a fence still referenced at the end of the run although the device that made
	// it and every file on it are torn down (kmemleak's unreferenced object).
	FenceLeak des.ViolationKind = "fence-leak"
)

// Oracle is one violation kind and the line that says what it catches.
type Oracle struct {
	Kind des.ViolationKind
	Doc  string
}

// Table lists every kind with one line each, in a stable order.
var Table = []Oracle{
	{UseAfterUnmap, "kernel code touches MMIO through an iounmapped mapping"},
	{StaleMMIO, "an access lands on a physical range the device no longer owns (its BAR moved)"},
	{HWAfterRemove, "anything but the remove path touches the hardware of a removed device"},
	{StalePTE, "a user CPU access goes through a PTE to an old BAR address or a freed page"},
	{UseAfterFree, "a freed object is used (allocated-by / freed-by / used-by)"},
	{LockOrder, "lockdep: lock-class cycle, irq-safe/unsafe inversion, sleeping in atomic context"},
	{Deadlock, "nothing can run and someone waits (with the wait-for chain)"},
	{Hang, "a wait outlives its bound"},
	{Panic, "a process body panicked"},
	{FenceNeverSignalled, "a published fence is still unsignalled when the run quiesces"},
	{GPUUseAfterFree, "memory freed or reused while an unsignalled fence of a job using it exists"},
	{Progress, "a protocol step (BAR move, unplug) does not finish within its bound"},
	{SIGBUS, "a policy promises apps no SIGBUS and one was delivered"},
	{IoctlAfterUnplug, "an ioctl after unplug did not fail with -ENODEV"},
	{RuntimePMUnderflow, "a runtime PM put without its get: Runtime PM usage count underflow!"},
	{MMIOSuspended, "kernel code touches MMIO of a runtime-suspended device (D3hot: reads ~0, writes lost)"},
	{FenceLeak, "kmemleak: a fence still referenced once its device and every file on it are torn down"},
}
