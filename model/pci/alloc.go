package pci

import (
	"hotplugsim/des"
	"hotplugsim/model/mem"
)

// The BAR allocator: a pure computation from the device tree to a plan (where every BAR and
// bridge window goes); applying it is ops.go's job. Boot lays out in device order ("BIOS"),
// rescans largest alignment first (pbus_size_mem), so a rescan moves BARs even when nothing
// changed, as the seed thread observed.

type order uint8

const (
	biosOrder   order = iota // device order, BARs by index, bottom-up
	kernelOrder              // alignment desc, size desc, then tie key
)

const spaceTop = uint64(1) << 62 // the unbounded window bridge sizing lays out in

type item struct {
	bar         *BAR // nil for a bridge window
	bridge      *Dev
	size, align uint64
	fixed       bool
	base        uint64
	key         int // tie-break: position, or a random draw
}

type barAssign struct {
	bar        *BAR
	base, size uint64
	fixed      bool
}

type winAssign struct {
	bus        *Bus
	base, size uint64
}

type plan struct {
	bars []barAssign
	wins []winAssign
}

type planner struct {
	sim      *des.Sim
	rnd      *des.Stream // nil: no randomness
	ord      order
	boot     bool // everything movable
	pin      bool // every assigned BAR but resize stays (pci_resize_resource)
	resize   *BAR
	resizeTo uint64
	exclude  func(*Dev) bool
	out      plan
}

func (pl *planner) participates(d *Dev) bool {
	return d.state == stateAdded && (pl.exclude == nil || !pl.exclude(d))
}

func (pl *planner) barSize(b *BAR) uint64 {
	if b == pl.resize {
		return pl.resizeTo
	}
	return b.region.Size()
}

func (pl *planner) barFixed(b *BAR) bool {
	return !pl.boot && b != pl.resize && (pl.pin && b.Assigned() || barFixed(b))
}

// bridgeFixed: a bridge window stays if any BAR below it stays.
func (pl *planner) bridgeFixed(br *Dev) bool {
	if pl.boot || !br.sub.win.ok {
		return false
	}
	fixed := !br.hw.Present()
	br.walk(func(d *Dev) {
		if d != br && pl.participates(d) {
			for _, b := range d.bars {
				fixed = fixed || pl.barFixed(b)
			}
		}
	})
	return fixed
}

// Scratch storage of a planner, one per call that needs it (a bus's items, the spans taken
// in a window, a plan's output), reused by a sweep worker's next run.
type (
	itemBuf struct{ s []item }
	spanBuf struct{ s []span }
	planBuf struct {
		bars []barAssign
		wins []winAssign
	}
)

var (
	itemBufs = des.NewSlabKey[itemBuf]()
	spanBufs = des.NewSlabKey[spanBuf]()
	planBufs = des.NewSlabKey[planBuf]()
)

// Recycle keeps the storage (des.Recycler).
func (b *itemBuf) Recycle() { clear(b.s[:cap(b.s)]); b.s = b.s[:0] }

// Recycle keeps the storage (des.Recycler).
func (b *spanBuf) Recycle() { b.s = b.s[:0] }

// Recycle keeps the storage (des.Recycler).
func (b *planBuf) Recycle() {
	clear(b.bars[:cap(b.bars)])
	clear(b.wins[:cap(b.wins)])
	b.bars, b.wins = b.bars[:0], b.wins[:0]
}

func (pl *planner) busItems(bus *Bus) ([]item, error) {
	buf := itemBufs.New(pl.sim)
	items, err := pl.appendBusItems(buf.s[:0], bus)
	if items != nil {
		buf.s = items // what the appends grew, for the next run
	}
	return items, err
}

// appendBusItems appends the items of bus's devices to items.
func (pl *planner) appendBusItems(items []item, bus *Bus) ([]item, error) {
	for _, d := range bus.devices {
		if !pl.participates(d) {
			continue
		}
		if d.sub != nil {
			it, err := pl.bridgeItem(d)
			if err != nil {
				return nil, err
			}
			if it.size > 0 {
				it.key = len(items)
				items = append(items, it)
			}
			continue
		}
		for _, b := range d.bars {
			z := pl.barSize(b)
			items = append(items, item{bar: b, size: z, align: z, fixed: pl.barFixed(b),
				base: uint64(b.Start()), key: len(items)})
		}
	}
	return items, nil
}

func (pl *planner) bridgeItem(br *Dev) (item, error) {
	if pl.bridgeFixed(br) {
		w := br.sub.win
		return item{bridge: br, size: w.size, align: BridgeWindowAlign, fixed: true, base: uint64(w.base)}, nil
	}
	size, align, err := pl.sizeBus(br.sub)
	return item{bridge: br, size: size, align: align}, err
}

// sizeBus is the window a movable bridge needs: its children laid out from 0 in the
// deterministic order, rounded up to the window granularity.
func (pl *planner) sizeBus(bus *Bus) (size, align uint64, err error) {
	items, err := pl.busItems(bus)
	if err != nil || len(items) == 0 {
		return 0, 0, err
	}
	sortItems(items, pl.ord)
	sb := spanBufs.New(pl.sim)
	occ := sb.s[:0]
	align = BridgeWindowAlign
	for i := range items {
		a, ok := fit(0, spaceTop, occ, items[i].size, items[i].align, false)
		if !ok {
			return 0, 0, ErrNoSpace
		}
		occ = append(occ, span{a, a + items[i].size})
		sb.s = occ
		size = max(size, a+items[i].size)
		align = max(align, items[i].align)
	}
	return alignUp(size, BridgeWindowAlign), align, nil
}

// layoutBus places the bus's items in [base, base+size) and recurses into bridges. random
// allows tie keys and the direction to come from the stream.
func (pl *planner) layoutBus(bus *Bus, base, size uint64, random bool) error {
	items, err := pl.busItems(bus)
	if err != nil {
		return err
	}
	random = random && pl.rnd != nil
	sb := spanBufs.New(pl.sim) // this call's, kept for the next run
	occ := pl.fixedSpans(sb.s[:0], items)
	sb.s = occ
	if random {
		for i := range items {
			items[i].key = pl.rnd.Intn(1 << 16)
		}
	}
	sortItems(items, pl.ord)
	topDown := random && pl.rnd.Bool(0.5)
	for i := range items {
		if items[i].fixed {
			continue
		}
		a, ok := fit(base, base+size, occ, items[i].size, items[i].align, topDown)
		if !ok {
			return ErrNoSpace
		}
		items[i].base = a
		occ = append(occ, span{a, a + items[i].size})
		sb.s = occ
	}
	return pl.record(items, random)
}

// fixedSpans appends the spans of items that stay where they are to occ.
func (pl *planner) fixedSpans(occ []span, items []item) []span {
	for _, it := range items {
		if it.fixed {
			occ = append(occ, span{it.base, it.base + it.size})
		}
	}
	return occ
}

func (pl *planner) record(items []item, random bool) error {
	for _, it := range items {
		if it.bar != nil {
			pl.out.bars = append(pl.out.bars, barAssign{bar: it.bar, base: it.base, size: it.size, fixed: it.fixed})
			continue
		}
		sub := it.bridge.sub
		pl.out.wins = append(pl.out.wins, winAssign{bus: sub, base: it.base, size: it.size})
		// A movable window is filled in the order it was sized in, which is sure to fit.
		if err := pl.layoutBus(sub, it.base, it.size, random && it.fixed); err != nil {
			return err
		}
	}
	return nil
}

func sortItems(items []item, ord order) {
	less := func(a, b item) bool {
		if ord == kernelOrder {
			if a.align != b.align {
				return a.align > b.align
			}
			if a.size != b.size {
				return a.size > b.size
			}
		}
		return a.key < b.key
	}
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && less(items[j], items[j-1]); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

type span struct{ lo, hi uint64 } // [lo, hi)

func alignUp(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }

// fit returns the lowest (or, topDown, the highest) address in [lo, hi) aligned to align
// where size bytes overlap nothing in occ. Each step passes one span for good, so the loop
// is bounded by len(occ).
func fit(lo, hi uint64, occ []span, size, align uint64, topDown bool) (uint64, bool) {
	if size > hi-lo {
		return 0, false
	}
	a := alignUp(lo, align)
	if topDown {
		a = (hi - size) &^ (align - 1)
	}
	for range len(occ) + 1 {
		if a < lo || a+size > hi || a+size < a {
			return 0, false
		}
		o, hit := overlap(occ, a, a+size)
		if !hit {
			return a, true
		}
		if !topDown {
			a = alignUp(o.hi, align)
			continue
		}
		if o.lo < size {
			return 0, false
		}
		a = (o.lo - size) &^ (align - 1)
	}
	return 0, false
}

func overlap(occ []span, lo, hi uint64) (span, bool) {
	for _, o := range occ {
		if lo < o.hi && o.lo < hi {
			return o, true
		}
	}
	return span{}, false
}

// plan computes a layout of the whole tree, or ErrNoSpace.
func (h *Host) plan(pl *planner) (plan, error) {
	pl.sim = h.sim
	b := planBufs.New(h.sim)
	pl.out = plan{bars: b.bars, wins: b.wins}
	w := h.root.win
	err := pl.layoutBus(h.root, uint64(w.base), w.size, true)
	b.bars, b.wins = pl.out.bars, pl.out.wins // what the appends grew, for the next run
	if err != nil {
		return plan{}, err
	}
	return pl.out, nil
}

func addr(x uint64) mem.Addr { return mem.Addr(x) }
