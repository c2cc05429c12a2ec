package fence

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A full bounded list drops the fences done with, keeping the order and clearing the freed
// slots, before it appends; one with none to drop panics, naming the list.
func TestAppendBounded(t *testing.T) {
	add := func(list []*Fence, f *Fence) []*Fence {
		return appendBounded(list, f, 3, (*Fence).Signalled, "test fences")
	}
	a, b, c := &Fence{seqno: 1}, &Fence{seqno: 2, signalled: true}, &Fence{seqno: 3, signalled: true}
	list := add(add(add(nil, a), b), c)
	assert.Equal(t, []*Fence{a, b, c}, list, "not full: nothing dropped")
	d := &Fence{seqno: 4}
	list = add(list, d)
	assert.Equal(t, []*Fence{a, d}, list)
	assert.Nil(t, list[:3][2], "the freed slot is cleared")
	e := &Fence{seqno: 5}
	list = add(list, e)
	assert.Equal(t, []*Fence{a, d, e}, list, "not full: nothing dropped")
	assert.PanicsWithValue(t, "fence: more than 3 test fences", func() { add(list, &Fence{seqno: 6}) })
}
