package ttm_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/lock"
	"hotplugsim/model/mm"
	"hotplugsim/model/ttm"
)

// explore runs build under many seeds of exploring strategies and requires every run OK.
func explore(t *testing.T, build func(sim *des.Sim)) {
	for _, strategy := range []string{"random:3us", "pct:3:2000"} {
		for seed := uint64(0); seed < 60; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy, NoTape: true})
			build(sim)
			r := sim.Run()
			require.True(t, r.OK(), "%s seed %d: %v", strategy, seed, r.Violations)
		}
	}
}

// Two apps keep touching mapped BOs (VRAM and TT) while the device is unplugged, its DMA
// mappings cleared and its last references dropped: no stale PTE, no SIGBUS, no UAF.
func TestUnplugProtocolUnderExploredSchedules(t *testing.T) {
	explore(t, func(sim *des.Sim) {
		g := newGPU(t, sim, ttm.Options{})
		vram, _ := g.tdev.NewBO(nil, "fb", 2, ttm.PlVRAM)
		gtt, _ := g.tdev.NewBO(nil, "gtt", 2, ttm.PlTT)
		for i := 0; i < 2; i++ {
			app := mm.NewMM(sim, fmt.Sprintf("app%d", i), mm.Options{NoSIGBUS: true})
			vram.Get(nil) // the app's GEM handles
			gtt.Get(nil)
			g.ddev.DevGet(nil) // and its drm_file's device reference
			app.AtExit(func(p *des.Proc) { vram.Put(p); gtt.Put(p); g.ddev.DevPut(p) })
			sim.Spawn(app.Name(), des.Task, func(p *des.Proc) {
				a, err := vram.Mmap(p, app, nil)
				if err != nil { // drm_gem_mmap after unplug: -ENODEV
					app.Exit(p)
					return
				}
				b, err := gtt.Mmap(p, app, nil)
				if err != nil {
					app.Exit(p)
					return
				}
				for k := 0; k < 6; k++ {
					require.NoError(t, app.Write(p, a.Addr(k%2)))
					require.NoError(t, app.Read(p, b.Addr(k%2)))
					p.Sleep(des.Microsecond)
				}
				app.Exit(p)
			})
		}
		sim.Spawn("pci_remove", des.Task, func(p *des.Proc) {
			p.Sleep(2 * des.Microsecond)
			g.ddev.DevUnplug(p)
			g.tdev.ClearDMAMappings(p)
			vram.Put(p)
			gtt.Put(p)
			g.ddev.DevPut(p)
		})
	})
}

// Seed 000 with faults blocked between rescan_prepare and rescan_done: apps never see the
// old BAR address.
func TestGatedBARMoveUnderExploredSchedules(t *testing.T) {
	explore(t, func(sim *des.Sim) {
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
			rescan(t, p, g, ops, des.Microsecond)
		})
	})
}
