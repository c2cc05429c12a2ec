package ttm_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/des/metrics"
	"hotplugsim/model/drm"
	"hotplugsim/model/fence"
	"hotplugsim/model/irq"
	"hotplugsim/model/lock"
	"hotplugsim/model/mem"
	"hotplugsim/model/mm"
	"hotplugsim/model/ttm"
	"hotplugsim/model/workqueue"
)

// unplugWorld is a model-level scenario touching every recording point but the BAR move:
// two apps issue ioctls and fault on VRAM and TT BOs, the GPU's fence IRQ queues a work item
// that signals published fences, and the device is unplugged while all this goes on.
func unplugWorld(t *testing.T, sim *des.Sim) {
	hw := mem.SpaceOf(sim).NewOwner("gpu")
	vram := hw.NewRegion("bar0", 64*mm.PageSize)
	require.NoError(t, vram.Claim(oldBase))
	ddev := drm.DevAlloc(sim, nil, "card0", &drm.Driver{Ioctls: []drm.IoctlDesc{{Name: "GEM_BUSY",
		Flags: drm.IoctlDevEnter, Func: func(p *des.Proc, f *drm.File, arg any) error {
			p.Sleep(des.Microsecond)
			return nil
		}}}})
	ddev.DevRegister(nil)
	tdev, err := ttm.NewDevice(sim, ddev, vram, ttm.Options{})
	require.NoError(t, err)
	vbo, _ := tdev.NewBO(nil, "fb", 2, ttm.PlVRAM)
	gbo, _ := tdev.NewBO(nil, "gtt", 2, ttm.PlTT)

	ctx := fence.NewContext(sim, "gfx")
	var pending []*fence.Fence
	wq := workqueue.AllocWorkqueue(sim, "amdgpu", 1)
	work := workqueue.InitWork(sim, "fence-work", func(p *des.Proc, _ *workqueue.Work) {
		for len(pending) > 0 {
			f := pending[0]
			pending = pending[1:]
			_ = f.Signal(p)
			f.Put(p)
		}
	})
	line := irq.NewLine(sim, "gpu")
	require.NoError(t, irq.RequestIRQ(nil, line, "gpu", func(p *des.Proc) irq.Return {
		workqueue.QueueWork(p, wq, work)
		return irq.Handled
	}))
	sim.Spawn("gpu-engine", des.Task, func(p *des.Proc) {
		for k := 0; k < 8; k++ {
			f := ctx.NewFence(p)
			f.Publish(p)
			pending = append(pending, f)
			p.Sleep(des.Microsecond)
			line.Raise(p)
		}
	})
	for i := 0; i < 2; i++ {
		app := mm.NewMM(sim, fmt.Sprintf("app%d", i), mm.Options{NoSIGBUS: true})
		vbo.Get(nil)
		gbo.Get(nil)
		ddev.DevGet(nil)
		app.AtExit(func(p *des.Proc) { vbo.Put(p); gbo.Put(p); ddev.DevPut(p) })
		sim.Spawn(app.Name(), des.Task, func(p *des.Proc) {
			defer app.Exit(p)
			f, err := ddev.Open(p, app.Name())
			if err != nil {
				return
			}
			defer f.Close(p)
			a, err := vbo.Mmap(p, app, nil)
			if err != nil {
				return
			}
			b, err := gbo.Mmap(p, app, nil)
			if err != nil {
				return
			}
			for k := 0; k < 6; k++ {
				_ = f.Ioctl(p, 0, nil)
				require.NoError(t, app.Write(p, a.Addr(k%2)))
				require.NoError(t, app.Read(p, b.Addr(k%2)))
				p.Sleep(des.Microsecond)
			}
		})
	}
	sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
		p.Sleep(2 * des.Microsecond)
		ddev.DevUnplug(p)
		tdev.ClearDMAMappings(p)
		vbo.Put(p)
		gbo.Put(p)
		ddev.DevPut(p)
	})
}

// gatedMoveWorld is the gated BAR move of the movable-BARs thread (TestGatedBARMoveUnderExploredSchedules),
// the mover marking the move as model/pci's rescan does: faults retry while it runs.
func gatedMoveWorld(t *testing.T, sim *des.Sim) {
	g := newGPU(t, sim, ttm.Options{})
	bo, _ := g.tdev.NewBO(nil, "fb", 2, ttm.PlVRAM)
	ops := gatedOps{barLock: lock.NewRWSem(sim, "pci_bar_lock")}
	for i := 0; i < 2; i++ {
		app := mm.NewMM(sim, fmt.Sprintf("app%d", i), mm.Options{NoSIGBUS: true})
		sim.Spawn(app.Name(), des.Task, func(p *des.Proc) {
			v, err := bo.Mmap(p, app, ops)
			require.NoError(t, err)
			for k := 0; k < 6; k++ {
				require.NoError(t, app.Write(p, v.Addr(k%2)))
				p.Sleep(des.Microsecond)
			}
		})
	}
	sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(2 * des.Microsecond)
		metrics.BeginMove(sim)
		rescan(t, p, g, ops, 2*des.Microsecond)
		metrics.EndMove(sim)
	})
}

// Recording never yields, draws or traces: the fingerprint of every seed is the same with
// metrics on and off, and the recorder got what the scenario does.
func TestMetricsDoNotChangeTheRun(t *testing.T) {
	all := metrics.NewRecorder()
	for _, strategy := range []string{"random:3us", "pct:3:2000"} {
		for seed := uint64(0); seed < 30; seed++ {
			for w, world := range []func(*testing.T, *des.Sim){unplugWorld, gatedMoveWorld} {
				var fp [2]uint64
				for i, on := range []bool{false, true} {
					sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy})
					rec := metrics.NewRecorder()
					if on {
						metrics.Attach(sim, rec)
					}
					world(t, sim)
					r := sim.Run()
					require.True(t, r.OK(), "%s seed %d: %v", strategy, seed, r.Violations)
					fp[i] = r.Fingerprint
					all.Merge(rec)
				}
				require.Equal(t, fp[0], fp[1], "world %d, %s seed %d: metrics changed the run", w, strategy, seed)
			}
		}
	}
	for _, name := range []string{metrics.Ioctl("GEM_BUSY"), metrics.Fault, metrics.Fence,
		metrics.FenceAfterUnplug, metrics.UnplugRelease, metrics.IrqWork, metrics.FaultRetry,
		metrics.BarMoveBlocked} {
		assert.NotNil(t, all.Histogram(name), name)
	}
}
