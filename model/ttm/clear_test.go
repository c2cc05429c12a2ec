package ttm_test

import (
	"flag"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/iommu"
	"hotplugsim/model/ttm"
)

// clearSweepSeeds is how many seeds each strategy of the clear-vs-put sweeps runs
// (go test -args -clear-sweep-seeds=N for more).
var clearSweepSeeds = flag.Uint64("clear-sweep-seeds", 200, "seeds per strategy of the ClearDMAMappings sweeps")

// sweepRuns runs build under exploring strategies and returns the runs that went wrong, as
// "strategy seed N: what": a violation, or what check (build's result, called after the run)
// says ("" if nothing).
func sweepRuns(build func(sim *des.Sim) (check func() string)) []string {
	var bad []string
	for _, strategy := range []string{"random", "random:2us", "pct:2:2000", "pct:3:2000"} {
		for seed := uint64(0); seed < *clearSweepSeeds; seed++ {
			sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy, NoTape: true})
			check := build(sim)
			r := sim.Run()
			what := ""
			if !r.OK() {
				what = r.First().String()
			} else if check != nil {
				what = check()
			}
			if what != "" {
				bad = append(bad, fmt.Sprintf("%s seed %d: %s", strategy, seed, what))
			}
		}
	}
	return bad
}

// Seed 004 without the driver's BO lock: the last GEM handle of a TT BO goes (the final
// ttm_bo_put unmaps its pages) while PCI remove clears every DMA mapping and then releases
// the IOMMU group. ttm_device_clear_dma_mappings takes a reference on each BO it clears
// (ttm_bo_get_unless_zero) and ttm_tt_unpopulate leaves nothing for the release to unmap,
// so under every schedule each page is unmapped once, and no unmap is still to come when
// clear returns: no double unmap, no unmap through the freed group.
func TestClearDMAMappingsRacesTheFinalPut(t *testing.T) {
	counts := map[string]int{}
	bad := sweepRuns(func(sim *des.Sim) func() string {
		host, dev, g := pciGPU(t, sim)
		group := iommu.Of(host).Group(dev)
		var bo *ttm.BO
		probed := des.NewCompletion(sim, "probed")
		sim.Spawn("probe", des.Task, func(p *des.Proc) {
			var err error
			bo, err = g.tdev.NewBO(p, "gtt", 3, ttm.PlTT) // DMA-mapped through the group
			require.NoError(t, err)
			probed.CompleteAll()
		})
		var left, cleared int
		sim.Spawn("close", des.Task, func(p *des.Proc) {
			probed.Wait(p)
			p.Sleep(des.Microsecond)
			bo.Put(p) // the last handle: the final put releases the TT
		})
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			probed.Wait(p)
			p.Sleep(des.Microsecond)
			cleared = g.tdev.ClearDMAMappings(p)
			left = group.Mappings()
			host.Remove(p, dev)
		})
		return func() string {
			counts[fmt.Sprintf("cleared %d", cleared)]++
			if left != 0 {
				return fmt.Sprintf("%d DMA mappings left when ttm_device_clear_dma_mappings returned", left)
			}
			if len(g.tdev.BOs()) != 0 || !bo.Freed() {
				return "the BO was not released"
			}
			return ""
		}
	})
	require.Empty(t, bad, "%d runs went wrong; first: %v", len(bad), bad[:min(len(bad), 5)])
	assert.NotZero(t, counts["cleared 1"], "some schedule clears the BO before its release: %v", counts)
	assert.NotZero(t, counts["cleared 0"], "some schedule releases it first: %v", counts)
}

// The same with more BOs and holders: two files each hold every BO; files close while remove
// clears, pinned BOs included.
func TestClearDMAMappingsRacesPutsOfManyBOs(t *testing.T) {
	bad := sweepRuns(func(sim *des.Sim) func() string {
		host, dev, g := pciGPU(t, sim)
		group := iommu.Of(host).Group(dev)
		var bos []*ttm.BO
		probed := des.NewCompletion(sim, "probed")
		sim.Spawn("probe", des.Task, func(p *des.Proc) {
			for i, place := range []ttm.Placement{ttm.PlTT, ttm.PlVRAM, ttm.PlTT, ttm.PlSystem} {
				bo, err := g.tdev.NewBO(p, fmt.Sprintf("bo%d", i), 2, place)
				require.NoError(t, err)
				bo.Get(p) // the second file's handle
				bos = append(bos, bo)
			}
			require.NoError(t, bos[0].Resv.Lock(p, nil))
			bos[0].Pin(p)
			bos[0].Resv.Unlock(p)
			probed.CompleteAll()
		})
		for f := 0; f < 2; f++ {
			sim.Spawn(fmt.Sprintf("close%d", f), des.Task, func(p *des.Proc) {
				probed.Wait(p)
				p.Sleep(des.Duration(f+1) * des.Microsecond)
				for _, bo := range bos {
					bo.Put(p)
				}
			})
		}
		left := -1
		sim.Spawn("remove", des.Task, func(p *des.Proc) {
			probed.Wait(p)
			p.Sleep(des.Microsecond)
			g.tdev.ClearDMAMappings(p)
			left = group.Mappings()
			host.Remove(p, dev)
		})
		return func() string {
			if left != 0 {
				return fmt.Sprintf("%d DMA mappings left when ttm_device_clear_dma_mappings returned", left)
			}
			if n := len(g.tdev.BOs()); n != 0 {
				return fmt.Sprintf("%d BOs not released", n)
			}
			if g.tdev.VRAMUsedPages() != 0 {
				return "VRAM not freed"
			}
			return ""
		}
	})
	require.Empty(t, bad, "%d runs went wrong; first: %v", len(bad), bad[:min(len(bad), 5)])
}

// The reference clear takes: when every other holder dropped theirs while it was clearing,
// its own put is the final one and releases the BO.
func TestClearDMAMappingsPutIsTheFinalOne(t *testing.T) {
	sim := des.MustNew(des.Config{})
	host, dev, g := pciGPU(t, sim)
	group := iommu.Of(host).Group(dev)
	var bo *ttm.BO
	probed := des.NewCompletion(sim, "probed")
	sim.Spawn("remove", des.Task, func(p *des.Proc) {
		var err error
		bo, err = g.tdev.NewBO(p, "gtt", 4, ttm.PlTT)
		require.NoError(t, err)
		probed.CompleteAll()
		assert.Equal(t, 1, g.tdev.ClearDMAMappings(p))
		assert.Zero(t, group.Mappings())
		host.Remove(p, dev)
	})
	sim.Spawn("close", des.Task, func(p *des.Proc) {
		probed.Wait(p)
		p.Yield() // clear holds its reference and is unmapping
		bo.Put(p)
		assert.False(t, bo.Freed(), "clear still holds a reference")
	})
	r := sim.Run()
	require.True(t, r.OK(), r.Violations)
	assert.True(t, bo.Freed(), "clear's put was the final one")
	assert.Empty(t, g.tdev.BOs())
}
