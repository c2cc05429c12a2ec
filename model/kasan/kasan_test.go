package kasan_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/kasan"
	"hotplugsim/model/oracle"
)

type bo struct {
	kasan.Obj
	size int
}

func TestUseWhileLiveIsFine(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b := &bo{size: 4096}
	sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
		b.Alloc(sim, p, "bo:1")
		assert.True(t, b.Use(p, "read"))
		p.Sleep(10)
		b.Free(p)
		assert.True(t, b.Freed())
	})
	r := sim.Run()
	assert.True(t, r.OK(), r.Violations)
}

func TestUseAfterFreeReportsAllThreeSites(t *testing.T) {
	sim := des.MustNew(des.Config{})
	b := &bo{}
	sim.Spawn("probe", des.Task, func(p *des.Proc) { b.Alloc(sim, p, "bo:7") })
	sim.Spawn("remove", des.Task, func(p *des.Proc) { p.Sleep(5); b.Free(p) })
	sim.Spawn("fault", des.Task, func(p *des.Proc) { p.Sleep(9); b.Use(p, "vm_fault") })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, oracle.UseAfterFree, v.Kind)
	assert.Equal(t, "fault", v.Proc)
	for _, want := range []string{"BUG: KASAN: slab-use-after-free in vm_fault\n", "which belongs to bo:7", "Allocated by task 0 (probe):\n kmalloc\n at @0ns", "Freed by task 1 (remove):\n kfree\n at @5ns", "by task fault/2", " vm_fault\n at @9ns"} {
		assert.Contains(t, v.Msg, want)
	}
	require.NotEmpty(t, v.Related, "the alloc and free events of the object are related")
}

func TestDoubleFree(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var b bo
	sim.Spawn("x", des.Task, func(p *des.Proc) { b.Alloc(sim, p, "job:1"); b.Free(p); b.Free(p) })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Equal(t, oracle.UseAfterFree, v.Kind)
	assert.Contains(t, v.Msg, "BUG: KASAN: double-free in kfree\n")
	// mm/kasan/report.c print_error_description: "BUG: KASAN: double-free in ...".
	assert.True(t, strings.HasPrefix(v.Msg, "BUG: KASAN: double-free in "), v.Msg)
	assert.Contains(t, v.Msg, "Free of addr ffff8881afa75c18 by task x/0")
}

// kfree of something never allocated is KASAN's invalid-free; in the model it is a model bug,
// reported as a panic that says so (not a nil-pointer dereference).
func TestFreeOfUnallocatedIsAModelBug(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var b bo
	sim.Spawn("x", des.Task, func(p *des.Proc) { b.Free(p) })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, des.KindPanic, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "invalid-free")
}

func TestUseOfUnallocatedIsAModelBug(t *testing.T) {
	sim := des.MustNew(des.Config{})
	var b bo
	sim.Spawn("x", des.Task, func(p *des.Proc) { b.Use(p, "read") })
	r := sim.Run()
	require.Len(t, r.Violations, 1)
	assert.Equal(t, des.KindPanic, r.Violations[0].Kind)
}

func Example() {
	sim := des.MustNew(des.Config{})
	var group kasan.Obj
	group.Alloc(sim, nil, "iommu_group:3")
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) { group.Free(p) })
	sim.Spawn("drmm_release", des.Task, func(p *des.Proc) { p.Sleep(des.Microsecond); group.Use(p, "dma_unmap") })
	r := sim.Run()
	fmt.Println(r.First().Kind)
	// Output: use-after-free
}
