package microtest_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/irq"
	"hotplugsim/model/mem"
	"hotplugsim/model/oracle"
	"hotplugsim/model/workqueue"
)

// irqWorkTeardown is the scenario-free micro test: an interrupt queues a work item
// that reads a status register; at the same instant a teardown path quiesces the device
// (stop the engine, disable the irq) and iounmaps the registers, without cancelling the
// work. Nothing orders the work's readl against the iounmap: whether it is safe depends on
// the interleaving. With cancel the fixed teardown waits for the work before iounmap.
func irqWorkTeardown(cfg des.Config, cancel bool) des.Result {
	sim := des.MustNew(cfg)
	hw := mem.SpaceOf(sim).NewOwner("dev")
	bar := hw.NewRegion("dev:bar0", 4096)
	if err := bar.Claim(0xf000_0000); err != nil {
		panic(err)
	}
	regs := mem.SpaceOf(sim).Ioremap(nil, 0xf000_0000, 4096)
	line := irq.NewLine(sim, "dev-irq")
	status := workqueue.InitWork(sim, "status_work", func(p *des.Proc, _ *workqueue.Work) {
		regs.Read32(p, 0x10)
	})
	if err := irq.RequestIRQ(nil, line, "dev", func(p *des.Proc) irq.Return {
		workqueue.ScheduleWork(p, status)
		return irq.Handled
	}); err != nil {
		panic(err)
	}
	sim.Spawn("device", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond)
		line.Raise(p)
	})
	sim.Spawn("teardown", des.Task, func(p *des.Proc) {
		p.Sleep(10 * des.Microsecond)
		regs.Write32(p, 0x04, 0) // stop the engine
		for i := 0; i < 8; i++ { // poll for idle
			regs.Read32(p, 0x0c)
		}
		regs.Write32(p, 0x08, 0) // mask interrupts at the device
		irq.DisableIRQ(p, line)
		if cancel {
			workqueue.CancelWorkSync(p, status)
		}
		regs.Iounmap(p)
	})
	return sim.Run()
}

func TestIRQWorkAfterIounmapFoundByRandomNotFIFO(t *testing.T) {
	const seeds = 200
	firstRandom := 0
	for seed := uint64(1); seed <= seeds; seed++ {
		fifo := irqWorkTeardown(des.Config{Seed: seed, Strategy: "fifo"}, false)
		require.True(t, fifo.OK(), "fifo seed %d: the order happens to be safe: %v", seed, fifo.Violations)
		if firstRandom == 0 {
			r := irqWorkTeardown(des.Config{Seed: seed, Strategy: "random"}, false)
			if !r.OK() {
				require.Equal(t, oracle.UseAfterUnmap, r.First().Kind, "seed %d", seed)
				assert.Contains(t, r.First().Proc, "kworker/", "the work item touched it")
				assert.Contains(t, r.First().Msg, "readl")
				firstRandom = int(seed)
			}
		}
	}
	require.NotZero(t, firstRandom, "random must find the use-after-unmap within %d seeds", seeds)
	t.Logf("random found use-after-unmap at seed %d; fifo: none in %d seeds", firstRandom, seeds)
}

func TestIRQWorkCancelledBeforeIounmapIsSafe(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		for _, strat := range []string{"fifo", "random", "pct:3:200"} {
			r := irqWorkTeardown(des.Config{Seed: seed, Strategy: strat}, true)
			require.True(t, r.OK(), fmt.Sprintf("%s seed %d: %v", strat, seed, r.Violations))
		}
	}
}
