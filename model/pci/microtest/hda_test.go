package microtest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/irq"
	"hotplugsim/model/mem"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
	"hotplugsim/model/workqueue"
)

// Register offsets of the HD-audio controller used here.
const (
	regINTSTS  = 0x24
	regCORBWP  = 0x48
	regRIRBSTS = 0x5d
)

// hda is snd_hda_intel reduced to the the snd_hda_intel BAR-move thread race: the interrupt handler queues the
// unsolicited-event work, which talks to the codec over CORB/RIRB, waiting for the response.
// rescan_prepare stops the chip (disables the interrupt) and iounmaps; the fixed driver also
// cancels the work first.
type hda struct {
	cancelWork bool
	line       *irq.Line
	unsol      *workqueue.Work
	regs       *mem.IOMem
}

func (h *hda) Name() string { return "snd_hda_intel" }

func (h *hda) Probe(p *des.Proc, d *pci.Dev) error {
	h.regs = d.Iomap(p, 0)
	h.unsol = workqueue.InitWork(p.Sim(), "hda_unsol_event", h.unsolEvent)
	return irq.RequestIRQ(p, h.line, "snd_hda_intel", h.interrupt)
}

func (h *hda) interrupt(p *des.Proc) irq.Return {
	if h.regs.Read32(p, regINTSTS) == 0xffffffff {
		return irq.None // the controller is gone
	}
	workqueue.ScheduleWork(p, h.unsol)
	return irq.Handled
}

func (h *hda) unsolEvent(p *des.Proc, w *workqueue.Work) {
	h.regs.Write16(p, regCORBWP, 1) // send the verb
	for i := 0; i < 10; i++ {       // azx_rirb_get_response polls for the answer
		p.Sleep(10 * des.Microsecond)
		h.regs.Read8(p, regRIRBSTS)
	}
}

func (h *hda) Remove(p *des.Proc, d *pci.Dev) {
	irq.FreeIRQ(p, h.line)
	workqueue.CancelWorkSync(p, h.unsol)
	h.regs.Iounmap(p)
}

func (h *hda) RescanPrepare(p *des.Proc, d *pci.Dev) {
	irq.DisableIRQ(p, h.line) // azx_stop_chip
	if h.cancelWork {
		workqueue.CancelWorkSync(p, h.unsol)
	}
	h.regs.Iounmap(p)
}

func (h *hda) RescanDone(p *des.Proc, d *pci.Dev) {
	h.regs = d.Iomap(p, 0)
	irq.EnableIRQ(p, h.line)
}

// story: a stream is running (the codec interrupts every 50 us) while a sysfs rescan moves
// the controller's BAR.
func story(t *testing.T, cfg des.Config, cancelWork bool) des.Result {
	t.Helper()
	sim := des.MustNew(cfg)
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: 0xc000_0000, Size: 1 << 30})
	require.NoError(t, err)
	drv := &hda{cancelWork: cancelWork, line: irq.NewLine(sim, "hda:0000:0a:00.1")}
	_, err = host.AddDevice(host.Root(), "0000:00:02.0", nil, pci.BARSpec{Index: 0, Size: 16 << 20})
	require.NoError(t, err)
	_, err = host.AddDevice(host.Root(), "0000:0a:00.1", drv, pci.BARSpec{Index: 0, Size: 16 << 10})
	require.NoError(t, err)
	require.NoError(t, host.Boot())
	sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		require.NoError(t, host.ProbeAll(p))
		p.Sleep(120 * des.Microsecond)
		require.NoError(t, host.Rescan(p))
	})
	sim.Spawn("codec", des.Task, func(p *des.Proc) {
		for i := 0; i < 8; i++ {
			p.Sleep(50 * des.Microsecond)
			drv.line.Raise(p)
		}
	})
	return sim.Run()
}

func TestUnsolWorkAfterIounmapInRescanPrepare(t *testing.T) {
	r := story(t, des.Config{}, false)
	require.Len(t, r.Violations, 1)
	assert.Equal(t, oracle.UseAfterUnmap, r.Violations[0].Kind)
	assert.Contains(t, r.Violations[0].Msg, "Read of size 1 at addr ffffc900c100005d (0000:0a:00.1:bar0+0x5d) by task kworker/events:0/3")
}

func TestCancellingTheWorkBeforeIounmapIsSafe(t *testing.T) {
	r := story(t, des.Config{}, true)
	assert.True(t, r.OK(), r.Violations)
}

// Across seeds and preemption delays the fixed driver never fires; the buggy one does.
func TestAcrossSeeds(t *testing.T) {
	buggy := 0
	for seed := uint64(1); seed <= 30; seed++ {
		cfg := des.Config{Seed: seed, Strategy: "random:20us"}
		r := story(t, cfg, true)
		require.True(t, r.OK(), "seed %d: %v", seed, r.Violations)
		if r := story(t, cfg, false); !r.OK() {
			assert.Equal(t, oracle.UseAfterUnmap, r.Violations[0].Kind, "seed %d", seed)
			buggy++
		}
	}
	assert.Positive(t, buggy)
}
