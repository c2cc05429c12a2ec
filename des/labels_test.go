package des

import (
	"fmt"
	"sync"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLabelsAreInternedOnceAcrossGoroutines: concurrent sweep workers naming the same objects
// get the same Label for a text, distinct Labels for distinct texts, and the text back.
func TestLabelsAreInternedOnceAcrossGoroutines(t *testing.T) {
	const workers, texts = 8, 400
	got := make([][]Label, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[w] = make([]Label, texts)
			for i := range texts {
				j := (i*7 + w*53) % texts // each worker in its own order
				got[w][j] = L(fmt.Sprintf("interned-%d", j))
			}
		}()
	}
	wg.Wait()
	ids := map[uint32]bool{}
	for j := range texts {
		text := fmt.Sprintf("interned-%d", j)
		for w := 1; w < workers; w++ {
			require.Equal(t, got[0][j], got[w][j], "%s: worker %d", text, w)
		}
		l := got[0][j]
		assert.Equal(t, text, l.String())
		assert.Equal(t, xxhash.Sum64String(text), l.Hash())
		assert.False(t, ids[l.id], "%s shares an id", text)
		ids[l.id] = true
	}
}

// TestLabelLookupsReachTheLockFreeSnapshot: new labels are soon found without the lock.
func TestLabelLookupsReachTheLockFreeSnapshot(t *testing.T) {
	const n = 300
	inSnapshot := func(text string) bool {
		m := labels.read.Load()
		if m == nil {
			return false
		}
		_, ok := (*m)[text]
		return ok
	}
	for i := range n {
		L(fmt.Sprintf("snap-%d", i))
	}
	labels.mu.Lock()
	total := len(labels.byText)
	labels.mu.Unlock()
	for range 2 { // at most len(byText) misses republish the snapshot, which then has them all
		for i := 0; i < total && !inSnapshot(fmt.Sprintf("snap-%d", n-1)); i++ {
			L(fmt.Sprintf("snap-%d", i%n))
		}
	}
	for i := range n {
		assert.True(t, inSnapshot(fmt.Sprintf("snap-%d", i)), "snap-%d", i)
	}
}
