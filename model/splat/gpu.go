package splat

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// GPUAddr is the synthetic, deterministic GPU virtual address of the memory named name: a
// page in the upper half of a 48-bit GPU VM.
func GPUAddr(name string) uint64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 0x0000800000000000 | uint64(h.Sum32())<<12
}

// GPUVMFaultReport is a GPU job's access to memory the kernel freed, or handed to a new owner,
// while the job had not finished.
type GPUVMFaultReport struct {
	Write  bool
	Addr   uint64 // the GPU virtual address (GPUAddr)
	Job    string // the job's fence
	Object string // the memory
	How    string // what happened to it: "freed", "reused for page tables"
	Late   bool   // the job was submitted after that (else: it was unsignalled then)
	Submit Site   // the job's submission; its task is the process the fault names
	Alloc  Site
	Free   Site // where the memory was freed or reused
}

// GPUVMFault prints the GPU VM fault amdgpu reports from its interrupt handler
// (gmc_v9_0_process_interrupt with amdgpu_vm_print_task_info): the hub and fault line, the
// process that submitted the job, the faulting page and client, the protection fault status
// (MAPPING_ERROR, RW for a write); then what the model knows: the job, the memory, and who
// submitted, allocated and freed it.
func GPUVMFault(r GPUVMFaultReport) string {
	var b strings.Builder
	b.WriteString("[gfxhub] no-retry page fault (src_id:0 ring:0 vmid:1 pasid:32768)\n")
	fmt.Fprintf(&b, " Process %s pid %d thread %s pid %d\n", r.Submit.Task, r.Submit.PID, r.Submit.Task, r.Submit.PID)
	fmt.Fprintf(&b, "  in page starting at address 0x%016x from IH client 0x1b (UTCL2)\n", r.Addr)
	status, rw := 0x100, "Read by" // MAPPING_ERROR
	if r.Write {
		status, rw = status|1<<18, "Write by" // RW
	}
	fmt.Fprintf(&b, "VM_L2_PROTECTION_FAULT_STATUS:0x%08X\n", status)
	when := "while the job was unsignalled"
	if r.Late {
		when = "before the job was submitted"
	}
	fmt.Fprintf(&b, "%s job %s of %s, %s %s\n", rw, r.Job, r.Object, r.How, when)
	fmt.Fprintf(&b, "\nSubmitted by task %d (%s):\n", r.Submit.PID, r.Submit.Task)
	r.Submit.write(&b)
	fmt.Fprintf(&b, "\nAllocated by task %d (%s):\n", r.Alloc.PID, r.Alloc.Task)
	r.Alloc.write(&b)
	verb := "Freed"
	if r.How != "freed" {
		verb = strings.ToUpper(r.How[:1]) + r.How[1:]
	}
	fmt.Fprintf(&b, "\n%s by task %d (%s):\n", verb, r.Free.PID, r.Free.Task)
	r.Free.write(&b)
	return strings.TrimRight(b.String(), "\n")
}

// FatalSignalReport is a fatal signal delivered to a user process.
type FatalSignalReport struct {
	Comm   string // the process's name
	Signal int    // the signal number (7: SIGBUS)
	Code   string // what si_code and si_addr say, e.g. "SIGBUS (BUS_ADRERR) at addr 00007f0000000000"
	Why    string // why the model reports it
	Site   Site
}

// FatalSignal prints print_fatal_signal (kernel/signal.c, with print-fatal-signals=1): the
// process and the signal, then the task as show_regs names it, the signal's code and address,
// and why it is a failure.
func FatalSignal(r FatalSignalReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: potentially unexpected fatal signal %d.\n", r.Comm, r.Signal)
	fmt.Fprintf(&b, "CPU: 0 PID: %d Comm: %s\n", r.Site.PID, r.Site.Task)
	b.WriteString(r.Code + "\n")
	if r.Why != "" {
		b.WriteString(r.Why + "\n")
	}
	r.Site.write(&b)
	return strings.TrimRight(b.String(), "\n")
}
