// Package causal cuts a run's event stream down to the part that explains a violation (its
// causal slice) and prints it the way desrun shows it: one line per event with its trace seq,
// labelled arguments, the events the violation references marked, and what was left out said.
//
// It depends on des only, so that both workloads (Outcome.CausalSlice) and reports (the slice
// swimlane and slice.txt) use the one definition.
package causal

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"hotplugsim/des"
)

// DefaultMax is how many events a slice shows when Options.Max is 0.
const DefaultMax = 60

// Options bound a causal slice.
type Options struct {
	// Max is how many events are shown; 0 means DefaultMax, <0 no bound. The events the
	// violation references are always shown, even past Max.
	Max int
	// Objects is how many distinct objects the violating process touched last are followed;
	// 0 means 8.
	Objects int
	// All keeps the engine's bookkeeping (sleep, busy, preempt, spawn, ...) and empty
	// lock/unlock pairs, which are hidden by default.
	All bool
}

// Slice is the causal slice of one violation.
type Slice struct {
	// Events are the events shown, in stream order.
	Events []des.Event
	// Ref[i] is true when Events[i] is one the violation references: its own event, a
	// "(trace #N)" its message cites (lockdep's lock chain, KASAN's sites), the last
	// alloc/free/ioremap/iounmap/... of an object its message names or of the object of a
	// cited event, or such a lifetime event among Violation.Related.
	Ref []bool
	// Gap[i] is how many slice events were left out (by Max) just before Events[i]; Tail is
	// always 0 (nothing after the violation is in a slice).
	Gap []int
	// Omitted is how many slice events Max left out in all; Hidden how many engine-internal
	// events the default filter dropped (0 with All).
	Omitted, Hidden int
	// Missing are the trace seqs the message cites that the stream no longer holds (a ring
	// that wrapped).
	Missing []uint64
}

// engineObj is the object of the engine's own events (sleep, busy, preempt).
const engineObj = "des"

// Compute returns the causal slice of v in events (a run's stream or the tail a ring kept):
//
//   - every event of the violating process up to the violation;
//   - every event, by any process, on the objects the violating process touched last before
//     it (its last opt.Objects distinct objects, plus the objects of the referenced events);
//   - every referenced event (see Slice.Ref), wherever it is in the stream.
//
// Events after the violation are left out. Unless opt.All, engine bookkeeping and lock/unlock
// pairs with nothing of their process in between are hidden. Of the rest the referenced
// events and the latest others up to opt.Max are shown.
func Compute(events []des.Event, v des.Violation, opt Options) Slice {
	if opt.Objects <= 0 {
		opt.Objects = 8
	}
	if opt.Max == 0 {
		opt.Max = DefaultMax
	}
	end := violationIndex(events, v)
	if end < 0 {
		return Slice{}
	}
	events = events[:end+1]
	noise := make([]bool, len(events))
	if !opt.All {
		noise = Noise(events)
	}
	ref, missing := referenced(events, v, end)

	pid := int32(v.PID)
	objs := map[string]bool{}
	followed := 0
	for i := end; i >= 0 && followed < opt.Objects; i-- {
		e := events[i]
		if e.Proc != pid || e.Kind.String() == "violation" || noise[i] {
			continue
		}
		if o := e.Obj.String(); o != "" && o != engineObj && !objs[o] {
			objs[o] = true
			followed++
		}
	}
	for i := range events {
		if ref[i] {
			if o := events[i].Obj.String(); o != "" && o != engineObj && events[i].Kind.String() != "violation" {
				objs[o] = true
			}
		}
	}

	var s Slice
	var cand []int
	for i, e := range events {
		in := ref[i] || e.Proc == pid || objs[e.Obj.String()]
		if !in {
			continue
		}
		if noise[i] && !ref[i] {
			s.Hidden++
			continue
		}
		cand = append(cand, i)
	}
	keep := make([]bool, len(events))
	budget := opt.Max
	for _, i := range cand {
		if ref[i] {
			keep[i] = true
			budget--
		}
	}
	for k := len(cand) - 1; k >= 0 && (opt.Max < 0 || budget > 0); k-- {
		if i := cand[k]; !keep[i] {
			keep[i] = true
			budget--
		}
	}
	gap := 0
	for _, i := range cand {
		if !keep[i] {
			gap++
			s.Omitted++
			continue
		}
		s.Events = append(s.Events, events[i])
		s.Ref = append(s.Ref, ref[i])
		s.Gap = append(s.Gap, gap)
		gap = 0
	}
	s.Missing = missing
	return s
}

// lifetimeKinds are the events that begin or end an object's life (or its mapping): the
// slice always shows the last of each on an object the violation's message names.
var lifetimeKinds = map[string]bool{
	"alloc": true, "free": true, "ioremap": true, "iounmap": true, "pci_iomap": true,
	"mmap": true, "munmap": true, "zap_pte_range": true, "dma_map": true, "dma_unmap": true,
	"gpu-mem-free": true, "drm_gem_object_free": true, "ttm_bo_unmap_virtual": true,
	"unplugged": true, "hw-unplug": true, "hw-removed": true, "bar-move": true,
	"bar-release": true, "dma_buf_release": true, "drm_dev_release": true,
}

// referenced marks the events v references (see Slice.Ref) and returns the cited seqs the
// stream does not hold.
func referenced(events []des.Event, v des.Violation, end int) ([]bool, []uint64) {
	ref := make([]bool, len(events))
	ref[end] = true
	bySeq := make(map[uint64]int, len(events))
	for i, e := range events {
		bySeq[e.Seq] = i
	}
	for _, r := range v.Related {
		// Another process's alloc/free/unmap of the object: the violating process's own
		// recent events are context, not references.
		if i, ok := bySeq[r.Seq]; ok && events[i] == r && r.Proc != int32(v.PID) && lifetimeKinds[r.Kind.String()] {
			ref[i] = true
		}
	}
	var missing []uint64
	cited := map[string]bool{} // the objects of the cited events
	for _, seq := range CitedSeqs(v.Msg) {
		if i, ok := bySeq[seq]; ok {
			ref[i] = true
			cited[events[i].Obj.String()] = true
		} else if len(events) == 0 || seq < events[0].Seq || seq > events[end].Seq {
			missing = append(missing, seq)
		}
	}
	last := map[[2]string]int{}
	for i, e := range events[:end] {
		k := e.Kind.String()
		if !lifetimeKinds[k] {
			continue
		}
		if o := e.Obj.String(); o != "" && o != engineObj && (cited[o] || names(v.Msg, o)) {
			last[[2]string{k, o}] = i
		}
	}
	for _, i := range last {
		ref[i] = true
	}
	return ref, missing
}

// names reports whether msg mentions obj as a whole name (not as the prefix of a longer
// identifier: "gpu1" is not named by "gpu10").
func names(msg, obj string) bool {
	for from := 0; ; {
		i := strings.Index(msg[from:], obj)
		if i < 0 {
			return false
		}
		i += from
		j := i + len(obj)
		before := i == 0 || !identByte(msg[i-1])
		after := j == len(msg) || !identByte(msg[j])
		if before && after {
			return true
		}
		from = i + 1
	}
}

func identByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// CitedSeqs returns the trace seqs msg cites as "trace #N", in increasing order.
func CitedSeqs(msg string) []uint64 {
	var out []uint64
	for rest := msg; ; {
		i := strings.Index(rest, "trace #")
		if i < 0 {
			break
		}
		rest = rest[i+len("trace #"):]
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if seq, err := strconv.ParseUint(rest[:n], 10, 64); err == nil {
			out = append(out, seq)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// violationIndex is the index of the "violation" event recording v, or of the last event at or
// before v.At when the stream has none (a ring that lost it, a hand-made stream).
func violationIndex(events []des.Event, v des.Violation) int {
	last := -1
	for i, e := range events {
		if e.At > v.At {
			break
		}
		last = i
		if e.Kind.String() == "violation" && e.Proc == int32(v.PID) && e.Obj.String() == string(v.Kind) {
			return i
		}
	}
	return last
}

// engineKinds are the engine's scheduling bookkeeping: hidden from a slice by default.
var engineKinds = map[string]bool{
	"sleep": true, "busy": true, "preempt": true, "defer": true, "spawn": true,
}

// lockPairs maps an acquire kind to its release kind; lockHeld are the events between them
// that only say the lock was taken.
var (
	lockPairs = map[string]string{
		"lock_map_acquire": "lock_map_release", "spin_lock": "spin_unlock",
		"srcu_read_lock": "srcu_read_unlock", "mutex_lock": "mutex_unlock",
		"down_read": "up_read", "down_write": "up_write", "ww_mutex_lock": "ww_mutex_unlock",
	}
	lockHeld = map[string]bool{
		"spin_locked": true, "mutex_locked": true, "rwsem_locked": true, "ww_mutex_locked": true,
	}
)

// Noise marks the events a slice hides by default: the engine's bookkeeping (sleep, busy,
// preempt, defer, spawn, and block/wake/timeout on the engine itself) and every lock
// acquire ... release of one process on one lock with nothing else of that process in
// between (lock_map, spinlock, srcu, mutex, rwsem triplets).
func Noise(events []des.Event) []bool {
	noise := make([]bool, len(events))
	type open struct {
		obj     string
		release string
		idx     []int
		busy    bool
	}
	held := map[int32][]*open{}
	touch := func(p int32) {
		for _, o := range held[p] {
			o.busy = true
		}
	}
	for i, e := range events {
		k, obj := e.Kind.String(), e.Obj.String()
		if engineKinds[k] || obj == engineObj {
			noise[i] = true
			continue
		}
		st := held[e.Proc]
		if rel, ok := lockPairs[k]; ok {
			held[e.Proc] = append(st, &open{obj: obj, release: rel, idx: []int{i}})
			continue
		}
		top := len(st) - 1
		for top >= 0 && st[top].obj != obj {
			top--
		}
		switch {
		case top >= 0 && lockHeld[k]:
			st[top].idx = append(st[top].idx, i)
			continue
		case top >= 0 && st[top].release == k:
			o := st[top]
			held[e.Proc] = append(st[:top:top], st[top+1:]...)
			if o.busy {
				touch(e.Proc)
				continue
			}
			for _, j := range o.idx {
				noise[j] = true
			}
			noise[i] = true
			continue
		}
		touch(e.Proc)
	}
	return noise
}

// Format prints one event as a slice line: seq, time, process, kind, object, arguments.
func Format(e des.Event, proc string) string { return format(e, proc, 16, 16) }

func format(e des.Event, proc string, procW, kindW int) string {
	s := fmt.Sprintf("#%-6d %9v  %-*s %-*s %s", e.Seq, e.At, procW, proc, kindW, e.Kind.String(), e.Obj.String())
	if a := Args(e); a != "" {
		s += "  " + a
	}
	return s
}

// Write prints s as desrun shows it: a line per event (Format, columns sized to the slice),
// "*" before the events the violation references, "... N events omitted" where Max left
// events out, and a note for each cited seq the stream no longer holds. name names a
// process id.
func (s Slice) Write(w io.Writer, name func(int32) string) error {
	procW, kindW := 0, 0
	for _, e := range s.Events {
		procW = max(procW, len(name(e.Proc)))
		kindW = max(kindW, len(e.Kind.String()))
	}
	var b strings.Builder
	for i, e := range s.Events {
		if g := s.Gap[i]; g > 0 {
			fmt.Fprintf(&b, "  ... %d events omitted\n", g)
		}
		mark := " "
		if s.Ref[i] {
			mark = "*"
		}
		fmt.Fprintf(&b, "%s %s\n", mark, format(e, name(e.Proc), procW, kindW))
	}
	for _, seq := range s.Missing {
		fmt.Fprintf(&b, "  (trace #%d is no longer in the kept trace)\n", seq)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// References returns the events v references (see Slice.Ref) other than the violation event
// itself, in stream order: the causes a trace viewer draws arrows from.
func References(events []des.Event, v des.Violation) []des.Event {
	end := violationIndex(events, v)
	if end < 0 {
		return nil
	}
	ref, _ := referenced(events[:end+1], v, end)
	var out []des.Event
	for i, e := range events[:end] {
		if ref[i] {
			out = append(out, e)
		}
	}
	return out
}
