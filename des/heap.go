package des

// Handle names an entry in a Heap so it can be cancelled. The zero Handle names nothing.
type Handle struct {
	slot int32 // slot+1, so the zero value is invalid
	gen  uint32
}

// Valid reports whether h was returned by Push (it may since have fired or been cancelled).
func (h Handle) Valid() bool { return h.slot != 0 }

type heapItem[P any] struct {
	at   Time
	seq  uint64
	slot int32
	p    P
}

// Heap is a binary min-heap of payloads ordered by (time, seq), with O(log n) cancellation.
// It stores payloads by value (no interface boxing) and reuses its slices, so a steady state of
// pushes and pops allocates nothing. Ties in time are broken by seq, which the caller makes
// strictly increasing, so the order is total and deterministic.
type Heap[P any] struct {
	items []heapItem[P]
	pos   []int32  // slot -> index in items, -1 when free
	gen   []uint32 // slot -> generation, bumped when the slot is released
	free  []int32
}

// Len is the number of pending entries.
func (h *Heap[P]) Len() int { return len(h.items) }

// Push adds p at time at with tie-breaker seq and returns a handle for Cancel.
func (h *Heap[P]) Push(at Time, seq uint64, p P) Handle {
	var slot int32
	if n := len(h.free); n > 0 {
		slot = h.free[n-1]
		h.free = h.free[:n-1]
	} else {
		slot = int32(len(h.pos))
		h.pos = append(h.pos, -1)
		h.gen = append(h.gen, 0)
	}
	i := len(h.items)
	h.items = append(h.items, heapItem[P]{at: at, seq: seq, slot: slot, p: p})
	h.pos[slot] = int32(i)
	h.up(i)
	return Handle{slot: slot + 1, gen: h.gen[slot]}
}

// Min returns the earliest time, or false if the heap is empty.
func (h *Heap[P]) Min() (Time, bool) {
	if len(h.items) == 0 {
		return 0, false
	}
	return h.items[0].at, true
}

// Pop removes and returns the earliest entry. It must not be called on an empty heap.
func (h *Heap[P]) Pop() (Time, P) {
	it := h.items[0]
	h.removeAt(0)
	return it.at, it.p
}

// Cancel removes the entry named by hd if it is still pending and reports whether it was.
func (h *Heap[P]) Cancel(hd Handle) bool {
	if hd.slot == 0 {
		return false
	}
	slot := hd.slot - 1
	if int(slot) >= len(h.pos) || h.gen[slot] != hd.gen || h.pos[slot] < 0 {
		return false
	}
	h.removeAt(int(h.pos[slot]))
	return true
}

func (h *Heap[P]) removeAt(i int) {
	slot := h.items[i].slot
	h.pos[slot] = -1
	h.gen[slot]++
	h.free = append(h.free, slot)
	last := len(h.items) - 1
	if i != last {
		h.items[i] = h.items[last]
		h.pos[h.items[i].slot] = int32(i)
	}
	var zero heapItem[P]
	h.items[last] = zero
	h.items = h.items[:last]
	if i < last {
		if !h.down(i) {
			h.up(i)
		}
	}
}

func (h *Heap[P]) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

func (h *Heap[P]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.pos[h.items[i].slot] = int32(i)
	h.pos[h.items[j].slot] = int32(j)
}

func (h *Heap[P]) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h.swap(i, parent)
		i = parent
	}
}

func (h *Heap[P]) down(i int) bool {
	start := i
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return i > start
}
