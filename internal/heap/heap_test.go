package heap

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type refItem struct {
	at  int64
	seq uint64
	v   int
}

// TestHeapMatchesReference drives the heap with random pushes, pops and cancels and checks
// every pop against a sorted reference.
func TestHeapMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Heap[int64, int]
	var ref []refItem
	handles := map[int]Handle{}
	var seq uint64
	for op := 0; op < 20000; op++ {
		switch k := r.IntN(10); {
		case k < 5:
			seq++
			v := int(seq)
			at := int64(r.IntN(50))
			handles[v] = h.Push(at, seq, v)
			ref = append(ref, refItem{at, seq, v})
		case k < 8 && len(ref) > 0:
			sort.Slice(ref, func(i, j int) bool {
				return ref[i].at < ref[j].at || (ref[i].at == ref[j].at && ref[i].seq < ref[j].seq)
			})
			at, v := h.Pop()
			require.Equal(t, ref[0].at, at)
			require.Equal(t, ref[0].v, v)
			ref = ref[1:]
			assert.False(t, h.Cancel(handles[v]), "cancel after pop must fail")
		case len(ref) > 0:
			i := r.IntN(len(ref))
			require.True(t, h.Cancel(handles[ref[i].v]))
			require.False(t, h.Cancel(handles[ref[i].v]), "double cancel must fail")
			ref = append(ref[:i], ref[i+1:]...)
		}
		require.Equal(t, len(ref), h.Len())
	}
}

func TestHeapStaleHandleDoesNotCancelReusedSlot(t *testing.T) {
	var h Heap[int64, int]
	old := h.Push(5, 1, 1)
	h.Pop()
	fresh := h.Push(7, 2, 2) // reuses the slot
	assert.False(t, h.Cancel(old))
	assert.Equal(t, 1, h.Len())
	assert.True(t, h.Cancel(fresh))
	assert.False(t, Handle{}.Valid())
	assert.False(t, h.Cancel(Handle{}))
}

func TestHeapSteadyStateDoesNotAllocate(t *testing.T) {
	var h Heap[int64, *int]
	for i := 0; i < 64; i++ {
		h.Push(int64(i), uint64(i), nil)
	}
	seq := uint64(100)
	allocs := testing.AllocsPerRun(1000, func() {
		at, p := h.Pop()
		seq++
		hd := h.Push(at+64, seq, p)
		seq++
		h.Cancel(h.Push(at+1, seq, p))
		_ = hd
	})
	assert.Zero(t, allocs)
}
