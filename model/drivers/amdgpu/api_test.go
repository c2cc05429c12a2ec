package amdgpu_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/drivers/amdgpu"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/ttm"
)

// platform makes one GPU named gpu1 under policy, booted, on a fresh Sim.
func platform(t *testing.T, cfg des.Config, pol string) (*des.Sim, *amdgpu.GPU) {
	t.Helper()
	sim := des.MustNew(cfg)
	pl, err := amdgpu.NewPlatform(sim)
	require.NoError(t, err)
	g, err := pl.AddGPU("gpu1", pol)
	require.NoError(t, err)
	require.NoError(t, pl.Boot())
	return sim, g
}

// v6: after an orderly remove the app's mapping is rerouted to the dummy page (no SIGBUS),
// ioctls fail with -ENODEV, the job in flight signals -ENODEV, and the drm_device lives
// until the app closes its file.
func TestV6AppKeepsRunningOnDummyPage(t *testing.T) {
	sim, g := platform(t, des.Config{}, amdgpu.V6CompleteFirst)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		require.NoError(t, g.Bind(p))
		c, err := g.Open(p, "glxgears", nil)
		require.NoError(t, err)
		vram, err := c.CreateBO(p, "fb", 2, ttm.PlVRAM)
		require.NoError(t, err)
		gtt, err := c.CreateBO(p, "gtt", 1, ttm.PlTT)
		require.NoError(t, err)
		va, err := c.Mmap(p, vram)
		require.NoError(t, err)
		vg, err := c.Mmap(p, gtt)
		require.NoError(t, err)
		require.NoError(t, c.Touch(p, va, 0))
		require.NoError(t, c.Touch(p, vg, 0))
		assert.Contains(t, va.Target(va.Start), "bar0")
		f, err := c.Submit(p, des.Millisecond)
		require.NoError(t, err)
		ddev := g.Drm()
		g.Remove(p)
		assert.False(t, g.Bound())
		assert.True(t, ddev.Live(), "the drm_device outlives the PCI device while the file is open")
		require.NoError(t, c.Touch(p, va, 1))
		require.NoError(t, c.Touch(p, vg, 0))
		assert.True(t, strings.HasPrefix(va.Target(va.Start), "dummy_page"), va.Target(va.Start))
		assert.ErrorIs(t, c.Wait(p, f), drm.ErrNoDev)
		assert.Equal(t, int(-fence.ENODEV), f.Status())
		_, err = c.Submit(p, des.Microsecond)
		assert.ErrorIs(t, err, drm.ErrNoDev)
		assert.ErrorIs(t, c.Info(p), drm.ErrNoDev)
		_, err = c.CreateBO(p, "late", 1, ttm.PlTT)
		assert.ErrorIs(t, err, drm.ErrNoDev)
		_, err = g.Open(p, "late", nil)
		assert.ErrorIs(t, err, drm.ErrNoDev)
		c.MM.Exit(p)
		assert.True(t, ddev.Freed(), "the last reference frees it (drmm)")
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.Violations)
}

// sigbus: the next fault after unplug is SIGBUS and kills the app.
func TestSIGBUSPolicyKillsOnFault(t *testing.T) {
	sim, g := platform(t, des.Config{}, amdgpu.SIGBUS)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		require.NoError(t, g.Bind(p))
		c, err := g.Open(p, "glxgears", nil)
		require.NoError(t, err)
		b, err := c.CreateBO(p, "fb", 1, ttm.PlVRAM)
		require.NoError(t, err)
		v, err := c.Mmap(p, b)
		require.NoError(t, err)
		require.NoError(t, c.Touch(p, v, 0))
		sim.Spawn("remove", des.Task, g.Remove)
		p.Sleep(des.Microsecond)
		assert.ErrorIs(t, c.Touch(p, v, 0), mm.ErrSIGBUS)
		assert.True(t, c.Closed(), "the exit closed the file")
	})
	r := sim.Run()
	require.True(t, r.OK(), "%v", r.Violations)
}

// IGT unbind-rebind (both policies) and hotreplug-lateclose (v6): the health check fails
// while the driver is gone and passes on the new incarnation; the old client still closes
// after the replug. (Under sigbus the remove path would wait for that file for ever.)
func TestUnbindRebindAndReplugHealthCheck(t *testing.T) {
	for _, pol := range []string{amdgpu.V6CompleteFirst, amdgpu.SIGBUS} {
		sim, g := platform(t, des.Config{}, pol)
		sim.Spawn("igt", des.Task, func(p *des.Proc) {
			require.NoError(t, g.Bind(p))
			require.NoError(t, g.HealthCheck(p))
			g.Unbind(p)
			assert.ErrorIs(t, g.HealthCheck(p), drm.ErrNoDev)
			require.NoError(t, g.Bind(p))
			require.NoError(t, g.HealthCheck(p))
			assert.Equal(t, 2, g.Generation())
			if pol != amdgpu.V6CompleteFirst {
				return
			}

			old, err := g.Open(p, "lateclose", nil)
			require.NoError(t, err)
			_, err = old.SubmitNoop(p)
			require.NoError(t, err)
			g.Remove(p)
			assert.ErrorIs(t, g.HealthCheck(p), drm.ErrNoDev)
			require.NoError(t, g.Replug(p))
			assert.Equal(t, 3, g.Generation())
			require.NoError(t, g.HealthCheck(p))
			old.Close(p) // hotreplug-lateclose
			require.NoError(t, g.HealthCheck(p))
			assert.Equal(t, 2, old.Device())
		})
		r := sim.Run()
		require.True(t, r.OK(), "%s: %v", pol, r.Violations)
	}
}

// A surprise removal stops the ring with a job in flight: the remove path force-signals it
// (-ENODEV) so the waiting app returns instead of hanging, under explored schedules.
func TestSurpriseRemovalForceSignals(t *testing.T) {
	for seed := uint64(0); seed < 100; seed++ {
		sim, g := platform(t, des.Config{Seed: seed, Strategy: "random:2us", NoTape: true}, amdgpu.V6CompleteFirst)
		var waited error
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			require.NoError(t, g.Bind(p))
			sim.Spawn("pciehp", des.Task, func(p *des.Proc) {
				p.Sleep(5 * des.Microsecond)
				g.SurpriseRemove(p, 2*des.Microsecond)
			})
			c, err := g.Open(p, "compute", nil)
			require.NoError(t, err)
			f, err := c.Submit(p, des.Millisecond)
			require.NoError(t, err)
			waited = c.Wait(p, f)
			c.Close(p)
		})
		r := sim.Run()
		require.True(t, r.OK(), "seed %d: %v", seed, r.Violations)
		assert.ErrorIs(t, waited, drm.ErrNoDev, "seed %d", seed)
		// The gone-hardware check is on and saw nothing: every root checks drm_dev_enter.
		hw := g.PCI().HW()
		assert.Equal(t, mem.GonePolls, hw.GoneCheck())
		assert.True(t, hw.Unplugged(), "remove declared the device unplugged")
		assert.Positive(t, hw.DroppedWrites(), "the remove path's teardown writes were dropped")
	}
}

// The open TODO: a fence wait inside drm_dev_enter. Lockdep reports it; and when a surprise
// removal leaves the job unfinished, synchronize_srcu really deadlocks on the waiter.
func TestWaitInEnterDeadlocksSynchronizeSRCU(t *testing.T) {
	sim, g := platform(t, des.Config{CollectAll: true}, amdgpu.V6WaitInEnter)
	sim.Spawn("app", des.Task, func(p *des.Proc) {
		require.NoError(t, g.Bind(p))
		sim.Spawn("pciehp", des.Task, func(p *des.Proc) {
			p.Sleep(5 * des.Microsecond)
			g.SurpriseRemove(p, 2*des.Microsecond)
		})
		c, err := g.Open(p, "compute", nil)
		require.NoError(t, err)
		f, err := c.Submit(p, des.Millisecond)
		require.NoError(t, err)
		_ = c.Wait(p, f)
	})
	r := sim.Run()
	var kinds []des.ViolationKind
	for _, v := range r.Violations {
		kinds = append(kinds, v.Kind)
	}
	assert.Contains(t, kinds, oracle.LockOrder)
	assert.Contains(t, kinds, oracle.Deadlock)
}

// A BO exported by gpu1 and imported by gpu0 outlives every file of gpu1. Under v6 the
// dma-buf's drm_device reference keeps the amdgpu_device alive until the importer lets go;
// under sigbus the remove path freed it once the files were closed, and amdgpu_bo_destroy
// then runs on freed memory.
func TestExportedBOOutlivesTheFiles(t *testing.T) {
	for _, pol := range []string{amdgpu.V6CompleteFirst, amdgpu.SIGBUS} {
		sim := des.MustNew(des.Config{})
		pl, err := amdgpu.NewPlatform(sim)
		require.NoError(t, err)
		gpu0, err := pl.AddGPU("gpu0", pol)
		require.NoError(t, err)
		gpu1, err := pl.AddGPU("gpu1", pol)
		require.NoError(t, err)
		require.NoError(t, pl.Boot())
		sim.Spawn("prime", des.Task, func(p *des.Proc) {
			require.NoError(t, pl.ProbeAll(p))
			exp, err := gpu1.Open(p, "exporter", nil)
			require.NoError(t, err)
			bo, err := exp.CreateBO(p, "shared", 1, ttm.PlTT)
			require.NoError(t, err)
			buf, err := exp.Export(p, bo)
			require.NoError(t, err)
			imp, err := gpu0.Open(p, "importer", nil)
			require.NoError(t, err)
			require.NoError(t, imp.Import(p, buf))
			buf.Release(p)
			f, err := exp.Submit(p, des.Microsecond)
			require.NoError(t, err)
			g, err := imp.Submit(p, des.Microsecond, f)
			require.NoError(t, err)
			require.NoError(t, imp.Wait(p, g))
			exp.Close(p)
			gpu1.Remove(p)
			imp.Close(p) // drm_gem_dmabuf_release -> amdgpu_bo_destroy on gpu1
		})
		r := sim.Run()
		if pol == amdgpu.V6CompleteFirst {
			require.True(t, r.OK(), "%v", r.Violations)
			continue
		}
		require.False(t, r.OK())
		assert.Equal(t, oracle.UseAfterFree, r.First().Kind)
		assert.Contains(t, r.First().Msg, "amdgpu_bo_destroy")
	}
}

// The small API the scenario glue (workloads/amdgpuunplug) uses besides Platform, GPU and
// Client: the driver's name, policy parsing and NoSIGBUS, which must agree with what the
// policy does to an address space the app made itself: under v6 and v6-wait-in-enter a touch
// after the remove lands on the dummy page; under sigbus it is SIGBUS.
func TestGlueAPI(t *testing.T) {
	want := map[string]bool{amdgpu.V6CompleteFirst: true, amdgpu.V6KillUnflushed: true, amdgpu.V6NoCancelJob: true, amdgpu.V6: true, amdgpu.V6WaitInEnter: true, amdgpu.SIGBUS: false, amdgpu.NoGuard: false}
	require.Len(t, amdgpu.Policies, len(want))
	for _, pol := range amdgpu.Policies {
		got, err := amdgpu.ParsePolicy(pol.Name)
		require.NoError(t, err)
		assert.Equal(t, pol, got)
		assert.Equal(t, want[pol.Name], pol.NoSIGBUS(), pol.Name)
	}
	_, err := amdgpu.ParsePolicy("no-such")
	assert.ErrorContains(t, err, `no policy "no-such"`)

	for _, pol := range []string{amdgpu.V6CompleteFirst, amdgpu.V6WaitInEnter, amdgpu.SIGBUS} {
		sim, g := platform(t, des.Config{}, pol)
		assert.Equal(t, amdgpu.DriverName, g.PCI().Driver().Name())
		assert.Equal(t, pol, g.Policy().Name)
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			require.NoError(t, g.Bind(p))
			assert.True(t, g.Bound())
			assert.Equal(t, 1, g.Generation())
			m := mm.NewMM(p.Sim(), "app", mm.Options{NoSIGBUS: g.Policy().NoSIGBUS()})
			c, err := g.Open(p, "app", m)
			require.NoError(t, err)
			assert.Equal(t, g.Generation(), c.Device())
			b, err := c.CreateBO(p, "fb", 1, ttm.PlVRAM)
			require.NoError(t, err)
			v, err := c.Mmap(p, b)
			require.NoError(t, err)
			require.NoError(t, c.Touch(p, v, 0))
			sim.Spawn("remove", des.Task, g.Remove)
			p.Sleep(des.Microsecond)
			assert.False(t, g.Bound(), pol)
			if g.Policy().NoSIGBUS() {
				assert.NoError(t, c.Touch(p, v, 0), pol)
				assert.False(t, m.Dead(), pol)
				c.Close(p)
			} else {
				assert.ErrorIs(t, c.Touch(p, v, 0), mm.ErrSIGBUS, pol)
			}
		})
		r := sim.Run()
		require.True(t, r.OK(), "%s: %v", pol, r.Violations)
	}
}

// v6's remove path calls synchronize_srcu inside its fence signalling section; a TT BO
// populated inside an ioctl's drm_dev_enter (alloc_page: might_alloc) gives lockdep
// drm_unplug_srcu -> fs_reclaim -> mmu notifier -> dma_fence_map, and the remove closes
// the cycle. v6-complete-first signals every fence before drm_dev_unplug: no cycle.
func TestV6AllocationInEnterAgainstSignallingRemove(t *testing.T) {
	for _, pol := range []string{amdgpu.V6CompleteFirst, amdgpu.V6} {
		sim, g := platform(t, des.Config{}, pol)
		sim.Spawn("app", des.Task, func(p *des.Proc) {
			require.NoError(t, g.Bind(p))
			c, err := g.Open(p, "app", nil)
			require.NoError(t, err)
			_, err = c.CreateBO(p, "gtt", 1, ttm.PlTT)
			require.NoError(t, err)
			f, err := c.Submit(p, des.Millisecond)
			require.NoError(t, err)
			g.Remove(p)
			assert.ErrorIs(t, c.Wait(p, f), drm.ErrNoDev)
			c.Close(p)
		})
		r := sim.Run()
		if pol == amdgpu.V6CompleteFirst {
			require.True(t, r.OK(), "%v", r.Violations)
			continue
		}
		require.False(t, r.OK())
		assert.Equal(t, oracle.LockOrder, r.First().Kind)
		assert.Contains(t, r.First().Msg, "fs_reclaim")
		assert.Contains(t, r.First().Msg, "drm_unplug_srcu")
	}
}
