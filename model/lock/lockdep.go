package lock

import (
	"fmt"
	"unsafe"

	"hotplugsim/des"
	"hotplugsim/model/oracle"
	"hotplugsim/model/splat"
)

// Bounds, as lockdep's own (include/linux/sched.h MAX_LOCK_DEPTH, lockdep_internals.h
// MAX_LOCKDEP_KEYS, much reduced: a simulation has a few dozen classes).
const (
	maxLockDepth = 48
	maxClasses   = 1024

	// maxKeptClasses bounds the classes a sweep worker's graph keeps for its next runs.
	maxKeptClasses = 4096
)

// Read modes of an acquisition, lock_acquire()'s read argument.
const (
	readNone      = 0 // exclusive (mutex_lock, down_write, lock_map_acquire)
	readShared    = 1 // non-recursive read (down_read, lock_acquire_shared)
	readRecursive = 2 // recursive read (lock_map_acquire_read, srcu_read_lock)
)

// Dependency kinds of an edge prev -> next, lockdep's DEP_{SR,ER,SN,EN}_BIT: bit 0 says prev
// was held exclusive, bit 1 that next was not a recursive read.
const (
	depSR uint8 = 1 << iota
	depER
	depSN
	depEN
)

func depOf(prevRead, nextRead uint8) uint8 {
	bit := 0
	if prevRead == readNone {
		bit++
	}
	if nextRead != readRecursive {
		bit += 2
	}
	return 1 << bit
}

// class is a lock class: every lock made with the same class name shares one, as locks
// initialised at one site share a lock_class_key.
type class struct {
	g      *graph // the simulation's dependency graph (saves a graphKey lookup per operation)
	gen    uint64 // the run of g it belongs to (see classOf)
	id     int
	name   string
	label  des.Label
	usage  uint8
	first  [nUsage]site // where each usage bit was first set
	after  []*edge      // forward dependencies, in the order they were found
	before []*edge      // the same edges seen from their target (locks_before)
}

// edge is one dependency from -> to: its lock_list entries in from.locks_after and
// to.locks_before (one shared entry, so both directions see every dep bit).
type edge struct {
	from *class
	to   *class
	dep  uint8 // union of dep* bits seen
	site site  // who first took to while holding from
}

// acqFlags qualify an acquisition.
type acqFlags uint8

const (
	flTrylock acqFlags = 1 << iota // trylock: no dependency into it, no deadlock check
	flSync                         // lock_sync(): checked, never held, no irq usage
	flNoCheck                      // lock_acquire's check=0: held, never validated
)

// instance is a lock instance (lockdep_map) by its address: every lock is an object of its
// own, so its address names it, and an unlock compares one word, not an interface.
type instance unsafe.Pointer

// instOf is l's instance.
func instOf[L any](l *L) instance { return instance(unsafe.Pointer(l)) }

// held is one struct held_lock.
type held struct {
	cls     *class
	inst    instance // the lock instance (lockdep_map)
	read    uint8
	trylock bool
	nocheck bool // check=0 (rcu_lock_acquire): on the stack for reports only
	site    site
}

// task is the lockdep part of a task_struct: held locks and the irq-disable depth.
type task struct {
	held   []held
	irqOff int
}

var taskKey = des.NewProcKey[task]()
var graphKey = des.NewSimKey[graph]()

// graph is lockdep's per-simulation state: the classes and the dependency graph.
type graph struct {
	sim      *des.Sim
	classes  []*class
	byName   map[string]*class        // every class its runs named, this run's where gen matches; lookup only
	byText   *[classCacheSlots]*class // byName's direct-mapped cache, by the name's address
	gen      uint64                   // this run, counted over the runs the graph object served
	reported map[string]bool          // one report per distinct problem, lookup only
	bfsSeen  []uint8                  // findPath's scratch, reused
	bfsQueue []bfsNode

	checkExitFn func() // g.checkExit, made once per graph object
}

func graphOf(sim *des.Sim) *graph {
	return graphKey.Get(sim, func(sim *des.Sim) *graph {
		g := graphs.New(sim)
		g.sim = sim
		g.gen++
		if g.byName == nil || len(g.byName) > maxKeptClasses {
			g.byName, g.reported = map[string]*class{}, map[string]bool{}
			g.byText = new([classCacheSlots]*class)
		}
		if g.checkExitFn == nil {
			g.checkExitFn = g.checkExit // bound once per graph object, which a sweep worker reuses
		}
		sim.AtQuiesce(g.checkExitFn)
		return g
	})
}

func taskOf(p *des.Proc) *task {
	return taskKey.Get(p, func(p *des.Proc) *task { return tasks.New(p.Sim()) })
}

// Objects a sweep worker reuses run after run (des.SlabKey).
var (
	graphs    = des.NewSlabKey[graph]()
	tasks     = des.NewSlabKey[task]()
	edges     = des.NewSlabKey[edge]()
	spinLocks = des.NewSlabKey[SpinLock]()
	mutexes   = des.NewSlabKey[Mutex]()
	rwSems    = des.NewSlabKey[RWSem]()
	lockMaps  = des.NewSlabKey[Map]()
	wwMutexes = des.NewSlabKey[WWMutex]()
)

// Recycle empties a reused graph, keeping its maps' and slices' storage and its classes,
// which the next run revives by name (des.Recycler).
func (g *graph) Recycle() {
	clear(g.reported)
	clear(g.classes)
	*g = graph{classes: g.classes[:0], byName: g.byName, byText: g.byText, gen: g.gen, reported: g.reported,
		bfsSeen: g.bfsSeen[:0], bfsQueue: g.bfsQueue[:0], checkExitFn: g.checkExitFn}
}

// Recycle empties a reused task's held-lock stack, keeping its storage (des.Recycler).
func (t *task) Recycle() {
	clear(t.held)
	*t = task{held: t.held[:0]}
}

// revive makes c, a class of an earlier run of its graph, a new class of this run: no
// usage, no edges (their storage kept).
func (c *class) revive() {
	clear(c.after)
	clear(c.before)
	*c = class{name: c.name, label: c.label, after: c.after[:0], before: c.before[:0]}
}

// classOf registers (or finds) the class named name.
func classOf(sim *des.Sim, name string) *class {
	if sim == nil {
		panic("lock: nil *des.Sim")
	}
	if name == "" {
		panic("lock: empty lock class name")
	}
	g := graphOf(sim)
	slot := &g.byText[classSlot(name)]
	c := *slot
	if c == nil || unsafe.StringData(c.name) != unsafe.StringData(name) || len(c.name) != len(name) {
		c = g.byName[name]
		if c != nil {
			*slot = c
		}
	}
	if c != nil && c.gen == g.gen {
		return c
	}
	if len(g.classes) >= maxClasses {
		panic(fmt.Sprintf("lock: more than %d lock classes (MAX_LOCKDEP_KEYS)", maxClasses))
	}
	if c == nil {
		c = &class{name: name, label: des.L(name)} // a sweep worker makes each name's class once
		g.byName[name] = c
	} else {
		c.revive()
	}
	c.g, c.gen, c.id = g, g.gen, len(g.classes)
	g.classes = append(g.classes, c)
	return c
}

// classCacheSlots sizes graph.byText. A model names its lock classes with the same strings
// run after run (literals, des.Join's kept names), so most lookups hit their slot without
// hashing the text; the class holds the string, so its bytes cannot have been reused.
const (
	classCacheBits  = 9
	classCacheSlots = 1 << classCacheBits
)

// classSlot is name's slot in graph.byText.
func classSlot(name string) int {
	k := uint64(uintptr(unsafe.Pointer(unsafe.StringData(name)))) + uint64(len(name))
	return int((k * 0x9e3779b97f4a7c15) >> (64 - classCacheBits))
}

// site is where an acquisition happened (lockdep saves a stack trace), formatted only
// when a report prints it.
type site struct {
	p   *des.Proc
	at  des.Time
	seq uint64
}

func siteOf(p *des.Proc) site { return site{p, p.Now(), p.Sim().EventSeq()} }

func (s site) String() string {
	if s.p == nil {
		return "(never)"
	}
	return fmt.Sprintf("%v at %v (trace #%d)", s.p, s.at, s.seq)
}

// report fires a lock-order violation once per distinct key.
func (g *graph) report(p *des.Proc, key string, obj des.Label, msg string) {
	if g.reported[key] {
		return
	}
	g.reported[key] = true
	g.sim.Violate(p, oracle.LockOrder, obj, msg)
}

// acquire is __lock_acquire with no nest_lock.
func acquire(p *des.Proc, c *class, inst instance, read uint8, fl acqFlags) {
	acquireNest(p, c, inst, read, fl, nil)
}

// acquireNest is __lock_acquire: mark irq usage, check for recursion and cycles, push the
// lock. nest is the nest_lock (the model's only one is a ww_acquire_ctx), or nil.
func acquireNest(p *des.Proc, c *class, inst instance, read uint8, fl acqFlags, nest *WWAcquireCtx) {
	g, t := c.g, taskOf(p)
	if fl&flSync == 0 && len(t.held) >= maxLockDepth && !mergesIntoTop(t, c, nest) {
		want := splat.Lock{Class: c.name, State: readStr(read), Site: siteOf(p).String()}
		g.report(p, "depth:"+p.String(), c.label,
			splat.MaxLockDepth(taskName(p), len(t.held), maxLockDepth, want, heldLocks(p, t)))
		return
	}
	next := held{cls: c, inst: inst, read: read, trylock: fl&flTrylock != 0, nocheck: fl&flNoCheck != 0, site: siteOf(p)}
	if next.nocheck {
		t.held = append(t.held, next) // __lock_acquire with check == 0: no usage, no chain
		return
	}
	g.markUsage(p, t, &next, fl)
	switch {
	case nest != nil && !isHeld(p, instOf(nest)):
		g.reportNestNotHeld(p, t, &next, nest.class.acquireDep)
	case !next.trylock && g.checkDeadlock(p, t, &next, nest):
		g.checkPrevsAdd(p, t, &next)
	}
	if fl&flSync == 0 {
		t.held = append(t.held, next)
	}
}

// mergesIntoTop is __lock_acquire's references case: a lock of the class on top of the
// stack, taken under a nest_lock, only counts a reference there (the model still pushes
// an entry, but the depth does not grow in the kernel, so it is not a MAX_LOCK_DEPTH bug).
func mergesIntoTop(t *task, c *class, nest *WWAcquireCtx) bool {
	return nest != nil && len(t.held) > 0 && t.held[len(t.held)-1].cls == c
}

// reportNestNotHeld is print_lock_nested_lock_not_held: ww_mutex_lock with a context the
// task does not hold (after ww_acquire_fini, or another task's).
func (g *graph) reportNestNotHeld(p *des.Proc, t *task, next *held, nest *class) {
	g.report(p, "nest:"+next.cls.name+":"+p.String(), next.cls.label,
		splat.NestedLockNotHeld(taskName(p), next.lock(), nest.name, heldLocks(p, t)))
}

// release is __lock_release: drop the innermost held entry of inst. It reports whether p
// held it ("bad unlock balance" otherwise).
func release(p *des.Proc, c *class, inst instance) bool {
	t := taskOf(p)
	for i := len(t.held) - 1; i >= 0; i-- {
		if t.held[i].inst == inst {
			if i == len(t.held)-1 {
				t.held = t.held[:i] // the common, nested case: no entry to move down
			} else {
				t.held = append(t.held[:i], t.held[i+1:]...)
			}
			return true
		}
	}
	g := c.g
	g.report(p, "unlock:"+c.name+":"+p.String(), c.label,
		splat.UnlockImbalanceBug(taskName(p), c.name, siteOf(p).String(), heldLocks(p, t)))
	return false
}

// checkDeadlock is check_deadlock: taking a class already held (AA) is a deadlock unless
// both are reads and the new one recursive, or the nest lock, held below it, serialises
// the class. It reports whether dependencies should be added.
func (g *graph) checkDeadlock(p *des.Proc, t *task, next *held, nest *WWAcquireCtx) bool {
	nested := false
	for _, prev := range t.held {
		if nest != nil && prev.inst == instOf(nest) {
			nested = true
		}
		if prev.cls != next.cls || prev.nocheck {
			continue
		}
		if next.read == readRecursive && prev.read != readNone {
			continue
		}
		if nested {
			return false
		}
		g.report(p, "recursive:"+next.cls.name, next.cls.label, splat.DeadlockBug(splat.DeadlockReport{
			Task: taskName(p), Want: next.lock(), Held: prev.lock(), HeldLocks: heldLocks(p, t)}))
		return false
	}
	return true
}

// checkPrevsAdd is check_prevs_add: add prev -> next for the held locks from the top down
// to and including the first one that was not a trylock. An unchecked lock adds nothing but
// still ends the walk unless it was a trylock, as in lockdep.c.
func (g *graph) checkPrevsAdd(p *des.Proc, t *task, next *held) {
	for i := len(t.held) - 1; i >= 0; i-- {
		prev := &t.held[i]
		if !prev.nocheck && !g.checkPrevAdd(p, t, prev, next) {
			return
		}
		if !prev.trylock {
			return
		}
	}
}

// checkPrevAdd is check_prev_add: prove prev -> next closes no strong cycle and joins no
// irq-safe lock to an irq-unsafe one, then record it.
func (g *graph) checkPrevAdd(p *des.Proc, t *task, prev, next *held) bool {
	if prev.cls == next.cls {
		return true // allowed read recursion; a self-edge never makes a strong cycle
	}
	dep := depOf(prev.read, next.read)
	if e := prev.cls.edgeTo(next.cls); e != nil && e.dep&dep != 0 {
		return true // validated when it was first added (lockdep's chain cache)
	}
	if path := g.findPath(next.cls, next.read == readRecursive, prev); path != nil {
		g.reportCycle(p, t, prev, next, path)
		return false
	}
	if !g.checkIRQUsage(p, t, prev, next) {
		return false
	}
	if e := prev.cls.edgeTo(next.cls); e != nil {
		e.dep |= dep
		return true
	}
	e := edges.New(g.sim)
	*e = edge{from: prev.cls, to: next.cls, dep: dep, site: next.site}
	prev.cls.after = append(prev.cls.after, e)
	next.cls.before = append(next.cls.before, e)
	return true
}

func (c *class) edgeTo(to *class) *edge {
	for _, e := range c.after {
		if e.to == to {
			return e
		}
	}
	return nil
}

// heldLocks prints lockdep_print_held_locks.
func heldLocks(p *des.Proc, t *task) string {
	locks := make([]splat.Lock, len(t.held))
	for i, h := range t.held {
		locks[i] = h.lock()
	}
	return splat.HeldLocks(taskName(p), locks)
}

// lock is the held lock as lockdep's print_lock prints it.
func (h held) lock() splat.Lock {
	return splat.Lock{Class: h.cls.name, State: readStr(h.read), Site: h.site.String()}
}

func readStr(read uint8) string {
	switch read {
	case readShared:
		return "read"
	case readRecursive:
		return "recursive read"
	}
	return "write"
}

// Held returns the class names of the locks p holds, outermost first (pseudo-locks such
// as SRCU read sections and lockdep maps included).
func Held(p *des.Proc) []string {
	t := taskOf(p)
	names := make([]string, len(t.held))
	for i, h := range t.held {
		names[i] = h.cls.name
	}
	return names
}

// checkExit is debug_check_no_locks_held at do_exit: a finished process holding locks.
func (g *graph) checkExit() {
	for _, p := range g.sim.Procs() {
		if !p.Done() {
			continue
		}
		t := taskOf(p)
		if len(t.held) == 0 {
			continue
		}
		g.report(nil, "exit:"+p.String(), t.held[0].cls.label, splat.HeldLocksBug(p.Name(), taskName(p), heldLocks(p, t)))
	}
}

// isHeld reports whether p holds inst (lock_is_held).
func isHeld(p *des.Proc, inst instance) bool {
	for _, h := range taskOf(p).held {
		if h.inst == inst {
			return true
		}
	}
	return false
}

// assertHeld is lockdep_assert_held: a lock-order violation unless p holds inst.
func assertHeld(p *des.Proc, c *class, inst instance) {
	if isHeld(p, inst) {
		return
	}
	s := oracle.Site(p.Sim(), p, "lockdep_assert_held")
	s.Seq = 0 // the report's own event is the WARN
	graphOf(p.Sim()).report(p, "assert:"+c.name+":"+p.String(), c.label,
		splat.LockdepAssertHeld("include/linux/lockdep.h", "lockdep_assert_held", c.name, s, heldLocks(p, taskOf(p))))
}

// taskName is the task as lockdep's reports print it, the same in every line of a report.
func taskName(p *des.Proc) string { return p.String() }

// HeldLocks is lockdep_print_held_locks for p, for other packages' reports.
func HeldLocks(p *des.Proc) string { return heldLocks(p, taskOf(p)) }

// Depth is how many locks p holds (lockdep_depth), for SysExit.
func Depth(p *des.Proc) int { return len(taskOf(p).held) }

// SysExit is lockdep_sys_exit at the return of a system call that p entered holding depth
// locks (a model process may hold pseudo-locks of its own outside the call): a lock the call
// took and did not release is a lock-order violation.
func SysExit(p *des.Proc, depth int) {
	t := taskOf(p)
	if len(t.held) <= depth {
		return
	}
	top := t.held[len(t.held)-1].cls
	graphOf(p.Sim()).report(p, "sysexit:"+top.name+":"+p.String(), top.label,
		splat.LockHeldReturningToUser(taskName(p), heldLocks(p, t)))
}
