package splat

import (
	"fmt"
	"strings"
)

// LeakObject is one object kmemleak found unreferenced: its name and address, its size, who
// allocated it (Alloc's chain is the backtrace) and what the model knows of its state.
type LeakObject struct {
	Object  string // the object's name
	Addr    uint64
	Size    int
	Alloc   Site
	Jiffies uint64 // when it was allocated (Jiffies)
	State   string // one line, e.g. "dma_fence context 7 seqno 3, signalled, refcount 2"
}

// initialJiffies is INITIAL_JIFFIES on a 64-bit kernel with HZ=1000: jiffies at boot.
const initialJiffies = 4294667296

// Jiffies is the jiffies value (HZ=1000) ns nanoseconds after boot.
func Jiffies(ns int64) uint64 { return initialJiffies + uint64(ns/1_000_000) }

// maxLeakObjects bounds the objects one report prints; the count line says how many there were.
const maxLeakObjects = 8

// Kmemleak prints what a kmemleak scan logs, "kmemleak: N new suspected memory leaks", then
// print_unreferenced (mm/kmemleak.c) of each object as /sys/kernel/debug/kmemleak shows it:
// address and size, the allocating task and its jiffies, and the allocation backtrace. The
// hex dump is left out; the model's State line follows the backtrace instead.
func Kmemleak(objs []LeakObject) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kmemleak: %d new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n", len(objs))
	for i, o := range objs {
		if i == maxLeakObjects {
			fmt.Fprintf(&b, "... %d more unreferenced objects\n", len(objs)-i)
			break
		}
		fmt.Fprintf(&b, "unreferenced object 0x%016x (size %d):\n", o.Addr, o.Size)
		fmt.Fprintf(&b, "  comm \"%s\", pid %d, jiffies %d\n", o.Alloc.Task, o.Alloc.PID, o.Jiffies)
		b.WriteString("  backtrace:\n")
		for _, fn := range o.Alloc.Chain {
			fmt.Fprintf(&b, "    %s\n", fn)
		}
		if o.Alloc.Seq != 0 {
			fmt.Fprintf(&b, "    at %v (trace #%d)\n", o.Alloc.At, o.Alloc.Seq)
		}
		fmt.Fprintf(&b, "  %s: %s\n", o.Object, o.State)
	}
	return strings.TrimRight(b.String(), "\n")
}
