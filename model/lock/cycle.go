package lock

import (
	"slices"
	"sort"
	"strings"

	"hotplugsim/des"
	"hotplugsim/model/splat"
)

// bfsNode is one state of the strong-path search: a class, and whether every way found to
// it so far ends in a recursive-read edge (lock_list.only_xr).
type bfsNode struct {
	cls    *class
	xr     bool
	parent int   // index in the queue, -1 for the root
	via    *edge // the edge from the parent
}

// findPath is check_noncircular: a breadth-first search from next for a strong path to
// prev's class, where no -(*R)-> edge is followed by an -(S*)-> one (a recursive reader
// does not block another reader). xr is whether next itself is a recursive read. The path
// conflicts with the new prev -> next edge unless it ends in -(*R)-> and prev is shared
// (hlock_conflict). It returns the path (root first) or nil.
func (g *graph) findPath(next *class, xr bool, prev *held) []bfsNode {
	// Scratch space reused across searches (the graph is one simulation's, searched by one
	// process at a time): this runs on every new dependency and dominated a run's allocation.
	seen := g.seenScratch() // bit 0: reached with xr false, bit 1: with xr true
	queue := append(g.bfsQueue[:0], bfsNode{cls: next, xr: xr, parent: -1})
	seen[next.id] = xrBit(xr)
	var path []bfsNode
	for i := 0; i < len(queue); i++ { // each (class, xr) enters at most once
		n := queue[i]
		if i > 0 && n.cls == prev.cls && (prev.read == readNone || !n.xr) {
			path = pathTo(queue, i)
			break
		}
		for _, e := range n.cls.after {
			to, nxr, ok := strongStep(e, n.xr, false)
			if !ok || seen[to.id]&(1|xrBit(nxr)) != 0 { // reached without the restriction, or the same way
				continue
			}
			seen[to.id] |= xrBit(nxr)
			queue = append(queue, bfsNode{cls: to, xr: nxr, parent: i, via: e})
		}
	}
	g.bfsSeen, g.bfsQueue = seen, queue[:0]
	return path
}

// strongStep is __bfs's step 2 over e, from a node whose only_xr is xr: forwards, an
// -(*R)-> into the node forbids -(S*)-> out of it; backwards (e seen from its target), a
// node held only as a shared reader forbids edges that took it as a recursive read. It
// returns the class reached, its only_xr, and whether any dependency kind is left.
func strongStep(e *edge, xr, back bool) (*class, bool, bool) {
	dep := e.dep
	if back {
		if xr {
			dep &^= depSR | depER
		}
		return e.from, dep&(depER|depEN) == 0, dep != 0
	}
	if xr {
		dep &^= depSR | depSN
	}
	return e.to, dep&(depSN|depEN) == 0, dep != 0
}

func xrBit(xr bool) uint8 {
	if xr {
		return 2
	}
	return 1
}

func pathTo(queue []bfsNode, i int) []bfsNode {
	var path []bfsNode
	for ; i >= 0; i = queue[i].parent {
		path = append(path, queue[i])
	}
	for l, r := 0, len(path)-1; l < r; l, r = l+1, r-1 {
		path[l], path[r] = path[r], path[l]
	}
	return path
}

// reportCycle prints print_circular_bug: the existing chain next -> ... -> prev, in
// reverse order as lockdep prints it, then the new acquisition that closes it.
func (g *graph) reportCycle(p *des.Proc, t *task, prev, next *held, path []bfsNode) {
	names := make([]string, len(path))
	for i, n := range path {
		names[i] = n.cls.name
	}
	key := append([]string(nil), names...)
	sort.Strings(key)
	r := splat.CircularReport{
		Task:   taskName(p),
		Want:   splat.Lock{Class: next.cls.name, State: readStr(next.read), Site: next.site.String()},
		Held:   splat.Lock{Class: prev.cls.name, State: readStr(prev.read), Site: prev.site.String()},
		Source: next.cls.name, Parent: path[len(path)-2].cls.name, Target: prev.cls.name,
		HeldLocks: heldLocks(p, t),
	}
	for i := len(path) - 1; i >= 1; i-- {
		r.Chain = append(r.Chain, splat.Link{Class: path[i].cls.name, Prev: path[i-1].cls.name, Site: path[i].via.site.String()})
	}
	g.report(p, "cycle:"+strings.Join(key, ","), next.cls.label, splat.CircularBug(r))
}

// seenScratch is a search's visited marks, one zero byte per class, in the graph's scratch.
func (g *graph) seenScratch() []uint8 {
	seen := slices.Grow(g.bfsSeen[:0], len(g.classes))[:len(g.classes)]
	clear(seen)
	return seen
}
