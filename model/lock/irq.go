package lock

import (
	"fmt"

	"hotplugsim/des"
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

// exclusiveMask is the union of exclusive(bit) over the bits set in usage.
func exclusiveMask(usage uint8) uint8 {
	var m uint8
	for bit := 0; bit < nUsage; bit++ {
		if usage&(1<<bit) != 0 {
			m |= exclusive(bit)
		}
	}
	return m
}

// markUsage is mark_usage: a non-trylock acquisition in hard-irq context makes the class
// HARDIRQ-safe; one with hard irqs enabled makes it HARDIRQ-unsafe (lock_sync excepted).
func (g *graph) markUsage(p *des.Proc, t *task, h held, fl acqFlags) {
	hardirq := p.Kind() == des.IRQ
	if hardirq && !h.trylock {
		g.markLock(p, t, h, pick(h.read != readNone, usedInRead, usedIn))
	}
	if !hardirq && t.irqOff == 0 && fl&flSync == 0 {
		g.markLock(p, t, h, pick(h.read != readNone, enabledRead, enabled))
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
func (g *graph) markLock(p *des.Proc, t *task, h held, bit int) {
	c := h.cls
	if c.usage&(1<<bit) != 0 {
		return
	}
	if conflict := c.usage & exclusive(bit); conflict != 0 {
		old := lowestBit(conflict)
		g.report(p, "inconsistent:"+c.name, c.label, fmt.Sprintf(
			"WARNING: inconsistent lock state\ninconsistent {%s} -> {%s} usage.\n"+
				"%v [%s] takes:\n (%s){%s}, at: %s\n{%s} state was registered at:\n  %s\n"+
				"\n Possible unsafe locking scenario:\n\n       CPU0\n       ----\n  lock(%s);\n"+
				"  <Interrupt>\n    lock(%s);\n\n *** DEADLOCK ***\n\n%s",
			usageStr[old], usageStr[bit], p, p.Kind(), c.name, readStr(h.read), h.site,
			usageStr[old], c.first[old], c.name, c.name, heldLocks(p, t)))
		return
	}
	c.usage |= 1 << bit
	c.first[bit] = h.site
	if bit == usedIn || bit == usedInRead {
		if u := g.firstReachable(c, exclusive(bit)); u != nil {
			g.reportInversion(p, t, c, u, "took another, HARDIRQ-unsafe lock in the past")
		}
		return
	}
	if s := g.firstReaching(c, exclusive(bit)); s != nil {
		g.reportInversion(p, t, c, s, "was taken by another, HARDIRQ-safe lock in the past")
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

// reachable returns, by class id, the classes reachable from c (c included).
func (g *graph) reachable(c *class) []bool {
	seen := make([]bool, len(g.classes))
	seen[c.id] = true
	queue := []*class{c}
	for i := 0; i < len(queue); i++ { // each class enters once
		for _, e := range queue[i].after {
			if !seen[e.to.id] {
				seen[e.to.id] = true
				queue = append(queue, e.to)
			}
		}
	}
	return seen
}

// reaches reports whether target is reachable from c (c included): reachable(c)[target.id]
// without allocating, stopping at the first hit. The irq checks ask it once per class.
func (g *graph) reaches(c, target *class) bool {
	if c == target {
		return true
	}
	seen := g.reachSeen[:0]
	for range g.classes {
		seen = append(seen, false)
	}
	seen[c.id] = true
	queue := append(g.reachQueue[:0], c)
	found := false
	for i := 0; i < len(queue) && !found; i++ { // each class enters once
		for _, e := range queue[i].after {
			if e.to == target {
				found = true
				break
			}
			if !seen[e.to.id] {
				seen[e.to.id] = true
				queue = append(queue, e.to)
			}
		}
	}
	g.reachSeen, g.reachQueue = seen, queue[:0]
	return found
}

// firstReachable is find_usage_forwards: the first class (by id) reachable from c whose
// usage intersects mask.
func (g *graph) firstReachable(c *class, mask uint8) *class {
	seen := g.reachable(c)
	for _, x := range g.classes {
		if seen[x.id] && x.usage&mask != 0 {
			return x
		}
	}
	return nil
}

// firstReaching is find_usage_backwards: the first class (by id) that reaches c and whose
// usage intersects mask.
func (g *graph) firstReaching(c *class, mask uint8) *class {
	for _, x := range g.classes {
		if x.usage&mask != 0 && g.reaches(x, c) {
			return x
		}
	}
	return nil
}

// reportInversion is print_irq_inversion_bug.
func (g *graph) reportInversion(p *des.Proc, t *task, c, other *class, what string) {
	g.report(p, "inversion:"+c.name+":"+other.name, c.label, fmt.Sprintf(
		"WARNING: possible irq lock inversion dependency detected\n"+
			"%v just changed the state of lock:\n (%s){%s}\nbut this lock %s:\n (%s){%s}\n\n%s",
		p, c.name, usageList(c), what, other.name, usageList(other), heldLocks(p, t)))
}

// checkIRQUsage is check_irq_usage: the new prev -> next must not connect a HARDIRQ-safe
// class (one reaching prev) to a HARDIRQ-unsafe one (one reachable from next).
func (g *graph) checkIRQUsage(p *des.Proc, t *task, prev, next held) bool {
	fwd := g.reachable(next.cls)
	for _, s := range g.classes {
		if s.usage&maskSafe == 0 || !g.reaches(s, prev.cls) {
			continue
		}
		mask := exclusiveMask(s.usage & maskSafe)
		for _, u := range g.classes {
			if fwd[u.id] && u.usage&mask != 0 {
				g.reportBadIRQ(p, t, prev, next, s, u)
				return false
			}
		}
	}
	return true
}

// reportBadIRQ is print_bad_irq_dependency.
func (g *graph) reportBadIRQ(p *des.Proc, t *task, prev, next held, safe, unsafe *class) {
	g.report(p, "irq-order:"+safe.name+"->"+unsafe.name, next.cls.label, fmt.Sprintf(
		"WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected\n"+
			"%v is trying to acquire:\n (%s){%s}, at: %s\n\nand this task is already holding:\n (%s){%s}\n"+
			"which would create a new lock dependency:\n (%s) -> (%s)\n\n"+
			"but this new dependency connects a HARDIRQ-irq-safe lock:\n (%s){%s}\n"+
			"... which became HARDIRQ-irq-safe at:\n  %s\n\nto a HARDIRQ-irq-unsafe lock:\n (%s){%s}\n"+
			"... which became HARDIRQ-irq-unsafe at:\n  %s\n\n"+
			" Possible interrupt unsafe locking scenario:\n\n"+
			"       CPU0                    CPU1\n       ----                    ----\n"+
			"  lock(%s);\n                               local_irq_disable();\n"+
			"                               lock(%s);\n                               lock(%s);\n"+
			"  <Interrupt>\n    lock(%s);\n\n *** DEADLOCK ***\n\n%s",
		p, next.cls.name, readStr(next.read), next.site, prev.cls.name, readStr(prev.read),
		prev.cls.name, next.cls.name,
		safe.name, usageList(safe), safe.first[lowestBit(safe.usage&maskSafe)],
		unsafe.name, usageList(unsafe), unsafe.first[lowestBit(unsafe.usage&maskUnsafe)],
		unsafe.name, safe.name, unsafe.name, safe.name, heldLocks(p, t)))
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
