package splat

import (
	"fmt"
	"hash/fnv"
	"strings"
)

// Rule is the line KASAN and the oops print around their reports.
const Rule = "=================================================================="

// Site is where something happened: the task (name and pid), the model call chain, innermost
// first, the virtual time and the trace event.
type Site struct {
	Task  string
	PID   int
	Chain []string
	At    fmt.Stringer // virtual time
	Seq   uint64       // trace # (0: none to cite, the report's own event)
}

func (s Site) task() string { return fmt.Sprintf("%s/%d", s.Task, s.PID) }

// write prints the site's call chain and where in the run it is, indented as a stack.
func (s Site) write(b *strings.Builder) {
	for _, fn := range s.Chain {
		fmt.Fprintf(b, " %s\n", fn)
	}
	switch {
	case s.At != nil && s.Seq != 0:
		fmt.Fprintf(b, " at %v (trace #%d)\n", s.At, s.Seq)
	case s.At != nil:
		fmt.Fprintf(b, " at %v\n", s.At)
	}
}

// SlabAddr is the synthetic, deterministic direct-map address of the object named name.
func SlabAddr(name string) uint64 {
	h := fnv.New32a()
	h.Write([]byte(name))
	return 0xffff888100000000 | uint64(h.Sum32()&^0x7)
}

// Access is one memory access.
type Access struct {
	Write bool
	Size  int
	Addr  uint64
	Where string // what the address is, e.g. "BAR5+0x100" ("" if nothing to say)
}

func (a Access) line(task string) string {
	rw := "Read"
	if a.Write {
		rw = "Write"
	}
	where := ""
	if a.Where != "" {
		where = " (" + a.Where + ")"
	}
	return fmt.Sprintf("%s of size %d at addr %016x%s by task %s\n", rw, a.Size, a.Addr, where, task)
}

// KASANReport is one KASAN report: a use of a freed object, or a second free (DoubleFree, where
// Use is the second free and Access is not printed).
type KASANReport struct {
	DoubleFree  bool
	Func        string // the function that made the bad access (or the second free)
	Object      string // the object's name
	Access      Access
	Alloc, Free Site
	Use         Site
	// Aux is where the free was queued, KASAN's "Last potentially related work creation"
	// (kasan_record_aux_stack in call_rcu and kvfree_call_rcu); nil: none.
	Aux *Site
}

// KASAN prints print_report: the title with the bug type and the function, the access, the
// allocating and freeing tasks, and the object the address belongs to.
func KASAN(r KASANReport) string {
	var b strings.Builder
	if r.DoubleFree {
		fmt.Fprintf(&b, "BUG: KASAN: double-free in %s\n", r.Func)
		fmt.Fprintf(&b, "Free of addr %016x by task %s\n", r.Access.Addr, r.Use.task())
	} else {
		fmt.Fprintf(&b, "BUG: KASAN: slab-use-after-free in %s\n", r.Func)
		b.WriteString(r.Access.line(r.Use.task()))
	}
	b.WriteString(Rule + "\n")
	r.Use.write(&b)
	fmt.Fprintf(&b, "\nAllocated by task %d (%s):\n", r.Alloc.PID, r.Alloc.Task)
	r.Alloc.write(&b)
	fmt.Fprintf(&b, "\nFreed by task %d (%s):\n", r.Free.PID, r.Free.Task)
	r.Free.write(&b)
	if r.Aux != nil {
		fmt.Fprintf(&b, "\nLast potentially related work creation by task %d (%s):\n", r.Aux.PID, r.Aux.Task)
		r.Aux.write(&b)
	}
	fmt.Fprintf(&b, "\nThe buggy address belongs to the object at %016x\n which belongs to %s\n",
		r.Access.Addr&^0x7, r.Object)
	b.WriteString(Rule)
	return b.String()
}

// MightSleepReport is a sleeping call in atomic context.
type MightSleepReport struct {
	File    string // the kernel file of the sleeping call, e.g. "kernel/locking/mutex.c"
	What    string // the call and what it sleeps on, e.g. "mutex_lock(&dev->lock)"
	Task    string
	PID     int
	Context string       // the process's context: task, irq, timer, worker
	Depth   int          // atomic sections entered (preempt_count beyond the context's own)
	Held    string       // the locks held, as lockdep prints them ("" if not known)
	At      fmt.Stringer // the call is the violation's own event, so no trace # is cited
}

// MightSleep prints __might_resched's report.
func MightSleep(r MightSleepReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BUG: sleeping function called from invalid context at %s\n", r.File)
	irq := 0
	if r.Context == "irq" || r.Context == "timer" {
		irq = 1
	}
	fmt.Fprintf(&b, "in_atomic(): 1, irqs_disabled(): %d, non_block: 0, pid: %d, name: %s\n", irq, r.PID, r.Task)
	fmt.Fprintf(&b, "preempt_count: %x, expected: 0\n", r.Depth+irq)
	fmt.Fprintf(&b, "context: %s, atomic depth %d\n", r.Context, r.Depth)
	fmt.Fprintf(&b, "call: %s\n", r.What)
	if r.At != nil {
		fmt.Fprintf(&b, " at %v\n", r.At)
	}
	b.WriteString(strings.TrimRight(r.Held, "\n"))
	return strings.TrimRight(b.String(), "\n")
}

// WARN prints __warn: "WARNING: CPU: 0 PID: N at FILE FUNC" becomes a title without the pid,
// then the task and the message.
func WARN(file, fn, msg string, s Site) string {
	var b strings.Builder
	fmt.Fprintf(&b, "WARNING: at %s %s\n", file, fn)
	fmt.Fprintf(&b, "CPU: 0 PID: %d Comm: %s\n", s.PID, s.Task)
	b.WriteString(msg + "\n")
	s.write(&b)
	return strings.TrimRight(b.String(), "\n")
}

// PageFaultOops prints page_fault_oops and show_fault_oops for a kernel access to an address
// with no mapping (an MMIO access after iounmap). unmap is where the mapping was torn down.
func PageFaultOops(a Access, use, unmap Site) string {
	var b strings.Builder
	b.WriteString("BUG: unable to handle page fault for address\n")
	fmt.Fprintf(&b, "address: %016x\n", a.Addr)
	rw := "read"
	code := 0
	if a.Write {
		rw, code = "write", 2
	}
	fmt.Fprintf(&b, "#PF: supervisor %s access in kernel mode\n", rw)
	fmt.Fprintf(&b, "#PF: error_code(0x%04x) - not-present page\n", code)
	b.WriteString(a.line(use.task()))
	use.write(&b)
	fmt.Fprintf(&b, "\nUnmapped by task %d (%s):\n", unmap.PID, unmap.Task)
	unmap.write(&b)
	fmt.Fprintf(&b, "Oops: %04x [#1] PREEMPT SMP", code)
	return b.String()
}

// IORemapAddr is the synthetic, deterministic vmalloc-area address ioremap returns for the
// physical address phys.
func IORemapAddr(phys uint64) uint64 { return 0xffffc90000000000 + phys&0xffffffffff }

// BadPageMapReport is a user access through a page-table entry that outlived what it maps.
type BadPageMapReport struct {
	Comm   string // the process's name
	PTE    uint64 // pte_val, synthetic: the pfn and _PAGE_PRESENT|RW|USER|ACCESSED|DIRTY
	Addr   uint64 // the user address
	Access Access
	Mapped string // what the PTE maps, and why that is gone
	Use    Site
	Set    Site // who set the PTE
}

// BadPageMap prints print_bad_pte's report (mm/memory.c) for a stale PTE, which the kernel
// meets only at zap time; the model reports it at the access, with who set the PTE.
func BadPageMap(r BadPageMapReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "BUG: Bad page map in process %s\n", r.Comm)
	fmt.Fprintf(&b, "pte:%016x pmd:%016x\n", r.PTE, uint64(0x67)|(r.PTE>>21)<<21)
	fmt.Fprintf(&b, "addr:%016x vm_flags:%08x %s\n", r.Addr, 0x040fb, r.Mapped)
	b.WriteString(r.Access.line(r.Use.task()))
	r.Use.write(&b)
	fmt.Fprintf(&b, "\nPTE set by task %d (%s), never zapped:\n", r.Set.PID, r.Set.Task)
	r.Set.write(&b)
	return strings.TrimRight(b.String(), "\n")
}

// PTEVal is the synthetic pte_val of a present, writable user entry for the physical address
// phys.
func PTEVal(phys uint64) uint64 { return phys&^0xfff | 0x8000000000000067 }

// BUG prints BUG_ON's report (include/asm-generic/bug.h, arch/x86 handle_bug and die): the
// title without the line number, then the oops line, the task, the function as RIP and msg,
// what the model saw.
func BUG(file, fn, msg string, s Site) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kernel BUG at %s!\n", file)
	b.WriteString("Oops: invalid opcode: 0000 [#1] PREEMPT SMP\n")
	fmt.Fprintf(&b, "CPU: 0 PID: %d Comm: %s\n", s.PID, s.Task)
	fmt.Fprintf(&b, "RIP: %s\n", fn)
	b.WriteString(msg + "\n")
	s.write(&b)
	return strings.TrimRight(b.String(), "\n")
}
