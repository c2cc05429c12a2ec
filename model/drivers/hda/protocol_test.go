package hda

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"hotplugsim/des"
	"hotplugsim/model/irq"
	"hotplugsim/model/mm"
	"hotplugsim/model/oracle"
	"hotplugsim/model/pci"
)

// rig is one controller on a host, its driver under cfg, and a GPU function whose BAR
// makes the controller's move.
type rig struct {
	sim  *des.Sim
	host *pci.Host
	chip *Chip
	dev  *pci.Dev
}

func newRig(t *testing.T, strategy string, seed uint64, cfg Config) *rig {
	t.Helper()
	sim := des.MustNew(des.Config{Seed: seed, Strategy: strategy})
	host, err := pci.NewHost(sim, pci.Config{Name: "0000", Base: HostBase, Size: HostSize})
	require.NoError(t, err)
	_, err = host.AddDevice(host.Root(), "0000:03:00.0", nil, GPUBAR())
	require.NoError(t, err)
	if cfg.Name == "" {
		cfg.Name = "hda0"
	}
	chip, err := New(sim, cfg)
	require.NoError(t, err)
	dev, err := host.AddDevice(host.Root(), "0000:03:00.1", chip, BAR())
	require.NoError(t, err)
	require.NoError(t, host.Boot())
	sim.Spawn("modprobe", des.Task, func(p *des.Proc) { _ = host.ProbeAll(p) })
	return &rig{sim: sim, host: host, chip: chip, dev: dev}
}

// player opens a PCM, sets it up, mmaps and starts it; it plays for d, touching its
// buffer every period, then closes. errs collects what went wrong (asserted after Run).
func (r *rig) player(d des.Duration, errs *[]error) {
	r.sim.Spawn("aplay", des.Task, func(p *des.Proc) {
		if !r.chip.WaitProbed(p) {
			*errs = append(*errs, ErrNoDevice)
			return
		}
		m := mm.NewMM(r.sim, "aplay", mm.Options{})
		f, err := r.chip.OpenPCM(p)
		if err != nil {
			*errs = append(*errs, err)
			return
		}
		vma, err := f.Mmap(p, m)
		for _, e := range []error{err, f.HWParams(p), f.Prepare(p), f.Start(p)} {
			if e != nil {
				*errs = append(*errs, e)
			}
		}
		per := r.chip.cfg.Period
		for i := 0; des.Duration(i)*per < d; i++ {
			p.Sleep(per)
			if err := m.Write(p, vma.Addr(i%BufferPages)); err != nil {
				*errs = append(*errs, err)
			}
		}
		_ = m.Munmap(p, vma)
		f.Release(p)
		m.Exit(p)
	})
}

func (r *rig) rescanAt(at des.Duration) {
	r.sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(at)
		_ = r.host.Rescan(p)
	})
}

func TestVerbRoundTripThroughCORBAndRIRB(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce})
	var res uint32
	var err error
	v := verb(2, verbGetAmpGainMute, 0xa000)
	r.sim.Spawn("mixer", des.Task, func(p *des.Proc) {
		r.chip.WaitProbed(p)
		res, err = r.chip.bus.execVerb(p, v)
	})
	run := r.sim.Run()
	require.True(t, run.OK(), run.Violations)
	require.NoError(t, err)
	assert.Equal(t, v^0x80000000, res, "the codec's response to the verb")
	assert.Equal(t, 1, r.chip.Stats().Verbs)
	assert.Equal(t, uint64(1), r.chip.hw.region.Peek(regCORBWP), "CORBWP advanced by one")
	assert.Equal(t, uint64(1), r.chip.hw.region.Peek(regCORBRP), "the codec fetched the verb")
}

// A verb whose response never comes (CORB stopped) times out with -EIO after CmdTimeout.
func TestVerbTimesOutOnAStoppedCORB(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce, CmdTimeout: 100 * des.Microsecond})
	var err error
	var took des.Duration
	r.sim.Spawn("mixer", des.Task, func(p *des.Proc) {
		r.chip.WaitProbed(p)
		r.chip.writeb(p, regCORBCTL, 0)
		t0 := p.Now()
		_, err = r.chip.bus.execVerb(p, verb(2, verbGetAmpGainMute, 0))
		took = p.Now().Sub(t0)
	})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.ErrorIs(t, err, ErrIO)
	assert.Equal(t, 1, r.chip.Stats().VerbTimeouts)
	assert.GreaterOrEqual(t, took, 100*des.Microsecond)
}

// A running stream interrupts every period and advances hw_ptr; a codec notification rides
// on the interrupt into the unsol work, which talks to the codec.
func TestPeriodInterruptsAndUnsolicitedEvents(t *testing.T) {
	r := newRig(t, "random", 3, Config{Policy: Quiesce, UnsolPerPeriod: 1})
	var errs []error
	r.player(10*DefaultPeriod, &errs)
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	require.Empty(t, errs)
	st := r.chip.Stats()
	assert.GreaterOrEqual(t, st.Periods, 8)
	assert.GreaterOrEqual(t, st.Unsol, 8)
	assert.Equal(t, st.Unsol, st.UnsolDone, "every queued event was processed")
	assert.Equal(t, st.Unsol*DefaultUnsolVerbs+2+1, st.Verbs, "unsol verbs + prepare's two + hw_free's one")
	assert.Equal(t, 0, r.chip.OpenFiles())
}

// The seed thread's race, one story per policy: a stream runs and the codec keeps sending
// notifications, so the unsol work is always talking to the codec, when a rescan moves
// the BAR. Only quiesce gets through, and playback goes on after the move.
func TestRescanDuringUnsolicitedEvents(t *testing.T) {
	cases := []struct {
		policy string
		kind   des.ViolationKind
		proc   string
	}{
		{StopChip, oracle.UseAfterUnmap, "kworker/events:0"},
		{IoctlRWSem, oracle.UseAfterUnmap, "kworker/events:0"},
		{WaitClose, oracle.Progress, "rescan"},
		{Quiesce, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.policy, func(t *testing.T) {
			r := newRig(t, "fifo", 1, Config{Policy: tc.policy, UnsolPerPeriod: 1})
			var errs []error
			r.player(60*DefaultPeriod, &errs)
			r.rescanAt(20 * DefaultPeriod)
			res := r.sim.Run()
			if tc.kind == "" {
				require.True(t, res.OK(), res.Violations)
				require.Empty(t, errs)
				assert.Equal(t, 1, r.chip.Stats().Moves)
				assert.GreaterOrEqual(t, r.chip.Stats().Periods, 50, "periods kept coming after the move")
				return
			}
			require.NotNil(t, res.First())
			assert.Equal(t, tc.kind, res.First().Kind, res.First().Msg)
			assert.Equal(t, tc.proc, res.First().Proc)
		})
	}
}

// quiesce: an ioctl issued during the move waits in snd_power_ref_and_wait and runs after
// RescanDone; one in flight when the move starts is waited for before the iounmap.
func TestQuiesceGatesIoctlsAroundTheMove(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce})
	r.rescanAt(100 * des.Microsecond)
	var during, inflight struct {
		moves   int
		err     error
		started bool
	}
	r.sim.Spawn("mixer-during", des.Task, func(p *des.Proc) {
		r.chip.WaitProbed(p)
		f, err := r.chip.OpenControl(p)
		if !assert.NoError(t, err) {
			return
		}
		for i := 0; i < 1000 && !r.chip.Moving(); i++ {
			p.Sleep(des.Microsecond)
		}
		during.started = r.chip.Moving()
		during.err = f.ElemWrite(p)
		during.moves = r.chip.Stats().Moves
		f.Release(p)
	})
	r.sim.Spawn("mixer-inflight", des.Task, func(p *des.Proc) {
		r.chip.WaitProbed(p)
		f, err := r.chip.OpenControl(p)
		if !assert.NoError(t, err) {
			return
		}
		p.Sleep(95 * des.Microsecond) // two verbs take longer than 5 us
		inflight.err = f.ElemWrite(p)
		inflight.moves = r.chip.Stats().Moves
		f.Release(p)
	})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.True(t, during.started, "the ioctl was issued during the move")
	assert.NoError(t, during.err)
	assert.Equal(t, 1, during.moves, "it ran after RescanDone")
	assert.NoError(t, inflight.err)
	assert.Equal(t, 0, inflight.moves, "the in-flight ioctl finished before the move completed")
}

// quiesce: an unsolicited event that arrives while the card is not in D0 stays queued, and
// RescanDone requeues the work.
func TestQuiesceDefersUnsolWorkUntilDone(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce})
	r.sim.Spawn("story", des.Task, func(p *des.Proc) {
		r.chip.WaitProbed(p)
		r.chip.card.d0 = false // as RescanPrepare's first step left it
		r.chip.bus.regLock.LockIRQSave(p)
		r.chip.bus.queueEvent(p, rirbEntry{res: 1, resEx: rirbExUnsol})
		r.chip.bus.regLock.UnlockIRQRestore(p)
		p.Sleep(100 * des.Microsecond)
		assert.Equal(t, 0, r.chip.Stats().UnsolDone, "the work did not talk to a card in D3hot")
		r.chip.resume(p)
	})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.Equal(t, 1, r.chip.Stats().UnsolDone, "requeued and processed after resume")
}

// wait-close: new opens fail while prepare waits for the open files.
func TestWaitCloseRefusesNewOpens(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: WaitClose})
	var errDuring error
	var movesAfter int
	r.sim.Spawn("holder", des.Task, func(p *des.Proc) {
		r.chip.WaitProbed(p)
		f, err := r.chip.OpenControl(p)
		if !assert.NoError(t, err) {
			return
		}
		p.Sleep(300 * des.Microsecond) // closes within MoveBound
		f.Release(p)
	})
	r.rescanAt(100 * des.Microsecond)
	r.sim.Spawn("late", des.Task, func(p *des.Proc) {
		p.Sleep(200 * des.Microsecond)
		_, errDuring = r.chip.OpenControl(p)
		p.Sleep(des.Millisecond)
		movesAfter = r.chip.Stats().Moves
	})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.ErrorIs(t, errDuring, ErrNoDevice)
	assert.Equal(t, 1, movesAfter)
}

// The playback-continues oracle: a done that leaves the stream's interrupts off (the
// seed's "Audio device got stuck!") is a progress violation when the stream stops.
func TestStalledPlaybackAfterMoveIsReported(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce, UnsolPerPeriod: -1})
	var errs []error
	r.player(30*DefaultPeriod, &errs)
	r.sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(5 * DefaultPeriod)
		_ = r.host.Rescan(p)
		r.chip.hw.region.Poke(regINTCTL, intctlGIE|intctlCIE) // the stream's SIE bit lost
	})
	res := r.sim.Run()
	require.NotNil(t, res.First())
	assert.Equal(t, oracle.Progress, res.First().Kind)
	assert.Contains(t, res.First().Msg, "playback stalled")
}

func TestConfigValidation(t *testing.T) {
	sim := des.MustNew(des.Config{})
	for _, cfg := range []Config{
		{Policy: Quiesce},
		{Name: "hda0", Policy: "none"},
		{Name: "hda0", Policy: Quiesce, Streams: MaxStreams + 1},
		{Name: "hda0", Policy: Quiesce, CodecLatencyMin: 10, CodecLatencyMax: 5},
		{Name: "hda0", Policy: Quiesce, UnsolPerPeriod: 2},
		{Name: "hda0", Policy: Quiesce, MoveBound: -1},
	} {
		_, err := New(sim, cfg)
		assert.Error(t, err, "%+v", cfg)
	}
	c, err := New(sim, Config{Name: "hda0", Policy: StopChip})
	require.NoError(t, err)
	assert.Equal(t, DefaultStreams, c.Config().Streams)
	assert.Equal(t, DriverName, c.Name())
}

// quiesce: a player that closes its PCM while the BAR is moving waits in release for D0,
// so its stream cleanup (descriptor writes, the codec verb) lands on the new mapping.
func TestQuiesceReleaseDuringMoveWaits(t *testing.T) {
	for _, pol := range []string{Quiesce, StopChip} {
		t.Run(pol, func(t *testing.T) {
			r := newRig(t, "fifo", 1, Config{Policy: pol, UnsolPerPeriod: -1})
			r.rescanAt(100 * des.Microsecond)
			var closedDuringMove bool
			movesAtClose := -1
			r.sim.Spawn("aplay", des.Task, func(p *des.Proc) {
				r.chip.WaitProbed(p)
				f, err := r.chip.OpenPCM(p)
				if !assert.NoError(t, err) {
					return
				}
				for _, err := range []error{f.HWParams(p), f.Prepare(p), f.Start(p)} {
					assert.NoError(t, err)
				}
				for i := 0; i < 1000 && !r.chip.Moving(); i++ {
					p.Sleep(des.Microsecond)
				}
				closedDuringMove = r.chip.Moving()
				f.Release(p)
				movesAtClose = r.chip.Stats().Moves
			})
			res := r.sim.Run()
			assert.True(t, closedDuringMove)
			if pol == StopChip {
				require.NotNil(t, res.First())
				assert.Equal(t, oracle.UseAfterUnmap, res.First().Kind)
				assert.Equal(t, "aplay", res.First().Proc)
				return
			}
			require.True(t, res.OK(), res.Violations)
			assert.Equal(t, 1, movesAtClose, "release completed after RescanDone")
			assert.Equal(t, 0, r.chip.OpenFiles())
		})
	}
}

// Remove (not part of the scenario) tears the chip down cleanly when nothing is open, and
// opens fail afterwards.
func TestRemoveWhenIdle(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce})
	var errAfter error
	r.sim.Spawn("sysfs", des.Task, func(p *des.Proc) {
		r.chip.WaitProbed(p)
		r.host.Remove(p, r.dev)
		_, errAfter = r.chip.OpenControl(p)
	})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.ErrorIs(t, errAfter, ErrNoDevice)
	assert.False(t, r.chip.regs.Mapped())
}

// The register file of the largest controller fits in BAR(), and the layout's BARs are
// valid PCI BARs (powers of two) that fit in the host aperture.
func TestTopologyBARs(t *testing.T) {
	last := sdReg(MaxStreams-1, sdBDLPL) + 4
	assert.LessOrEqual(t, last, BAR().Size, "stream %d's registers end past BAR 0", MaxStreams-1)
	for _, b := range []pci.BARSpec{BAR(), GPUBAR()} {
		assert.Zero(t, b.Index)
		assert.Zero(t, b.Size&(b.Size-1), "BAR size %#x is not a power of two", b.Size)
		assert.Less(t, b.Size, uint64(HostSize))
	}
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce})
	assert.Equal(t, BAR().Size, r.dev.BAR(0).Size())
}

// A buffer completion pending when quiesce stops the stream must not survive the move:
// snd_hdac_stream_stop clears SD_STS and stop_chip clears every status (azx_int_clear). A
// stale BCIS delivered after rescan_done would count as a period of the resumed stream and
// hide the stall of a stream whose IOCE got lost (the playback-continues oracle's false
// negative).
func TestStaleBufferCompletionDoesNotHideAStall(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce, UnsolPerPeriod: -1})
	var errs []error
	r.player(30*DefaultPeriod, &errs)
	r.sim.Spawn("rescan", des.Task, func(p *des.Proc) {
		p.Sleep(5 * DefaultPeriod)
		irq.DisableIRQNosync(p, r.chip.line) // the handler is late: BCIS stays pending
		p.Sleep(2 * DefaultPeriod)
		_ = r.host.Rescan(p)
		r.chip.hw.region.Poke(sdReg(0, sdCTL), sdctlRUN) // the stream's IOCE lost
		irq.EnableIRQ(p, r.chip.line)
	})
	res := r.sim.Run()
	require.Empty(t, errs)
	require.NotNil(t, res.First(), "the stall after the move went unreported")
	assert.Equal(t, oracle.Progress, res.First().Kind)
	assert.Contains(t, res.First().Msg, "playback stalled")
}

// azx_interrupt clears RIRBSTS before snd_hdac_bus_update_rirb reads RIRBWP: an unsolicited
// response the codec posts after that read sets RINTFL again and is taken in the next round.
// Clearing after the update (the order before v5.8) loses its interrupt and leaves it in the
// RIRB until someone polls.
func TestUnsolPostedDuringUpdateRIRBIsNotLost(t *testing.T) {
	r := newRig(t, "fifo", 1, Config{Policy: Quiesce, UnsolPerPeriod: -1})
	queued := -1
	r.sim.Spawn("codec-story", des.Task, func(p *des.Proc) {
		c := r.chip
		c.WaitProbed(p)
		c.bus.cmdMutex.Lock(p) // the work item may not poll the RIRB meanwhile
		c.hw.post(p, rirbEntry{res: 1, resEx: rirbExUnsol})
		c.hw.assert(p)
		for i := 0; i < 1000 && c.bus.rirbRP == 0; i++ {
			p.Yield() // until the handler has read RIRBWP and taken the first event
		}
		c.hw.post(p, rirbEntry{res: 2, resEx: rirbExUnsol})
		c.hw.assert(p)
		p.Sleep(des.Microsecond)
		queued = c.Stats().Unsol
		c.bus.cmdMutex.Unlock(p)
	})
	res := r.sim.Run()
	require.True(t, res.OK(), res.Violations)
	assert.Equal(t, 2, queued, "the interrupt handler queued both events")
	assert.Equal(t, 2, r.chip.Stats().UnsolDone)
}
