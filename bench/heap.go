package bench

// Heap is a plain binary min-heap of payloads ordered by (time, seq): the event queue of the
// callback floor. seq is assigned by Push, so entries at equal times pop in push order.
// Payloads are stored by value, and the backing slice is reused.
type Heap[P any] struct {
	items []heapItem[P]
	seq   uint64
}

type heapItem[P any] struct {
	at  int64
	seq uint64
	p   P
}

// Len is the number of pending entries.
func (h *Heap[P]) Len() int { return len(h.items) }

func (h *Heap[P]) less(i, j int) bool {
	a, b := &h.items[i], &h.items[j]
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// Push adds p at time at.
func (h *Heap[P]) Push(at int64, p P) {
	h.seq++
	h.items = append(h.items, heapItem[P]{at: at, seq: h.seq, p: p})
	i := len(h.items) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			break
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		i = parent
	}
}

// Pop removes and returns the earliest entry. The heap must not be empty.
func (h *Heap[P]) Pop() (int64, P) {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items[last] = heapItem[P]{}
	h.items = h.items[:last]
	i, n := 0, last
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
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top.at, top.p
}
