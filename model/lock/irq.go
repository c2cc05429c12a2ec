package lock

import (
	"hotplugsim/des"
	"hotplugsim/model/splat"
)

// Hard-irq usage bits of a class (lockdep_states.h, HARDIRQ only).
const (
	usedIn      = iota // IN-HARDIRQ-W: taken for write in hard-irq context
	usedInRead         // IN-HARDIRQ-R
	enabled            // HARDIRQ-ON-W: taken for write with hard irqs enabled
	enabledRead        // HARDIRQ-ON-R
	nUsage
)

var usageStr = [nUsage]string{"IN-HARDIRQ-W", "IN-HARDIRQ-R", "HARDIRQ-ON-W", "HARDIRQ-ON-R"}

const (
	maskSafe   = 1<<usedIn | 1<<usedInRead
	maskUnsafe = 1<<enabled | 1<<enabledRead
)

// exclusive is exclusive_bit() plus the read-in-write check of mark_lock_irq: the usage
// bits that conflict with bit. Two reads never conflict.
func exclusive(bit int) uint8 {
	switch bit {
	case usedIn:
		return maskUnsafe
	case usedInRead:
		return 1 << enabled
	case enabled:
		return maskSafe
	}
	return 1 << usedIn
}

// markUsage is mark_usage: a non-trylock acquisition in hard-irq context makes the class
// HARDIRQ-safe; one with hard irqs enabled makes it HARDIRQ-unsafe (lock_sync excepted).
func (g *graph) markUsage(p *des.Proc, t *task, h *held, fl acqFlags) {
	hardirq := p.Kind() == des.IRQ
	if hardirq && !h.trylock {
		g.markLock(p, t, h, pick(h.read != readNone, usedInRead, usedIn))
	}
	if !hardirq && t.irqOff == 0 && fl&flSync == 0 {
		g.markLock(p, t, h, pick(h.read != readNone, enabledRead, enabled))
	}
}

// markHeldLocks is mark_held_locks(LOCK_ENABLED_HARDIRQ) from trace_hardirqs_on: the locks
// still held when hard irqs come back on are now held with irqs enabled.
func (g *graph) markHeldLocks(p *des.Proc, t *task) {
	for i := range t.held {
		if h := &t.held[i]; !h.nocheck {
			g.markLock(p, t, h, pick(h.read != readNone, enabledRead, enabled))
		}
	}
}

func pick(cond bool, a, b int) int {
	if cond {
		return a
	}
	return b
}

// markLock is mark_lock_irq: a new usage bit must not conflict with the class's own usage
// ("inconsistent lock state") nor with classes it depends on or that depend on it
// ("possible irq lock inversion dependency").
//
// A usage bit once set stays for the run, so nearly every call returns at the first test,
// which is kept small enough to inline.
func (g *graph) markLock(p *des.Proc, t *task, h *held, bit int) {
	if h.cls.usage&(1<<bit) == 0 {
		g.markNewUsage(p, t, h, bit)
	}
}

// markNewUsage is markLock for a usage bit the class does not have yet.
func (g *graph) markNewUsage(p *des.Proc, t *task, h *held, bit int) {
	c := h.cls
	if conflict := c.usage & exclusive(bit); conflict != 0 {
		old := lowestBit(conflict)
		g.report(p, "inconsistent:"+c.name, c.label, splat.UsageBug(splat.UsageReport{
			Old: usageStr[old], New: usageStr[bit], Task: taskName(p), Context: p.Kind().String(),
			Lock:    splat.Lock{Class: c.name, State: readStr(h.read), Site: h.site.String()},
			OldSite: c.first[old].String(), HeldLocks: heldLocks(p, t),
		}))
		return
	}
	c.usage |= 1 << bit
	c.first[bit] = h.site
	if bit == usedIn || bit == usedInRead {
		// check_usage_forwards: any HARDIRQ-ON-W/R class along a strong path from c.
		if u := g.findUsage(c, h.read == readRecursive, false, maskUnsafe); u != nil {
			g.reportInversion(p, t, h, u, true)
		}
		return
	}
	// check_usage_backwards: any IN-HARDIRQ-W/R class along a strong path to c.
	if s := g.findUsage(c, h.read != readNone, true, maskSafe); s != nil {
		g.reportInversion(p, t, h, s, false)
	}
}

func lowestBit(m uint8) int {
	for bit := 0; bit < nUsage; bit++ {
		if m&(1<<bit) != 0 {
			return bit
		}
	}
	return 0
}

// findUsage is find_usage_forwards (or, if back, find_usage_backwards): a strong-path
// search from root (see findPath) along locks_after (locks_before) for the first class whose
// usage, as usage_match reads it, intersects mask. xr is the root's only_xr: bfs_init_root
// sets it when the root is a recursive read, bfs_init_rootb when it is any read.
func (g *graph) findUsage(root *class, xr, back bool, mask uint8) *class {
	seen := g.seenScratch()
	queue := append(g.bfsQueue[:0], bfsNode{cls: root, xr: xr, parent: -1})
	seen[root.id] = xrBit(xr)
	var found *class
	for i := 0; i < len(queue) && found == nil; i++ { // each (class, xr) enters at most once
		n := queue[i]
		if usageMatch(n.cls, n.xr, mask) {
			found = n.cls
			break
		}
		edges := n.cls.after
		if back {
			edges = n.cls.before
		}
		for _, e := range edges {
			to, nxr, ok := strongStep(e, n.xr, back)
			if !ok || seen[to.id]&(1|xrBit(nxr)) != 0 {
				continue
			}
			seen[to.id] |= xrBit(nxr)
			queue = append(queue, bfsNode{cls: to, xr: nxr, parent: i, via: e})
		}
	}
	g.bfsSeen, g.bfsQueue = seen, queue[:0]
	return found
}

// usageMatch is usage_match (and usage_accumulate): a class reached only through
// -(*R)-> edges (backwards: only as a shared holder) counts with its write usage only.
func usageMatch(c *class, xr bool, mask uint8) bool {
	u := c.usage
	if xr {
		u &= 1<<usedIn | 1<<enabled
	}
	return u&mask != 0
}

// reportInversion is print_irq_inversion_bug: h's class just became HARDIRQ-safe and took
// the HARDIRQ-unsafe other in the past (forwards), or became HARDIRQ-unsafe and was taken by
// the HARDIRQ-safe other.
func (g *graph) reportInversion(p *des.Proc, t *task, h *held, other *class, forwards bool) {
	c := h.cls
	g.report(p, "inversion:"+c.name+":"+other.name, c.label, splat.IRQInversionBug(splat.InversionReport{
		Task: taskName(p), Forwards: forwards, HeldLocks: heldLocks(p, t),
		Lock:  splat.Lock{Class: c.name, State: usageList(c), Site: h.site.String()},
		Other: splat.Lock{Class: other.name, State: usageList(other)},
	}))
}

// checkIRQUsage is check_irq_usage: the new prev -> next must not connect a HARDIRQ-safe
// class (one with a strong path to prev) to a HARDIRQ-unsafe one (one on a strong path from
// next). With hard irqs the only state, exclusive_mask of any IN-HARDIRQ usage is both
// HARDIRQ-ON bits, and original_mask of any HARDIRQ-ON usage both IN-HARDIRQ bits.
func (g *graph) checkIRQUsage(p *des.Proc, t *task, prev, next *held) bool {
	safe := g.findUsage(prev.cls, prev.read != readNone, true, maskSafe)
	if safe == nil {
		return true
	}
	unsafe := g.findUsage(next.cls, next.read == readRecursive, false, maskUnsafe)
	if unsafe == nil {
		return true
	}
	g.reportBadIRQ(p, t, prev, next, safe, unsafe)
	return false
}

// reportBadIRQ is print_bad_irq_dependency.
func (g *graph) reportBadIRQ(p *des.Proc, t *task, prev, next *held, safe, unsafe *class) {
	g.report(p, "irq-order:"+safe.name+"->"+unsafe.name, next.cls.label, splat.BadIRQDependency(splat.BadIRQReport{
		Task: taskName(p),
		Want: splat.Lock{Class: next.cls.name, State: readStr(next.read), Site: next.site.String()},
		Held: splat.Lock{Class: prev.cls.name, State: readStr(prev.read)},
		Safe: splat.Lock{Class: safe.name, State: usageList(safe),
			Site: safe.first[lowestBit(safe.usage&maskSafe)].String()},
		Unsafe: splat.Lock{Class: unsafe.name, State: usageList(unsafe),
			Site: unsafe.first[lowestBit(unsafe.usage&maskUnsafe)].String()},
		HeldLocks: heldLocks(p, t),
	}))
}

func usageList(c *class) string {
	s := ""
	for bit := 0; bit < nUsage; bit++ {
		if c.usage&(1<<bit) != 0 {
			if s != "" {
				s += ","
			}
			s += usageStr[bit]
		}
	}
	return s
}
