// Package heap is the timer queue of model/timer: a binary min-heap of payloads ordered by
// (time, seq) whose entries can be cancelled through a Handle.
package heap

// Handle names an entry in a Heap so it can be cancelled. The zero Handle names nothing.
type Handle struct {
	slot int32 // slot+1, so the zero value is invalid
	gen  uint32
}

// Valid reports whether h was returned by Push (it may since have fired or been cancelled).
func (h Handle) Valid() bool { return h.slot != 0 }

type heapItem[T ~int64, P any] struct {
	at   T
	seq  uint64
	slot int32
	p    P
}

// Heap is a binary min-heap of payloads ordered by (time T, seq), with O(log n) cancellation.
// It stores payloads by value (no interface boxing) and reuses its slices, so a steady state of
// pushes and pops allocates nothing. Ties in time are broken by seq, which the caller makes
// strictly increasing, so the order is total and deterministic.
type Heap[T ~int64, P any] struct {
	items []heapItem[T, P]
	pos   []int32  // slot -> index in items, -1 when free
	gen   []uint32 // slot -> generation, bumped when the slot is released
	free  []int32
}

// Reset empties the heap, keeping its slices' storage: it is then as a zero Heap.
func (h *Heap[T, P]) Reset() {
	clear(h.items[:cap(h.items)])
	h.items, h.pos, h.gen, h.free = h.items[:0], h.pos[:0], h.gen[:0], h.free[:0]
}

// Len is the number of pending entries.
func (h *Heap[T, P]) Len() int { return len(h.items) }

// Push adds p at time at with tie-breaker seq and returns a handle for Cancel.
func (h *Heap[T, P]) Push(at T, seq uint64, p P) Handle {
	var slot int32
	if n := len(h.free); n > 0 {
		slot = h.free[n-1]
		h.free = h.free[:n-1]
	} else {
		slot = int32(len(h.pos))
		h.pos = append(h.pos, -1)
		h.gen = append(h.gen, 0)
	}
	h.items = append(h.items, heapItem[T, P]{})
	h.siftUp(len(h.items)-1, heapItem[T, P]{at: at, seq: seq, slot: slot, p: p})
	return Handle{slot: slot + 1, gen: h.gen[slot]}
}

// Min returns the earliest time, or false if the heap is empty.
func (h *Heap[T, P]) Min() (T, bool) {
	if len(h.items) == 0 {
		return 0, false
	}
	return h.items[0].at, true
}

// Pop removes and returns the earliest entry. It must not be called on an empty heap.
func (h *Heap[T, P]) Pop() (T, P) {
	top := h.items[0]
	h.release(top.slot)
	last := len(h.items) - 1
	it := h.items[last]
	h.items[last] = heapItem[T, P]{}
	h.items = h.items[:last]
	if last > 0 {
		h.siftDown(0, it)
	}
	return top.at, top.p
}

// Cancel removes the entry named by hd if it is still pending and reports whether it was.
func (h *Heap[T, P]) Cancel(hd Handle) bool {
	if hd.slot == 0 {
		return false
	}
	slot := hd.slot - 1
	if int(slot) >= len(h.pos) || h.gen[slot] != hd.gen || h.pos[slot] < 0 {
		return false
	}
	i := int(h.pos[slot])
	h.release(slot)
	last := len(h.items) - 1
	it := h.items[last]
	h.items[last] = heapItem[T, P]{}
	h.items = h.items[:last]
	if i < last {
		if i > 0 && it.before(&h.items[(i-1)/2]) {
			h.siftUp(i, it)
		} else {
			h.siftDown(i, it)
		}
	}
	return true
}

// release frees slot: its handles go stale.
func (h *Heap[T, P]) release(slot int32) {
	h.pos[slot] = -1
	h.gen[slot]++
	h.free = append(h.free, slot)
}

func (a *heapItem[T, P]) before(b *heapItem[T, P]) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// siftUp places it at the hole i or above, moving the parents it precedes down.
func (h *Heap[T, P]) siftUp(i int, it heapItem[T, P]) {
	for i > 0 {
		parent := (i - 1) / 2
		q := &h.items[parent]
		if !it.before(q) {
			break
		}
		h.items[i] = *q
		h.pos[q.slot] = int32(i)
		i = parent
	}
	h.items[i] = it
	h.pos[it.slot] = int32(i)
}

// siftDown places it at the hole i or below, moving the children that precede it up.
func (h *Heap[T, P]) siftDown(i int, it heapItem[T, P]) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.items[r].before(&h.items[l]) {
			m = r
		}
		c := &h.items[m]
		if !c.before(&it) {
			break
		}
		h.items[i] = *c
		h.pos[c.slot] = int32(i)
		i = m
	}
	h.items[i] = it
	h.pos[it.slot] = int32(i)
}
