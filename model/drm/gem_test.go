package drm_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drm"
	"hotplugsim/model/oracle"
)

// card makes a registered device; frees journals every obj->funcs->free.
func card(sim *des.Sim, name string) (*drm.Device, *[]string) {
	d := drm.DevAlloc(sim, nil, name, nil)
	d.DevRegister(nil)
	return d, &[]string{}
}

func newBO(p *des.Proc, d *drm.Device, name string, frees *[]string) *drm.GEMObject {
	return d.GEMObjectInit(p, name, 4096, func(_ *des.Proc, o *drm.GEMObject) {
		*frees = append(*frees, o.Name())
	})
}

// create is a GEM_CREATE ioctl: init, handle, drop the creation reference.
func create(t *testing.T, p *des.Proc, f *drm.File, name string, frees *[]string) uint32 {
	o := newBO(p, f.Dev(), name, frees)
	h, err := f.HandleCreate(p, o)
	require.NoError(t, err)
	o.Put(p)
	return h
}

func TestHandleHoldsTheObjectUntilClosed(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d, frees := card(sim, "card0")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		h := create(t, p, f, "bo", frees)
		assert.Equal(t, uint32(1), h, "idr_alloc starts at 1")
		o, err := f.Lookup(p, h)
		require.NoError(t, err)
		assert.Equal(t, 2, o.Refcount(), "the handle's and the lookup's")
		assert.Equal(t, 1, o.HandleCount())
		o.Put(p)
		require.NoError(t, f.HandleDelete(p, h))
		assert.True(t, o.Freed(), "the last handle held the last reference")
		_, err = f.Lookup(p, h)
		assert.ErrorIs(t, err, drm.ErrNoEnt, "a closed handle is -ENOENT, not a bug")
		assert.ErrorIs(t, f.HandleDelete(p, h), drm.ErrInval, "GEM_CLOSE of a closed handle")
		assert.Equal(t, uint32(1), create(t, p, f, "bo2", frees), "the lowest free handle is reused")
		require.NoError(t, f.Close(p))
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"drm_gem_object:bo", "drm_gem_object:bo2"}, *frees)
}

func TestFileCloseReleasesEveryHandleInOrder(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d, frees := card(sim, "card0")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		f, err := d.Open(p, "app")
		require.NoError(t, err)
		for i := range 4 {
			create(t, p, f, fmt.Sprint("bo", i), frees)
		}
		require.NoError(t, f.HandleDelete(p, 2))
		assert.Equal(t, 3, f.HandleCount())
		require.NoError(t, f.Close(p))
		assert.Zero(t, f.HandleCount())
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.Equal(t, []string{"drm_gem_object:bo1", "drm_gem_object:bo0", "drm_gem_object:bo2", "drm_gem_object:bo3"}, *frees)
}

// A driver that keeps the object pointer from a lookup after dropping the reference uses
// freed memory once the handle is closed: KASAN's use-after-free. Holding the lookup's
// reference across the use is clean.
func TestStalePointerAfterCloseIsKASANUseAfterFree(t *testing.T) {
	for _, holdRef := range []bool{true, false} {
		sim := des.MustNew(des.Config{})
		d, frees := card(sim, "card0")
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			f, err := d.Open(p, "app")
			require.NoError(t, err)
			h := create(t, p, f, "bo", frees)
			o, err := f.Lookup(p, h)
			require.NoError(t, err)
			if !holdRef {
				o.Put(p) // the bug: the reference goes, the pointer stays
			}
			require.NoError(t, f.HandleDelete(p, h))
			o.Access(p, "dma_resv_lock(obj->resv)")
			if holdRef {
				o.Put(p)
			}
		})
		r := sim.Run()
		if holdRef {
			require.True(t, r.OK(), r.Violations)
			continue
		}
		require.NotNil(t, r.First())
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
		assert.Contains(t, r.First().Msg, "BUG: KASAN: slab-use-after-free in dma_resv_lock(obj->resv)\n")
	}
}

// GEM_CLOSE racing a lookup: the lookup either finds the object with a reference or gets
// -ENOENT; over random seeds nothing is used after free.
func TestCloseRacingLookupIsClean(t *testing.T) {
	enoent := 0
	for seed := uint64(1); seed <= 100; seed++ {
		sim := des.MustNew(des.Config{Seed: seed, Strategy: "random"})
		d, frees := card(sim, "card0")
		var f *drm.File
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			f, _ = d.Open(p, "app")
			h := create(t, p, f, "bo", frees)
			sim.Spawn("close", des.Task, func(p *des.Proc) { _ = f.HandleDelete(p, h) })
			sim.Spawn("ioctl", des.Task, func(p *des.Proc) {
				o, err := f.Lookup(p, h)
				if err != nil {
					enoent++
					return
				}
				o.Access(p, "submit")
				o.Put(p)
			})
		})
		r := sim.Run()
		require.True(t, r.OK(), "seed %d: %v", seed, r.Violations)
		require.Equal(t, []string{"drm_gem_object:bo"}, *frees)
	}
	assert.Positive(t, enoent, "some seeds close first")
	assert.Less(t, enoent, 100, "some seeds look up first")
}

func TestPrimeReimportFindsTheSameObject(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d0, frees := card(sim, "card0")
	d1, _ := card(sim, "card1")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		a, _ := d0.Open(p, "a")
		b, _ := d0.Open(p, "b")
		c, _ := d1.Open(p, "c")
		h := create(t, p, a, "bo", frees)
		buf, err := a.PrimeHandleToFD(p, h)
		require.NoError(t, err)
		again, err := a.PrimeHandleToFD(p, h)
		require.NoError(t, err)
		assert.Same(t, buf, again, "obj->dma_buf is cached")
		again.Put(p)

		ha, err := a.PrimeFDToHandle(p, buf)
		require.NoError(t, err)
		assert.Equal(t, h, ha, "the exporting file gets its own handle back")
		hb, err := b.PrimeFDToHandle(p, buf)
		require.NoError(t, err)
		ob, _ := b.Lookup(p, hb)
		assert.Same(t, buf.Object(), ob, "self-import: the same object, not a copy")
		ob.Put(p)
		hc, err := c.PrimeFDToHandle(p, buf)
		require.NoError(t, err)
		hc2, err := c.PrimeFDToHandle(p, buf)
		require.NoError(t, err)
		assert.Equal(t, hc, hc2, "re-import on the importing file: the same handle")
		oc, _ := c.Lookup(p, hc)
		assert.NotSame(t, buf.Object(), oc, "another device imports its own object")
		assert.Same(t, buf, oc.Import())
		oc.Put(p)

		buf.Put(p) // close the fd
		require.NoError(t, a.Close(p))
		require.NoError(t, b.Close(p))
		assert.Empty(t, *frees, "the importer's attachment keeps the dma-buf, and so the object")
		require.NoError(t, c.Close(p))
		assert.Equal(t, []string{"drm_gem_object:bo"}, *frees)
		assert.True(t, buf.Freed())
		assert.Equal(t, 1, d0.Refcount(), "the dma-buf's device reference is dropped")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
}

func TestDmaBufOutlivesTheHandle(t *testing.T) {
	sim := des.MustNew(des.Config{})
	d, frees := card(sim, "card0")
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		f, _ := d.Open(p, "app")
		h := create(t, p, f, "bo", frees)
		buf, err := f.PrimeHandleToFD(p, h)
		require.NoError(t, err)
		require.NoError(t, f.Close(p))
		assert.Empty(t, *frees, "the fd holds the dma-buf, the dma-buf the object")
		assert.Equal(t, 1, buf.Refcount(), "obj->dma_buf's reference went with the last handle")
		buf.Put(p)
		buf.Put(p) // closing the fd twice: the dma-buf is gone
	})
	r := sim.Run()
	require.NotNil(t, r.First())
	assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
	assert.Equal(t, []string{"drm_gem_object:bo"}, *frees)
}
